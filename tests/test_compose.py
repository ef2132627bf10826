"""docker-compose.yml cannot run here (no Docker engine); check what can be checked."""

import typer.main
import yaml

from services.cli import app
from socialcare.stack.versions import ELASTICSEARCH_VERSION, KAFKA_VERSION
from tests.conftest import REPO, all_setting_names

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _cli_envvars() -> set[str]:
    names: set[str] = set()

    def walk(command) -> None:
        for param in getattr(command, "params", []):
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return names


def test_compose_runs_every_service_role_and_the_servers():
    assert set(SERVICES) == {
        "kafka",
        "elasticsearch",
        "provision",
        "ingest",
        "classify-worker",
        "route-worker",
        "index-worker",
        "search",
    }
    commands = {name: svc.get("command", [])[:2] for name, svc in SERVICES.items()}
    assert commands["ingest"] == ["ingest", "serve"]
    assert commands["classify-worker"] == ["classify", "worker"]
    assert commands["route-worker"] == ["route", "worker"]
    assert commands["index-worker"] == ["search", "index-worker"]
    assert commands["search"] == ["search", "serve"]
    assert commands["provision"] == ["stack", "provision"]


def test_compose_server_versions_match_the_local_stack():
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert SERVICES["elasticsearch"]["image"].endswith(f"elasticsearch:{ELASTICSEARCH_VERSION}")


def test_services_wait_for_healthy_servers_and_provisioning():
    assert "healthcheck" in SERVICES["kafka"]
    assert "healthcheck" in SERVICES["elasticsearch"]
    provision_deps = SERVICES["provision"]["depends_on"]
    assert {d["condition"] for d in provision_deps.values()} == {"service_healthy"}
    for name in ("ingest", "classify-worker", "route-worker", "index-worker", "search"):
        deps = SERVICES[name]["depends_on"]
        assert deps == {"provision": {"condition": "service_completed_successfully"}}


def test_every_socialcare_variable_in_compose_is_a_real_setting():
    known = all_setting_names() | _cli_envvars()
    used = {
        key
        for svc in SERVICES.values()
        for key in (svc.get("environment") or {})
        if key.startswith("SOCIALCARE_")
    }
    assert used, "the services get no SOCIALCARE_* settings"
    assert used <= known, used - known
    env = SERVICES["ingest"]["environment"]
    assert env["SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["SOCIALCARE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"


def test_image_runs_as_non_root():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile
    assert 'ENTRYPOINT ["socialcare"]' in dockerfile
