"""The guarantees of DESIGN.md under faults: 5,000 events flow while a worker is
killed, Elasticsearch or Kafka goes away, or poison arrives - and at the end every
accepted event is in Elasticsearch exactly once (by count and by id set)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from services import tracking
from services.classify.data import load
from services.traffic import Traffic
from socialcare import elastic, kafka
from socialcare.schema import DeadLetter, Event
from socialcare.topics import CLASSIFIED, DLQ, RAW, ROUTED
from tests.conftest import event_data
from tests.support.kafka_tail import TopicTail

# Each test moves 5,000 events through the real model; some wait out a fault.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
EVENTS = 5_000
TEXTS = [e.text for e in load(split="test")]


@pytest.fixture
def es(settings):
    client = elastic.client(settings)
    yield client
    client.close()


def publish(settings, count: int = EVENTS) -> list[str]:
    """``count`` raw events (corpus texts, 500 conversations), acknowledged by Kafka."""
    run = uuid.uuid4().hex[:8]
    producer = kafka.producer(settings, linger_ms=20)
    ids = []
    try:
        for n in range(count):
            event = Event.model_validate(
                event_data(
                    n,
                    platform_message_id=f"{run}-{n}",
                    conversation_id=f"twitter:{run}-{n % 500}",
                    text=TEXTS[n % len(TEXTS)],
                )
            )
            producer.send(RAW.name, key=event.key, value=event.to_bytes())
            ids.append(event.event_id)
        producer.flush(timeout=60)
    finally:
        producer.close()
    return ids


def wait_for(es, alias: str, ids: list[str], at_least: int, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while (found := tracking.count(es, alias, ids)) < at_least:
        assert time.monotonic() < deadline, f"only {found} of {at_least} indexed"
        time.sleep(0.5)
    return found


def assert_exactly_once(es, alias: str, ids: list[str]) -> None:
    found = tracking.wait_searchable(es, alias, ids, timeout=900)
    assert found == len(ids), f"{len(ids) - found} accepted events lost"
    indexed = tracking.indexed_ids(es, alias, ids)
    assert set(indexed) == set(ids)
    assert set(indexed.values()) == {1}, "an event is in the index more than once"
    assert tracking.count(es, alias, ids) == len(ids)


def test_classify_worker_killed_mid_stream(pipeline, settings, es):
    running, alias = pipeline
    ids = publish(settings)
    wait_for(es, alias, ids, at_least=EVENTS // 5)
    running.services["classify"].kill()
    running.services["classify"].start()
    assert_exactly_once(es, alias, ids)


def test_index_worker_killed_mid_bulk(pipeline, settings, es):
    running, alias = pipeline
    ids = publish(settings)
    wait_for(es, alias, ids, at_least=EVENTS // 5)
    running.services["index"].kill()
    running.services["index"].start()
    assert_exactly_once(es, alias, ids)


def test_elasticsearch_stopped_for_30_seconds(pipeline, settings, es, stack):
    running, alias = pipeline
    ids = publish(settings)
    before = wait_for(es, alias, ids, at_least=EVENTS // 10)
    stack.elasticsearch.process.stop()
    time.sleep(30)
    stack.elasticsearch.start_process(lambda _: None)
    stack.elasticsearch.wait_ready()
    assert running.services["index"].running, "the index worker should wait, not die"
    assert_exactly_once(es, alias, ids)
    assert before < EVENTS  # the outage really was mid-stream


def test_kafka_restarted_while_ingest_takes_traffic(pipeline, settings, es, stack):
    running, alias = pipeline
    traffic = Traffic(uuid.uuid4().hex[:8], follow_up_share=0.2, backlog_share=0.0)
    accepted: list[str] = []
    unavailable = 0
    done = threading.Event()

    def send() -> None:
        nonlocal unavailable
        with httpx.Client(base_url=running.ingest_url, timeout=60) as client:
            while len(accepted) < EVENTS:
                delivery = traffic.next()
                while True:  # as the platforms do: the same delivery until it is taken
                    response = client.post(
                        delivery.path, content=delivery.body, headers=delivery.headers
                    )
                    if response.status_code != 503:
                        break
                    unavailable += 1
                    time.sleep(0.5)
                assert response.status_code == 200, response.text
                accepted.extend(response.json()["event_ids"])
        done.set()

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while len(accepted) < EVENTS // 5:
        time.sleep(0.1)
    stack.kafka.process.stop()
    while unavailable == 0:  # ingest says 503 rather than taking what it cannot keep
        time.sleep(0.1)
    time.sleep(5)
    stack.kafka.start_process(lambda _: None)
    stack.kafka.wait_ready()
    assert done.wait(600), "the sender did not finish"
    assert unavailable > 0
    assert_exactly_once(es, alias, accepted)


def test_poison_in_every_topic_goes_to_the_dlq_and_the_stream_goes_on(pipeline, settings, es):
    _, alias = pipeline
    dlq = TopicTail(settings, DLQ.name)
    marker = uuid.uuid4().hex.encode()
    producer = kafka.producer(settings)
    for topic in (RAW.name, CLASSIFIED.name, ROUTED.name):
        producer.send(topic, key=marker, value=b"\xff{not an event " + marker)
    producer.flush()
    producer.close()
    ids = publish(settings)
    assert_exactly_once(es, alias, ids)

    letters = [
        DeadLetter.model_validate_json(r.value)
        for r in dlq.read(3, timeout=60, match=lambda r: r.key == marker)
    ]
    dlq.close()
    by_topic = {letter.source_topic: letter for letter in letters}
    assert set(by_topic) == {RAW.name, CLASSIFIED.name, ROUTED.name}
    assert {by_topic[t].service for t in by_topic} == {"classify", "route", "index"}
    assert all(letter.error for letter in letters)
