"""The route worker's conversation state on the real Kafka, through a real worker
process: idempotent by event_id across redelivery and restart, dead letters for
records the rules fail on (with the offset moving on), idle conversations expired
with a tombstone.

Other route workers may be running on the shared topics (other test sessions); they
route with the shipped rules. The workers here use rules whose only skill queue,
``support.queue.en.route_it``, no other worker writes to, and read their output there.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from socialcare import kafka
from socialcare.schema import ClassifiedEvent, DeadLetter, RoutedEvent
from socialcare.topics import CLASSIFIED, DLQ
from tests.support.classified_stream import classified
from tests.support.kafka_tail import TopicTail
from tests.support.route_worker import route_worker

pytestmark = pytest.mark.integration

QUEUE = "support.queue.en.route_it"
RULES = """\
version: 1
languages: {staffed: [en], fallback: en}
skills: {defect: route_it, order_issue: route_it, shipping: route_it, praise: route_it,
         other: route_it}
triage: {skill: route_it}
priority:
  default: P3
  rules:
    - name: repeated-contact
      when: {min_contacts: 3, within_minutes: 1440}
      priority: P2
first_response:
  minutes: {P1: 15, P2: 60, P3: 240, P4: 1440}
conversations:
  follow_up_bump: false
"""


@pytest.fixture
def worker(stack, settings, tmp_path):
    process, group = route_worker(settings, tmp_path, "state", RULES)
    process.start()
    yield process, group
    process.stop()


def publish(settings, *events: ClassifiedEvent | tuple[bytes, bytes]) -> list:
    """Publish and return each record's (partition, offset)."""
    producer = kafka.producer(settings)
    try:
        futures = [
            producer.send(CLASSIFIED.name, key=e[0], value=e[1])
            if isinstance(e, tuple)
            else producer.send(CLASSIFIED.name, key=e.key, value=e.to_bytes())
            for e in events
        ]
        producer.flush(timeout=30)
        return [(m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


def queued(tail: TopicTail, conversation: str, expect: int) -> list[bytes]:
    """The routed values of ``conversation`` on the test queue so far, in order."""
    records = tail.read(expect=expect, match=lambda r: r.key == conversation.encode())
    return [r.value for r in records]


def committed(settings, group: str, partition: int) -> int | None:
    consumer = kafka.consumer(settings, group_id=group, enable_auto_commit=False)
    try:
        return consumer.committed(TopicPartition(CLASSIFIED.name, partition))
    finally:
        consumer.close()


def rewind(settings, group: str, partition: int, offset: int) -> None:
    """Move the (stopped) worker's committed offset back: what it processed after it
    is delivered again, as after a crash before a commit or an operator's replay."""
    consumer = kafka.consumer(settings, group_id=group, enable_auto_commit=False)
    try:
        tp = TopicPartition(CLASSIFIED.name, partition)
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
    finally:
        consumer.close()


def test_a_redelivered_event_is_routed_the_same_and_counted_once(worker, settings):
    process, group = worker
    conversation = f"idem-{uuid.uuid4().hex[:8]}"
    a, b, c = (classified(conversation, n) for n in (1, 2, 3))
    tail = TopicTail(settings, QUEUE)
    try:
        [(partition, offset_a)] = publish(settings, a)
        first = queued(tail, conversation, 1)
        publish(settings, a)  # the same event again: an ingest dedup miss, a producer retry
        publish(settings, b)
        routed = queued(tail, conversation, 3)
        # After a restart everything from a's offset on is delivered again.
        process.stop()
        rewind(settings, group, partition, offset_a)
        process.start()
        publish(settings, c)
        routed = queued(tail, conversation, 5)
        for _ in range(10):  # more repeats may come first: read on until c is there
            if any(c.event_id.encode() in v for v in routed):
                break
            routed = queued(tail, conversation, len(routed) + 1)
    finally:
        tail.close()
    events = [RoutedEvent.model_validate_json(v) for v in routed]
    ids = [e.event_id for e in events]
    # a was published twice and both were delivered again after the restart; faust
    # may also deliver what it fetched before its first commit once more. How many
    # copies arrive varies: each one is a repeat.
    assert ids.count(a.event_id) >= 3 and ids.count(b.event_id) >= 2
    assert set(ids) == {a.event_id, b.event_id, c.event_id}
    # The same event gets the very same routed record, routed_at included, every time.
    copies = {e.event_id: set() for e in events}
    for value, event in zip(routed, events, strict=True):
        copies[event.event_id].add(value)
    assert copies[a.event_id] == {first[0]}
    assert all(len(values) == 1 for values in copies.values()), copies
    rules = {e.event_id: e.routing for e in events}
    assert rules[a.event_id].rule == "skill-map/default"
    assert rules[b.event_id].rule == "sticky/default"
    # a and b count once each, however often they came: c is the third contact.
    assert (rules[c.event_id].rule, rules[c.event_id].priority) == (
        "sticky/repeated-contact",
        "P2",
    )


def test_a_record_the_rules_fail_on_is_a_dead_letter_and_the_offset_moves_on(worker, settings):
    process, group = worker
    conversation = f"rules-fail-{uuid.uuid4().hex[:8]}"
    # Valid, but its deadline would be past the year 9999: the rules raise on it.
    doomed = classified(
        conversation, 1, created_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC).isoformat()
    )
    after = classified(conversation, 2)
    tail = TopicTail(settings, QUEUE, DLQ.name)
    try:
        [(partition, doomed_offset), _] = publish(settings, doomed, after)
        records = tail.read(
            expect=2,
            match=lambda r: (
                r.key == conversation.encode()
                and (
                    r.topic == QUEUE
                    or DeadLetter.model_validate_json(r.value).original_value() == doomed.to_bytes()
                )
            ),
        )
    finally:
        tail.close()
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == DLQ.name]
    assert letters, f"no dead letter:\n{process.tail()}"
    assert all(d.service == "route" and d.source_topic == CLASSIFIED.name for d in letters)
    assert any(d.offset == doomed_offset for d in letters)
    assert letters[0].error_type == "OverflowError"
    assert "out of range" in letters[0].error
    routed = [RoutedEvent.model_validate_json(r.value) for r in records if r.topic == QUEUE]
    assert [e.event_id for e in routed] == [after.event_id]
    # The group's committed offset moves past the record (faust commits every ~3 s).
    deadline = time.monotonic() + 30
    while (committed(settings, group, partition) or 0) <= doomed_offset:
        assert time.monotonic() < deadline, f"offset stuck at {doomed_offset}:\n{process.tail()}"
        time.sleep(0.5)
    assert process.running


