"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine); check
what can be checked: the compose specification, the wiring, and the image recipe."""

import json
import re

import jsonschema
import yaml

from socialcare.classify.export import INT8_FILE
from socialcare_dev.stack.versions import ELASTICSEARCH_VERSION, KAFKA_VERSION
from tests.support.manifest_checks import setting_names
from tests.support.paths import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text()
# role service -> the port its /healthz answers on (the code's defaults)
ROLE_PORTS = {
    "ingest": 8000,
    "classify-worker": 6066,
    "route-worker": 6067,
    "index-worker": 6068,
    "search": 8001,
}


def test_compose_file_follows_the_compose_specification():
    # deploy/schemas/compose-spec.json: compose-go's copy (deploy/schemas/README.md).
    schema = json.loads((REPO / "deploy" / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(COMPOSE)] == []
    broken = {**COMPOSE, "services": {"x": {"image": "a", "depends": ["kafka"]}}}
    assert list(validator.iter_errors(broken))


def test_compose_runs_every_service_role_and_the_servers():
    assert set(SERVICES) == {"kafka", "elasticsearch", "provision", *ROLE_PORTS}
    commands = {name: svc.get("command", [])[:2] for name, svc in SERVICES.items()}
    assert commands["ingest"] == ["ingest", "serve"]
    assert commands["classify-worker"] == ["classify", "worker"]
    assert commands["route-worker"] == ["route", "worker"]
    assert commands["index-worker"] == ["index", "worker"]
    assert commands["search"] == ["search", "serve"]
    assert commands["provision"] == ["provision"]


def test_compose_server_versions_match_the_local_stack():
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert SERVICES["elasticsearch"]["image"].endswith(f"elasticsearch:{ELASTICSEARCH_VERSION}")


def test_services_wait_for_healthy_servers_and_provisioning():
    assert "healthcheck" in SERVICES["kafka"]
    assert "healthcheck" in SERVICES["elasticsearch"]
    provision_deps = SERVICES["provision"]["depends_on"]
    assert {d["condition"] for d in provision_deps.values()} == {"service_healthy"}
    for name in ROLE_PORTS:
        deps = SERVICES[name]["depends_on"]
        assert deps == {"provision": {"condition": "service_completed_successfully"}}


def test_every_role_has_a_healthcheck_on_its_own_port():
    for name, port in ROLE_PORTS.items():
        check = SERVICES[name]["healthcheck"]
        assert f"http://localhost:{port}/healthz" in " ".join(check["test"])
        assert check["retries"] >= 3


def test_roles_run_read_only_like_in_kubernetes():
    for name in (*ROLE_PORTS, "provision"):
        assert SERVICES[name]["read_only"] is True
        assert "/tmp" in SERVICES[name]["tmpfs"]


def test_every_socialcare_variable_in_compose_is_a_real_setting():
    known = setting_names()
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
    # Mention detection is on (empty turns it off silently); the shell may override.
    for name in ("SOCIALCARE_BRAND_HANDLES", "SOCIALCARE_LISTENING_KEYWORDS"):
        assert re.fullmatch(re.escape(f"${{{name}:-") + r"[^}]+\}", env[name]), env[name]
    assert env["SOCIALCARE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"


def test_image_is_multi_stage_non_root_and_pinned():
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?", DOCKERFILE, re.MULTILINE)
    assert len(stages) >= 3
    assert "USER 10001:10001" in DOCKERFILE
    assert 'ENTRYPOINT ["socialcare"]' in DOCKERFILE
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)", DOCKERFILE, re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base)


def test_image_bakes_in_the_model_the_worker_loads():
    # From the `model` stage (trained in the build, or --build-context model=DIR):
    # what the default onnx-int8 backend reads, and where the settings point.
    (copy,) = [line for line in DOCKERFILE.splitlines() if line.startswith("COPY --from=model")]
    assert INT8_FILE in copy.split() and "tokenizer.json" in copy.split()
    assert "VERSION" in copy.split()
    target = copy.split()[-1].rstrip("/")
    assert f"SOCIALCARE_MODEL_DIR={target}" in DOCKERFILE
    runs = [line for line in DOCKERFILE.splitlines() if line.startswith("RUN ")]
    assert any(line.endswith("socialcare classify prepare") for line in runs)


def test_an_image_that_trains_its_model_copies_all_the_data_training_reads():
    # A missing directory is no error to training (the supplement is optional), it
    # silently trains another model than the one the image's tag names.
    from socialcare.classify.served import recipe
    from socialcare.classify.settings import ClassifySettings

    train_stage = DOCKERFILE[DOCKERFILE.index(" AS train") : DOCKERFILE.index(" AS model")]
    copied = {line.split()[1] for line in train_stage.splitlines() if line.startswith("COPY ")}
    for config in recipe(ClassifySettings()):
        for directory in config.data_dirs():
            assert directory.is_dir()
            assert str(directory.relative_to(REPO)) in copied, directory


def test_build_context_holds_what_the_dockerfile_copies():
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source.rstrip("/")
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    }
    assert copied <= allowed, copied - allowed
    assert ".models" not in allowed and ".venv" not in allowed


def test_every_role_hashes_with_the_same_erasure_and_log_id_keys():
    # One key for all: a service with another erasure key misses every recorded
    # erasure. The search API writes the erasure log, so it reaches Kafka too.
    for name in ("SOCIALCARE_ERASURE_KEY", "SOCIALCARE_LOG_ID_KEY"):
        values = {SERVICES[role]["environment"].get(name) for role in (*ROLE_PORTS, "provision")}
        (value,) = values
        assert re.fullmatch(re.escape(f"${{{name}:-") + r"[^}]+\}", value or ""), value
    assert SERVICES["search"]["environment"]["SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
