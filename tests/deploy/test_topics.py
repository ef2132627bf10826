"""Every topic the code uses has a KafkaTopic, and the KafkaTopics are the code's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import yaml

from socialcare.route import worker as route_worker
from socialcare.route.config import DEFAULT_CONFIG, load_config
from socialcare.route.settings import RouteSettings
from socialcare.topics import CONVERSATIONS_CHANGELOG_CONFIG, PIPELINE_TOPICS, TopicSpec
from tests.support.kustomize import K8S, Obj

TOPICS_FILE = K8S / "base" / "kafka" / "topics.yaml"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kafka_topics", K8S / "kafka_topics.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


kafka_topics = _generator()


def _router_queue_topics(monkeypatch: pytest.MonkeyPatch) -> list[TopicSpec]:
    """The queue topics the route worker itself asks Kafka for at start-up."""
    asked: list[TopicSpec] = []
    monkeypatch.setattr(route_worker.kafka, "ensure_topics", lambda _s, specs: asked.extend(specs))
    router = SimpleNamespace(settings=RouteSettings())
    route_worker.Router.ensure_queue_topics(router, load_config(DEFAULT_CONFIG))  # type: ignore[arg-type]
    return asked


def _declared(objects: list[Obj]) -> dict[str, tuple[int, dict[str, str]]]:
    return {
        o["spec"]["topicName"]: (o["spec"]["partitions"], o["spec"].get("config", {}))
        for o in objects
        if o["kind"] == "KafkaTopic"
    }


def test_topics_file_is_generated_from_the_code():
    expected = kafka_topics.render(kafka_topics.all_topics(DEFAULT_CONFIG))
    assert TOPICS_FILE.read_text() == expected, (
        "stale: run .venv/bin/python deploy/k8s/kafka_topics.py > deploy/k8s/base/kafka/topics.yaml"
    )


def test_every_topic_the_code_uses_has_a_kafka_topic(
    rendered: list[Obj], monkeypatch: pytest.MonkeyPatch
):
    declared = _declared(rendered)
    used = {s.name: (s.partitions, s.config) for s in PIPELINE_TOPICS}
    used |= {s.name: (s.partitions, s.config) for s in _router_queue_topics(monkeypatch)}
    assert len(used) > len(PIPELINE_TOPICS), "the default rules route to no queue"
    assert {name: declared.get(name) for name in used} == used
    # Nothing else but faust's internal topics, which the router names after itself.
    internal = set(declared) - set(used)
    app_ids = {
        "socialcare-classify",
        "socialcare-route",
        "socialcare-respond",
        "socialcare-conversations",
        "socialcare-index",
    }
    assert internal == {f"{a}-__assignor-__leader" for a in app_ids} | {
        "socialcare-route-conversations-changelog",
        "socialcare-conversations-conversations-changelog",
        "socialcare-respond-replies-changelog",
    }


@pytest.mark.parametrize(
    ("changelog", "source"),
    [
        ("socialcare-route-conversations-changelog", "social.events.classified"),
        ("socialcare-conversations-conversations-changelog", "social.events.routed"),
        ("socialcare-conversations-conversations-changelog", "support.actions"),
    ],
)
def test_the_conversations_changelogs_are_compacted_and_partitioned_like_their_sources(
    rendered: list[Obj], changelog: str, source: str
):
    partitions, config = _declared(rendered)[changelog]
    # Compacted, and deleted once idle (retention), so no conversation id lives forever.
    assert config == CONVERSATIONS_CHANGELOG_CONFIG
    assert partitions == _declared(rendered)[source][0]


def test_the_deployed_routing_rules_are_the_shipped_defaults():
    # The base ships the defaults, and its queue topics are generated from them.
    assert (K8S / "base" / "routing.yaml").read_text() == DEFAULT_CONFIG.read_text()


def test_a_routing_file_with_another_language_gets_its_queues(tmp_path: Path):
    rules = yaml.safe_load(DEFAULT_CONFIG.read_text())
    rules["languages"]["staffed"].append("ja")
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True))
    names = {t.name for t in kafka_topics.all_topics(path)}
    assert "support.queue.ja.logistics" in names
    base = list(yaml.safe_load_all(TOPICS_FILE.read_text()))
    assert "support.queue.ja.logistics" not in _declared(base)
