import uuid

import pytest
from kafka import KafkaConsumer

from socialcare import kafka
from socialcare.schema import Event
from socialcare.topics import PIPELINE_TOPICS, TopicSpec
from tests.support.events import event_data

pytestmark = pytest.mark.integration


def test_stack_up_created_every_pipeline_topic_with_its_partitions(stack, settings):
    admin = kafka.admin_client(settings)
    try:
        described = {
            t["name"]: len(t["partitions"])
            for t in admin.describe_topics([t.name for t in PIPELINE_TOPICS])
        }
    finally:
        admin.close()
    assert described == {t.name: t.partitions for t in PIPELINE_TOPICS}


def test_ensure_topics_is_idempotent(stack, settings):
    spec = TopicSpec(f"test.idempotent.{uuid.uuid4().hex}", 2, Event, "test")
    assert kafka.ensure_topics(settings, [spec]) == [spec.name]
    assert kafka.ensure_topics(settings, [spec]) == []


def test_events_round_trip_through_kafka_in_order_per_conversation(stack, settings):
    spec = TopicSpec(f"test.roundtrip.{uuid.uuid4().hex}", 3, Event, "test")
    kafka.ensure_topics(settings, [spec])
    sent = [Event.model_validate(event_data(n)) for n in range(30)]
    producer = kafka.producer(settings)
    try:
        for event in sent:
            producer.send(spec.name, key=event.key, value=event.to_bytes())
        producer.flush(timeout=30)
    finally:
        producer.close()

    consumer = KafkaConsumer(
        spec.name,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    received: list[Event] = []
    partitions: dict[str, set[int]] = {}
    try:
        for record in consumer:
            event = Event.model_validate_json(record.value)
            assert record.key == event.key
            received.append(event)
            partitions.setdefault(event.conversation_id, set()).add(record.partition)
            if len(received) == len(sent):
                break
    finally:
        consumer.close()

    assert sorted(e.event_id for e in received) == sorted(e.event_id for e in sent)
    # One conversation lives on one partition, so its messages keep their order.
    assert all(len(p) == 1 for p in partitions.values())
    for conversation in partitions:
        ids = [e.event_id for e in received if e.conversation_id == conversation]
        assert ids == [e.event_id for e in sent if e.conversation_id == conversation]
