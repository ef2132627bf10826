"""The listening poller's manifests: one pod, never two, probed where it listens, with
its token from the platforms' Secret and the Kafka ACLs its positions need."""

from __future__ import annotations

from socialcare.listen.settings import ListenSettings
from socialcare.topics import LISTENING_POSITIONS, RAW
from tests.support.kustomize import Obj
from tests.support.manifest_checks import containers


def _one(objects: list[Obj], kind: str, name: str) -> Obj:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_the_poller_is_one_pod_replaced_not_rolled(rendered: list[Obj]):
    deployment = _one(rendered, "Deployment", "listen-worker")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert not [
        o
        for o in rendered
        if o["kind"] in ("ScaledObject", "HorizontalPodAutoscaler")
        and o["spec"]["scaleTargetRef"]["name"] == "listen-worker"
    ]
    (container,) = containers(deployment)
    assert container["args"] == ["listen", "worker"]
    port = ListenSettings().listen_web_port
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    token = {e["name"]: e for e in container["env"]}["SOCIALCARE_LISTEN_X_BEARER_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"]["name"] == "socialcare-platform-tokens"


def test_the_poller_writes_events_and_reads_and_writes_its_positions(rendered: list[Obj]):
    user = _one(rendered, "KafkaUser", "socialcare-listen")
    acls = {
        acl["resource"].get("name"): set(acl["operations"])
        for acl in user["spec"]["authorization"]["acls"]
    }
    assert acls[RAW.name] == {"Write", "Describe"}
    assert acls[LISTENING_POSITIONS.name] == {"Read", "Write", "Describe"}
    assert "IdempotentWrite" in acls[None]
