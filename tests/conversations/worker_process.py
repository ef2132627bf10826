"""A conversations worker as its own process on the real Kafka, and the inputs it
reads published to the real topics."""

from __future__ import annotations

from pathlib import Path

from socialcare import kafka
from socialcare.conversations.state import Input
from socialcare.conversations.worker import SOURCES
from socialcare.settings import Settings
from socialcare.topics import ACTION_RESULTS, ACTIONS, CONVERSATIONS, ROUTED
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess, skip_backlog
from tests.support.worker_process import worker_process

TOPIC_OF = {"RoutedEvent": ROUTED.name, "Action": ACTIONS.name, "ActionResult": ACTION_RESULTS.name}


def conversations_worker(
    settings: Settings, workdir: Path, name: str, **env: str
) -> tuple[ServiceProcess, str]:
    """(the worker, its consumer group): a group of its own that starts at the end of
    its three source topics, data and log under ``workdir``."""
    kafka.ensure_topics(settings, [ACTIONS, ACTION_RESULTS, CONVERSATIONS])
    (first, _), *others = SOURCES
    group = fresh_group(settings, f"socialcare-conversations-it-{name}", first.name)
    for spec, _ in others:
        skip_backlog(settings, group, spec.name)
    worker = worker_process(
        "conversations",
        group,
        workdir,
        name,
        {
            **env,
        },
    )
    return worker, group


def publish(settings: Settings, *items: Input) -> None:
    """Each input on its own topic, keyed by its conversation, acknowledged."""
    producer = kafka.producer(settings)
    try:
        for item in items:
            topic = TOPIC_OF[type(item).__name__]
            value = item.model_dump_json().encode()
            producer.send(topic, key=item.conversation_id.encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()
