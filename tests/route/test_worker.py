"""The route worker as a process on the real Kafka: topics, DLQ, stickiness."""

import json
import uuid

import pytest

from socialcare.schema import DeadLetter, RoutedEvent
from socialcare.topics import CLASSIFIED, DLQ, ROUTED
from tests.support.classified_stream import classified, publish, routed_by_id
from tests.support.kafka_tail import TopicTail
from tests.support.route_worker import route_worker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(stack, settings, tmp_path_factory):
    process, _ = route_worker(settings, tmp_path_factory.mktemp("route"), "shipped-rules")
    process.start()
    yield process
    process.stop()


def test_event_lands_in_its_queue_and_the_routed_stream(worker, settings):
    conversation = f"it-{uuid.uuid4().hex[:8]}"
    event = classified(conversation, 1, language="kk")
    tail = TopicTail(settings, ROUTED.name, "support.queue.kk.logistics")
    try:
        publish(settings, (event.key, event.to_bytes()))
        records = tail.read(expect=2, match=lambda r: r.key == conversation.encode())
    finally:
        tail.close()
    # A set: other route workers on the shared topics (other test sessions, a demo)
    # may route the same event with the same rules.
    assert {r.topic for r in records} == {"social.events.routed", "support.queue.kk.logistics"}
    for record in records:
        routed = RoutedEvent.model_validate_json(record.value)
        assert routed.event_id == event.event_id
        assert dict(record.headers)["event_id"] == event.event_id.encode()
        assert routed.routing.queue == "support.queue.kk.logistics"
        assert routed.routing.priority == "P2"  # a public complaint
        assert routed.routing.first_response_due_at is not None
        assert routed.classification == event.classification


def test_low_confidence_goes_to_triage_and_unstaffed_language_to_fallback(worker, settings):
    run = uuid.uuid4().hex[:8]
    unsure = classified(f"unsure-{run}", 1, score=0.2)
    italian = classified(f"it-{run}", 1, language="it")
    tail = TopicTail(settings, ROUTED.name)
    try:
        publish(settings, (unsure.key, unsure.to_bytes()), (italian.key, italian.to_bytes()))
        routed = routed_by_id(tail, 2, unsure.conversation_id, italian.conversation_id)
    finally:
        tail.close()
    assert routed[unsure.event_id][1].routing.queue == "support.queue.en.triage"
    assert routed[italian.event_id][1].routing.queue == "support.queue.en.logistics"
    assert routed[italian.event_id][1].routing.needs_translation is True


def test_poison_record_goes_to_the_dlq_and_the_stream_goes_on(worker, settings):
    conversation = f"poison-{uuid.uuid4().hex[:8]}"
    poison = b'{"event_id": "half an event'
    after = classified(conversation, 1)
    tail = TopicTail(settings, ROUTED.name, DLQ.name)
    try:
        publish(settings, (conversation.encode(), poison), (after.key, after.to_bytes()))
        records = tail.read(
            expect=2,
            match=lambda r: (
                r.key == conversation.encode()
                and (
                    r.topic == ROUTED.name
                    or DeadLetter.model_validate_json(r.value).original_value() == poison
                )
            ),
        )
    finally:
        tail.close()
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == DLQ.name]
    mine = [d for d in letters if d.original_value() == poison]
    # One letter per route worker reading the shared topic (other sessions' too).
    assert mine and {(d.service, d.source_topic) for d in mine} == {("route", CLASSIFIED.name)}
    assert all("Invalid JSON" in d.error for d in mine)
    routed = [json.loads(r.value)["event_id"] for r in records if r.topic == ROUTED.name]
    assert after.event_id in routed


def test_follow_up_stays_sticky_across_a_worker_restart(worker, settings):
    conversation = f"sticky-{uuid.uuid4().hex[:8]}"
    first = classified(conversation, 1, intent="shipping")
    tail = TopicTail(settings, ROUTED.name)
    try:
        publish(settings, (first.key, first.to_bytes()))
        assert first.event_id in routed_by_id(tail, 1, conversation)
        worker.stop()
        worker.start()  # the conversation table comes back from its changelog
        follow_up = classified(conversation, 2, intent="defect")
        publish(settings, (follow_up.key, follow_up.to_bytes()))
        routed = routed_by_id(tail, 2, conversation)
    finally:
        tail.close()
    routing = routed[follow_up.event_id][1].routing
    assert routing.queue == "support.queue.en.logistics"  # not tech_support
    assert routing.rule == "sticky/public-complaint+follow-up"
    assert routing.priority == "P1"