def test_an_idle_conversation_is_forgotten_for_good(stack, settings, tmp_path):
    process, group = route_worker(
        settings,
        tmp_path,
        "expiry",
        RULES,
        SOCIALCARE_ROUTE_CONVERSATION_IDLE_SECONDS="2",
        SOCIALCARE_ROUTE_EXPIRY_INTERVAL_SECONDS="0.5",
    )
    process.start()
    conversation = f"idle-{uuid.uuid4().hex[:8]}"
    changelog = TopicTail(settings, f"{group}-conversations-changelog")
    tail = TopicTail(settings, QUEUE)
    try:
        publish(settings, classified(conversation, 1))
        assert queued(tail, conversation, 1)
        key = f'"{conversation}"'.encode()  # the table's keys are JSON
        writes = changelog.read(expect=2, timeout=30, match=lambda r: r.key == key)
        assert [w.value is None for w in writes] == [False, True], "no tombstone"
        # A restart restores the table from the changelog: the conversation stays gone,
        # so a new message starts a new conversation rather than a sticky follow-up.
        process.stop()
        process.start()
        follow_up = classified(conversation, 2)
        publish(settings, follow_up)
        routed = [RoutedEvent.model_validate_json(v) for v in queued(tail, conversation, 2)]
    finally:
        tail.close()
        changelog.close()
        process.stop()
    assert routed[-1].event_id == follow_up.event_id
    assert routed[-1].routing.rule == "skill-map/default"
