"""An erased customer's conversation is forgotten by the conversations worker: a
tombstone on support.conversations and on its changelog, their replayed messages are
dropped, and a message they write afterwards is a new contact. So is a shared thread
whose latest customer message (what a reply would answer) is theirs."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialcare.erasure import (
    ErasureRecord,
    ErasureSettings,
    conversation_hash,
    record_erasure,
    subject_hash,
)
from socialcare.schema import Conversation
from socialcare.topics import CONVERSATIONS
from tests.conversations.inputs import inbound
from tests.conversations.worker_process import conversations_worker, publish
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration


def test_an_erased_conversation_is_tombstoned_and_stays_forgotten(
    stack, settings, tmp_path, monkeypatch
):
    topic = f"test.erasures.{uuid.uuid4().hex[:8]}"  # this test's erasures touch no other
    monkeypatch.setenv("SOCIALCARE_ERASURE_TOPIC", topic)
    worker, group = conversations_worker(
        settings, tmp_path, "erasure", SOCIALCARE_ERASURE_TOPIC=topic
    )
    conversation = f"twitter:erase-{uuid.uuid4().hex[:8]}"
    past = datetime.now(UTC) - timedelta(hours=1)
    first = [inbound(n, past + timedelta(minutes=n), conversation) for n in (1, 2)]
    shared = f"twitter:thread-{uuid.uuid4().hex[:8]}"  # a thread, not theirs alone
    key, stored_key = conversation.encode(), json.dumps(conversation).encode()

    def ours(record) -> bool:
        return record.key in (key, shared.encode())

    worker.start()
    # The changelog exists once the worker has started.
    states = TopicTail(settings, CONVERSATIONS.name)
    changelog = TopicTail(settings, f"{group}-conversations-changelog")
    try:
        publish(settings, *first, inbound(1, past, shared))
        assert [r.key for r in states.read(expect=3, match=ours)].count(key) == 2

        erasure = ErasureSettings()
        record_erasure(
            settings,
            erasure,
            ErasureRecord(
                erasure_id=uuid.uuid4().hex,
                subject=subject_hash(erasure.key(), "twitter", first[0].author.id),
                erased_at=datetime.now(UTC),
                conversations=[conversation_hash(erasure.key(), conversation)],
            ),
        )
        tombstones = states.read(expect=5, match=ours)[3:]
        assert {(r.key, r.value) for r in tombstones} == {(key, None), (shared.encode(), None)}
        stored = changelog.read(expect=3, match=lambda r: r.key == stored_key)
        assert [r.value is None for r in stored] == [False, False, True]

        # Replayed: the old messages are dropped; one written now is a new contact.
        again = inbound(3, datetime.now(UTC) + timedelta(seconds=1), conversation)
        publish(settings, *first, again)
        after = states.read(expect=6, settle=3.0, match=ours)[5:]
    finally:
        worker.stop()
        states.close()
        changelog.close()
    assert len(after) == 1, "the replayed messages brought the erased conversation back"
    fresh = Conversation.model_validate_json(after[0].value)
    assert fresh.reply_to.event_id == again.event_id
    assert fresh.opened_at == again.created_at and fresh.reopen_count == 0
