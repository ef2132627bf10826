"""The conversation states' batch, without Kafka or Elasticsearch: which write each
record becomes (a state replaces its document, a tombstone or an erased customer's
state deletes it, a conversation's last record of a batch wins)."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from socialcare.erasure import ErasureRecord, ErasureSet, subject_hash
from socialcare.index.conversations import ConversationBatch, measures
from socialcare.route.config import DEFAULT_CONFIG, load_config
from socialcare.schema import Conversation, ConversationStatus, ReplyTarget

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Message:
    key: bytes | None
    value: bytes | None


@dataclass
class Record:
    message: Message


class RecordingIndexer:
    alias = "test-conversations"

    def __init__(self) -> None:
        self.written: list[dict] = []

    async def write(self, actions: dict) -> dict[str, str]:
        self.written.append(actions)
        return {}


def state(conversation_id: str, customer: str, **fields) -> Conversation:
    fields = {
        "status": ConversationStatus.open,
        "opened_at": NOW,
        "last_activity_at": NOW,
        **fields,
    }
    return Conversation(
        conversation_id=conversation_id,
        platform="telegram",
        brand_account_id="bot",
        reply_to=ReplyTarget(
            event_id=f"telegram:{conversation_id}",
            platform="telegram",
            brand_account_id="bot",
            kind="dm",
            platform_message_id=conversation_id,
            recipient_id=customer,
            customer_wrote_at=NOW,
        ),
        **fields,
    )


def record(value: Conversation | None, key: str | None = None) -> Record:
    key = key if value is None else value.conversation_id
    return Record(Message(key.encode(), value.to_bytes() if value else None))


def test_each_record_becomes_its_write():
    erasures = ErasureSet()
    erasures.apply(
        ErasureRecord(
            erasure_id="e-1",
            subject=subject_hash(erasures.key, "telegram", "u-erased"),
            erased_at=NOW + timedelta(minutes=1),
        )
    )
    indexer = RecordingIndexer()
    batch = ConversationBatch(indexer, erasures, dlq=None)
    resolved = state("c-1", "u-1", status=ConversationStatus.resolved)
    dead = asyncio.run(
        batch(
            [
                record(state("c-1", "u-1")),
                record(state("c-2", "u-erased")),
                record(None, key="c-3"),
                record(resolved),  # c-1 again: the later state wins
            ]
        )
    )
    assert dead == []
    [actions] = indexer.written
    assert {i: a["_op_type"] for i, a in actions.items()} == {
        "c-2": "delete",
        "c-3": "delete",
        "c-1": "index",
    }
    assert actions["c-1"]["_source"]["status"] == "resolved"
    assert actions["c-1"]["_index"] == "test-conversations"


def test_business_hours_first_response_counts_only_staffed_time():
    """Opened Friday 19:00 in Zagreb (staffed 08-20 on weekdays), answered Monday
    08:30: 61.5 hours on the wall clock, 1.5 hours of staffed time."""
    hours = load_config(DEFAULT_CONFIG).business_hours
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)  # 19:00 in Zagreb
    answered = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # Monday 08:30
    fields = {
        "opened_at": friday_evening,
        "first_response_at": answered,
        "last_activity_at": answered,
    }
    croatian = state("c-hr", "u-1", queue="support.queue.hr.orders", **fields)
    english = state("c-en", "u-2", queue="support.queue.en.orders", **fields)

    hr, en = (measures(s, hours) for s in (croatian, english))

    assert hr["first_response_ms"] == en["first_response_ms"] == 61.5 * 3_600_000
    assert hr["first_response_business_ms"] == 1.5 * 3_600_000
    # A queue without business hours is staffed around the clock.
    assert en["first_response_business_ms"] == en["first_response_ms"]
    assert "first_response_business_ms" not in measures(state("c-open", "u-3"), hours)
