"""The conversations worker as a process on the real Kafka: a conversation's life on
support.conversations, repeats that change nothing, and its state kept across a crash
(the table is restored from its changelog).

Other conversations workers may run on the shared topics (other test sessions, a demo):
everything here is filtered by this test's own conversation id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialcare.schema import Conversation, ConversationStatus, DeadLetter
from socialcare.topics import CONVERSATIONS, DLQ, ROUTED
from tests.conversations.inputs import action, inbound, outbound, result
from tests.conversations.worker_process import conversations_worker, publish
from tests.support.kafka_tail import TopicTail
from tests.support.worker_process import SHORT_SESSION

pytestmark = pytest.mark.integration

OPEN, WAITING, RESOLVED = (
    ConversationStatus.open,
    ConversationStatus.waiting_customer,
    ConversationStatus.resolved,
)


@pytest.fixture
def worker(stack, settings, tmp_path):
    process, _ = conversations_worker(settings, tmp_path, "state", **SHORT_SESSION)
    process.start()
    yield process
    process.stop()


class States:
    """The states the worker publishes for one conversation, in order."""

    def __init__(self, settings, conversation: str) -> None:
        self.key = conversation.encode()
        self.tail = TopicTail(settings, CONVERSATIONS.name)

    def after(self, count: int, settle: float = 1.0) -> list[Conversation]:
        records = self.tail.read(expect=count, settle=settle, match=lambda r: r.key == self.key)
        return [Conversation.model_validate_json(r.value) for r in records]

    def latest(self, count: int) -> Conversation:
        states = self.after(count)
        assert len(states) == count, [s.status for s in states]
        return states[-1]


def test_a_conversations_life_repeats_and_a_crash(worker, settings):
    conversation = f"twitter:conv-it-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    at = lambda minutes: now + timedelta(minutes=minutes)  # noqa: E731
    states = States(settings, conversation)
    try:
        first = inbound(1, at(0), conversation)
        publish(settings, first)
        c = states.latest(1)
        assert (c.status, c.reopen_count, c.first_response_at) == (OPEN, 0, None)
        assert c.reply_to.event_id == first.event_id

        # A reply action changes nothing until its result says it was sent.
        publish(settings, action("reply-1", "reply", at(1), conversation))
        publish(settings, result("reply-1", at(2), conversation))
        c = states.latest(2)
        assert (c.status, c.first_response_at) == (WAITING, at(2))

        publish(settings, action("resolve-1", "resolve", at(3), conversation))
        c = states.latest(3)
        assert (c.status, c.resolved_at) == (RESOLVED, at(3))

        publish(settings, inbound(2, at(4), conversation))
        c = states.latest(4)
        assert (c.status, c.reopen_count, c.resolved_at) == (OPEN, 1, None)
        assert c.first_response_at == at(2)

        # The same inputs again change nothing and publish nothing.
        publish(
            settings,
            first,
            action("resolve-1", "resolve", at(3), conversation),
            result("reply-1", at(2), conversation),
        )
        # Ten seconds for anything extra to show (the redeliveries take milliseconds);
        # waiting for a fifth state would spend the whole read timeout.
        assert len(states.after(4, settle=10.0)) == 4

        # A crash: the state comes back from the changelog.
        worker.kill()
        worker.start()
        publish(settings, action("assign-1", "assign", at(5), conversation, agent="maria"))
        c = states.after(5, settle=2.0)[-1]
        assert (c.status, c.reopen_count, c.assignee) == (OPEN, 1, "maria")
        assert c.first_response_at == at(2) and c.opened_at == at(4)
        publish(settings, outbound(10, at(6), conversation))
        c = states.after(len(states.tail.records) + 1)[-1]
        assert (c.status, c.last_outbound_at) == (WAITING, at(6))
    finally:
        states.tail.close()


def test_a_poison_record_is_a_dead_letter_and_the_stream_goes_on(worker, settings):
    from socialcare import kafka

    conversation = f"twitter:poison-{uuid.uuid4().hex[:8]}"
    poison = b'{"event_id": "half an event'
    states = States(settings, conversation)
    dlq = TopicTail(settings, DLQ.name)
    try:
        producer = kafka.producer(settings)
        producer.send(ROUTED.name, key=conversation.encode(), value=poison)
        producer.flush(timeout=30)
        producer.close()
        publish(settings, inbound(1, datetime.now(UTC), conversation))
        assert states.latest(1).status == OPEN
        letters = dlq.read(expect=1, match=lambda r: r.key == conversation.encode())
        letter = DeadLetter.model_validate_json(letters[0].value)
        assert (letter.service, letter.source_topic) == ("conversations", ROUTED.name)
        assert letter.original_value() == poison
    finally:
        states.tail.close()
        dlq.close()
