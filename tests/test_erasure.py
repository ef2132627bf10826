"""The erasure record and the filter every store applies: pure logic, no Kafka."""

from datetime import UTC, datetime, timedelta

from socialcare.erasure import (
    ErasureRecord,
    ErasureSet,
    ErasureSettings,
    conversation_hash,
    message_hash,
    subject_hash,
)
from socialcare.schema import Event
from socialcare.topics import (
    CONVERSATIONS_CHANGELOG_CONFIG,
    DLQ,
    ERASURES,
    PIPELINE_TOPICS,
    RETENTION,
    queue_topic,
)
from tests.support.events import event_data

KEY = b"test-key"
ERASED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY_MS = 86_400_000


def event(**overrides) -> Event:
    data = event_data(
        1,
        platform="whatsapp",
        author={"id": "+4915112345678"},
        conversation_id="whatsapp:brand:+4915112345678",
        kind="dm",
    )
    return Event.model_validate({**data, **overrides})


def erased(**record) -> ErasureSet:
    erasures = ErasureSet(key=KEY)
    erasures.apply(
        ErasureRecord(
            erasure_id="e1",
            subject=subject_hash(KEY, "whatsapp", "+4915112345678"),
            erased_at=ERASED_AT,
            **record,
        )
    )
    return erasures


def test_the_record_holds_no_personal_data():
    record = ErasureRecord(
        erasure_id="e1",
        subject=subject_hash(KEY, "whatsapp", "+4915112345678"),
        erased_at=ERASED_AT,
        conversations=[conversation_hash(KEY, "whatsapp:brand:+4915112345678")],
        messages=[message_hash(KEY, "whatsapp:wamid.1")],
    )
    assert b"4915112345678" not in record.to_bytes()
    assert b"wamid" not in record.to_bytes()
    # Keyed: without the key the hash of a phone number cannot be recomputed.
    assert subject_hash(b"other", "whatsapp", "+4915112345678") != record.subject


def test_the_fallback_key_is_used_only_when_no_key_is_set():
    assert ErasureSettings(erasure_key="s3cret").key() == b"s3cret"
    assert ErasureSettings().key() != b""


def test_messages_written_before_the_erasure_are_covered_later_ones_are_new_contacts():
    erasures = erased()
    assert erasures.covers(event(created_at=ERASED_AT - timedelta(days=3)))
    assert erasures.covers(event(created_at=ERASED_AT))
    assert not erasures.covers(event(created_at=ERASED_AT + timedelta(seconds=1)))
    # Same id on another platform is another person.
    assert not erasures.covers(event(platform="telegram", created_at=ERASED_AT))


def test_the_brands_replies_in_the_persons_own_conversation_are_covered():
    conversation = "whatsapp:brand:+4915112345678"
    erasures = erased(conversations=[conversation_hash(KEY, conversation)])
    reply = event(
        direction="outbound",
        author={"id": "brand"},
        created_at=ERASED_AT - timedelta(hours=1),
    )
    assert erasures.covers(reply)
    assert not erasures.covers(reply.model_copy(update={"conversation_id": "whatsapp:brand:+1"}))
    assert erasures.conversation_erased_at(conversation) == ERASED_AT


def test_a_direct_reply_to_an_erased_message_in_a_shared_thread_is_covered():
    erasures = erased(messages=[message_hash(KEY, "facebook:c-1")])
    reply = event(
        platform="facebook",
        kind="reply",
        direction="outbound",
        author={"id": "page"},
        conversation_id="facebook:c-0",
        parent_id="c-1",
        created_at=ERASED_AT - timedelta(hours=1),
    )
    assert erasures.covers(reply)
    assert not erasures.covers(reply.model_copy(update={"parent_id": "c-2"}))


def test_a_retry_keeps_what_the_first_attempt_found():
    first = ErasureRecord(
        erasure_id="e1", subject="s", erased_at=ERASED_AT, conversations=["a"], messages=["m"]
    )
    retry = ErasureRecord(
        erasure_id="e2", subject="s", erased_at=ERASED_AT + timedelta(minutes=5)
    ).merged(first)
    assert (retry.conversations, retry.messages) == (["a"], ["m"])
    assert retry.erased_at == ERASED_AT + timedelta(minutes=5)
    assert retry.erasure_id == "e2"


def test_every_topic_has_a_retention_that_fits_a_privacy_review():
    for spec in PIPELINE_TOPICS:
        assert "retention.ms" in spec.config, spec.name
    events = [s for s in PIPELINE_TOPICS if s.name.startswith("social.events.") and s is not DLQ]
    assert {int(s.config["retention.ms"]) for s in events} == {7 * DAY_MS}
    assert int(queue_topic("en", "orders").config["retention.ms"]) == 7 * DAY_MS
    assert int(DLQ.config["retention.ms"]) == 14 * DAY_MS
    # Erasures are compacted and kept: forgetting one would let a replay undo it.
    assert ERASURES.config == {"cleanup.policy": "compact", "retention.ms": "-1"}
    assert {
        "cleanup.policy": "compact,delete",
        "retention.ms": str(30 * DAY_MS),
    } == CONVERSATIONS_CHANGELOG_CONFIG
    assert RETENTION.index_days == 180
