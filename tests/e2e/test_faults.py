"""The guarantees of DESIGN.md under faults: 5,000 events flow while a worker is
killed, Elasticsearch or Kafka goes away, or poison arrives - and at the end every
accepted event is in Elasticsearch once (by count and by id set) and on every topic
downstream consumers read at least once, with the copies counted per topic.

Each fault is checked to have landed mid-stream: some but not all of the events had
gone through the faulty stage when it struck, or the test is only a throughput run.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from socialcare import elastic, kafka
from socialcare.classify.data import load
from socialcare.schema import DeadLetter, Event
from socialcare.topics import CLASSIFIED, DLQ, RAW, ROUTED
from socialcare_dev import tracking
from socialcare_dev.traffic import Traffic
from tests.support.census import EventCensus, assert_at_least_once, conversation_contacts
from tests.support.events import event_data
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


@pytest.fixture
def census(settings):
    """Started before the test publishes: it counts what the test's events became."""
    counting = EventCensus(settings)
    yield counting
    counting.close()


def publish(
    settings, count: int = EVENTS, conversations: int = 500, run: str | None = None
) -> list[str]:
    """``count`` raw events (corpus texts, round robin over the ``conversations``
    ``twitter:<run>-<n>``), acknowledged by Kafka.

    Each text carries its event's number: 475 corpus texts over 5,000 events would
    otherwise be 90 % exact repeats, which the classify worker's repeat cache answers
    in a blink, and a fault would land after the stage had already finished."""
    run = run or uuid.uuid4().hex[:8]
    producer = kafka.producer(settings, linger_ms=20)
    ids = []
    try:
        for n in range(count):
            event = Event.model_validate(
                event_data(
                    n,
                    platform_message_id=f"{run}-{n}",
                    conversation_id=f"twitter:{run}-{n % conversations}",
                    text=f"{TEXTS[n % len(TEXTS)]} ({n})",
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


def assert_exactly_once(
    es, alias: str, ids: list[str], census: EventCensus, timeout: float = 840
) -> None:
    """Once in Elasticsearch (where _id = event_id makes a second copy impossible);
    at least once on each topic, copies counted and printed per topic."""
    found = tracking.wait_searchable(es, alias, ids, timeout=timeout)
    assert found == len(ids), f"{len(ids) - found} accepted events lost"
    indexed = tracking.indexed_ids(es, alias, ids)
    assert set(indexed) == set(ids)
    assert set(indexed.values()) == {1}, "an event is in the index more than once"
    assert tracking.count(es, alias, ids) == len(ids)
    assert_at_least_once(census.report(ids))


def assert_mid_stream(done: int, stage: str) -> None:
    print(f"[fault] {done}/{EVENTS} events through {stage} when the fault struck")
    assert 0 < done < EVENTS, f"the fault did not land mid-stream ({done} through {stage})"


@contextlib.contextmanager
def killed(running, name: str):
    """The service ``name`` killed for the block and started again after it, also when
    the block fails: the pipeline is shared by the package's tests, and one failure
    must not leave the next test a worker short."""
    running.services[name].kill()
    try:
        yield
    finally:
        running.services[name].start()


def test_classify_worker_killed_mid_stream(pipeline, settings, es, census):
    running, alias = pipeline
    ids = publish(settings)
    census.wait_for(CLASSIFIED.name, ids, at_least=EVENTS // 5)
    with killed(running, "classify"):
        # The other replica keeps classifying: the whole stage must still be short.
        assert_mid_stream(census.seen(CLASSIFIED.name, ids), "classify")
    assert_exactly_once(es, alias, ids, census)


# This test found a faust defect (socialcare/offsets.py): after the restart, records
# fetched while a table recovery resumed the partitions were either committed across
# unprocessed (15 of 5,000 lost) or left a partition uncommitted for good.
@pytest.mark.timeout(600)
def test_route_worker_killed_mid_stream(pipeline, settings, es, census):
    running, alias = pipeline
    # Two inbound messages per conversation: the router must remember two contacts
    # for each, however often a replay after the kill delivers them again.
    run = uuid.uuid4().hex[:8]
    ids = publish(settings, conversations=EVENTS // 2, run=run)
    census.wait_for(ROUTED.name, ids, at_least=EVENTS // 5)
    with killed(running, "route"):
        assert_mid_stream(census.seen(ROUTED.name, ids), "route")
    assert_exactly_once(es, alias, ids, census, timeout=300)

    # A replayed event is not a new contact in its conversation's state, and it gets
    # the decision it got the first time (idempotent by event_id).
    app_id = running.services["route"].env["SOCIALCARE_ROUTE_APP_ID"]
    keys = {f"twitter:{run}-{n}" for n in range(EVENTS // 2)}
    changelog = f"{app_id}-conversations-changelog"
    deadline = time.monotonic() + 60  # the table's changelog writes trail the outputs
    while True:
        contacts = conversation_contacts(settings, changelog, keys)
        counted_twice = {key: n for key, n in contacts.items() if n != 2}
        if (set(contacts) == keys and not counted_twice) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert set(contacts) == keys
    changed = census.inconsistent_decisions(ids)
    print(f"[state] {len(counted_twice)} conversations miscounted, {len(changed)} redecided")
    assert not counted_twice and not changed, (
        f"{len(counted_twice)} conversations remember other than their 2 contacts, e.g. "
        f"{sorted(counted_twice.items())[:3]}; {len(changed)} replayed events routed "
        f"differently, e.g. {sorted(changed.items())[:1]}"
    )


def test_index_worker_killed_mid_bulk(pipeline, settings, es, census):
    running, alias = pipeline
    ids = publish(settings)
    wait_for(es, alias, ids, at_least=EVENTS // 5)
    with killed(running, "index"):
        assert_mid_stream(tracking.count(es, alias, ids), "index")
    assert_exactly_once(es, alias, ids, census)


def test_elasticsearch_stopped_for_30_seconds(pipeline, settings, es, stack, census):
    running, alias = pipeline
    ids = publish(settings)
    before = wait_for(es, alias, ids, at_least=EVENTS // 10)
    stack.elasticsearch.process.stop()
    try:
        assert_mid_stream(before, "index")
        time.sleep(30)
    finally:
        stack.elasticsearch.start_process(lambda _: None)
        stack.elasticsearch.wait_ready()
    assert running.services["index"].running, "the index worker should wait, not die"
    assert_exactly_once(es, alias, ids, census)


def test_kafka_restarted_while_ingest_takes_traffic(pipeline, settings, es, stack, census):
    running, alias = pipeline
    traffic = Traffic(uuid.uuid4().hex[:8], follow_up_share=0.2, backlog_share=0.0)
    accepted: list[str] = []
    unavailable = 0

    def send() -> None:
        nonlocal unavailable
        with httpx.Client(base_url=running.ingest_url, timeout=60) as client:
            while len(accepted) < EVENTS:
                delivery = traffic.next()
                while True:  # as the platforms do: the same delivery until it is taken
                    response = delivery.post(client)
                    if response.status_code != 503:
                        break
                    unavailable += 1
                    time.sleep(0.5)
                assert response.status_code == 200, response.text
                accepted.extend(response.json()["event_ids"])

    def until(condition, sender: Future, timeout: float = 300) -> None:
        """Wait for ``condition``; a failure in the sender surfaces here at once
        (not as the test's timeout)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if sender.done():
                sender.result()  # raises what the sender raised
                if not condition():
                    raise AssertionError("the sender finished before the condition held")
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

    with ThreadPoolExecutor(1) as pool:
        sender = pool.submit(send)
        until(lambda: len(accepted) >= EVENTS // 5, sender)
        stack.kafka.process.stop()
        assert_mid_stream(len(accepted), "ingest")
        # ingest says 503 rather than taking what it cannot keep
        until(lambda: unavailable > 0, sender)
        time.sleep(5)
        stack.kafka.start_process(lambda _: None)
        stack.kafka.wait_ready()
        sender.result(timeout=600)
    assert unavailable > 0
    assert_exactly_once(es, alias, accepted, census)


def test_poison_in_every_topic_goes_to_the_dlq_and_the_stream_goes_on(
    pipeline, settings, es, census
):
    _, alias = pipeline
    dlq = TopicTail(settings, DLQ.name)
    marker = uuid.uuid4().hex.encode()
    producer = kafka.producer(settings)
    for topic in (RAW.name, CLASSIFIED.name, ROUTED.name):
        producer.send(topic, key=marker, value=b"\xff{not an event " + marker)
    producer.flush()
    producer.close()
    ids = publish(settings)
    assert_exactly_once(es, alias, ids, census)

    # every consumer of a poisoned topic dead-letters it once, with the reason
    expected = {
        (RAW.name, "classify"),
        (CLASSIFIED.name, "route"),
        (CLASSIFIED.name, "alerts"),
        (ROUTED.name, "index"),
        (ROUTED.name, "conversations"),
    }
    letters = [
        DeadLetter.model_validate_json(r.value)
        for r in dlq.read(len(expected), timeout=60, match=lambda r: r.key == marker)
    ]
    dlq.close()
    assert sorted((letter.source_topic, letter.service) for letter in letters) == sorted(expected)
    assert all(letter.error for letter in letters)
