"""The documented example consumer works against the real broker."""

import importlib.util
import uuid

import pytest

from socialcare import kafka
from socialcare.schema import RoutedEvent
from socialcare.topics import queue_topic
from tests.support.events import CLASSIFICATION, ROUTING, event_data
from tests.support.paths import REPO

pytestmark = pytest.mark.integration


def test_example_consumer_reads_a_queue_and_drops_redeliveries(stack, settings):
    spec = importlib.util.spec_from_file_location(
        "queue_consumer", REPO / "docs" / "examples" / "queue_consumer.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    topic = queue_topic("en", f"example{uuid.uuid4().hex[:6]}")
    kafka.ensure_topics(settings, [topic])
    event = RoutedEvent.model_validate(
        event_data(1, classification=CLASSIFICATION, routing=ROUTING)
    )
    other = RoutedEvent.model_validate(
        event_data(2, classification=CLASSIFICATION, routing=ROUTING)
    )
    producer = kafka.producer(settings)
    for e in (event, event, other):  # the first one delivered twice
        producer.send(topic.name, key=e.key, value=e.to_bytes())
    producer.flush(timeout=30)
    producer.close()

    got = list(
        example.consume(
            topic.name,
            f"g-{uuid.uuid4().hex}",
            settings.kafka_bootstrap_servers,
            max_messages=2,
            idle_timeout_ms=15_000,
        )
    )
    assert sorted(e["event_id"] for e in got) == sorted([event.event_id, other.event_id])
    assert got[0]["routing"]["queue"] == ROUTING["queue"]
