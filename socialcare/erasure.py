"""Right to erasure: the durable erasure record and the filter every store honours.

An erasure is a record on the compacted topic ``social.erasures``, keyed by a keyed
hash (HMAC-SHA-256) of platform + author id, so the record that says "forget this
person" carries no personal data itself: only hashes and the time of the erasure.

Every consumer that writes a store (the index worker, the router's conversation
table, replay, reprocessing into a new index) runs an ``ErasureFollower``: it reads
the whole topic at start, follows it in a background thread and answers
``covers(event)``. A worker processes nothing before the follower has read to the
end of the topic (``sync``), so an erasure acknowledged by Kafka is never missed
by a worker that starts later.

What an erasure covers, for an event created at or before the erasure time:
- every message the person wrote;
- the brand's messages in the person's own conversations (a conversation in which
  no other customer wrote: a DM thread, the person's public thread on X), which
  answer, quote or address them;
- the brand's direct replies to one of the person's messages in a shared thread
  (a Facebook comment thread, a Telegram group).
A message the person writes after the erasure is a new contact and is processed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from socialcare.logging import get_logger

if TYPE_CHECKING:  # imported lazily below: socialcare.topics imports this module
    from elasticsearch import AsyncElasticsearch

    from socialcare.settings import Settings

log = get_logger(__name__)

DEFAULT_TOPIC = "social.erasures"
# Not a secret: only the fallback when SOCIALCARE_ERASURE_KEY is unset (local stack,
# tests). Without a secret key, the hash of a phone number can be found by trying
# every number, so production sets one (and never changes it: the records of past
# erasures are keyed with it).
_FALLBACK_KEY = b"socialcare-erasure-v1"


class ErasureSettings(BaseSettings):
    """Settings of the erasure record, shared by the search API and every worker."""

    model_config = SettingsConfigDict(env_prefix="SOCIALCARE_", extra="ignore")

    erasure_topic: str = Field(
        DEFAULT_TOPIC, description="Compacted Kafka topic of erasure records."
    )
    erasure_key: SecretStr | None = Field(
        None,
        description="Secret HMAC key of the hashes in erasure records; the same in every "
        "service, never changed. Unset: a public fallback (hashes of phone numbers can "
        "then be reversed by trying them all).",
    )
    erasure_sync_timeout_seconds: float = Field(
        60.0, gt=0, description="Longest wait for the erasure topic to be read to its end."
    )

    def key(self) -> bytes:
        return self.erasure_key.get_secret_value().encode() if self.erasure_key else _FALLBACK_KEY


def _digest(key: bytes, kind: str, *parts: str) -> str:
    # 128 bits are plenty against collisions and keep records small.
    message = "\x00".join((kind, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def subject_hash(key: bytes, platform: str, author_id: str) -> str:
    return _digest(key, "author", platform, author_id)


def conversation_hash(key: bytes, conversation_id: str) -> str:
    return _digest(key, "conversation", conversation_id)


def message_hash(key: bytes, event_id: str) -> str:
    return _digest(key, "message", event_id)


class ErasureRecord(BaseModel):
    """One erased person on ``social.erasures`` (key: ``subject``). Hashes only."""

    schema_version: Literal[1] = 1
    erasure_id: str = Field(description="Id of the latest erasure request for this person.")
    subject: str = Field(description="HMAC of platform + author id.")
    erased_at: datetime = Field(
        description="Events created at or before this time are erased; later ones are new contacts."
    )
    conversations: list[str] = Field(
        default_factory=list, description="HMACs of the person's own conversation ids."
    )
    messages: list[str] = Field(
        default_factory=list,
        description="HMACs of the event ids of the person's messages in shared threads "
        "(the brand's direct replies to them are erased too).",
    )

    def merged(self, previous: ErasureRecord | None) -> ErasureRecord:
        """This record extended by what an earlier erasure of the same person covered:
        a retry finds fewer documents, and must not forget what the first attempt saw."""
        if previous is None:
            return self
        return self.model_copy(
            update={
                "erased_at": max(self.erased_at, previous.erased_at),
                "conversations": sorted({*self.conversations, *previous.conversations}),
                "messages": sorted({*self.messages, *previous.messages}),
            }
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def new_erasure_id() -> str:
    return uuid.uuid4().hex


class _Event(Protocol):
    platform: str
    conversation_id: str
    parent_id: str | None
    created_at: datetime

    @property
    def author(self) -> Any: ...


@dataclass
class ErasureSet:
    """The erasures read so far, and the question every consumer asks: is this event
    erased? Pure and in memory; ``ErasureFollower`` keeps one up to date."""

    key: bytes = _FALLBACK_KEY
    records: dict[str, ErasureRecord] = field(default_factory=dict)
    _conversations: dict[str, datetime] = field(default_factory=dict)
    _messages: dict[str, datetime] = field(default_factory=dict)

    def apply(self, record: ErasureRecord) -> None:
        self.records[record.subject] = record
        for h in record.conversations:
            self._conversations[h] = max(record.erased_at, self._conversations.get(h, _EPOCH))
        for h in record.messages:
            self._messages[h] = max(record.erased_at, self._messages.get(h, _EPOCH))

    def __len__(self) -> int:
        return len(self.records)

    def conversation_erased_at(self, conversation_id: str) -> datetime | None:
        if not self._conversations:
            return None
        return self._conversations.get(conversation_hash(self.key, conversation_id))

    def covers(self, event: _Event) -> bool:
        if not self.records:
            return False
        created = event.created_at
        record = self.records.get(subject_hash(self.key, event.platform, event.author.id))
        if record is not None and created <= record.erased_at:
            return True
        erased = self.conversation_erased_at(event.conversation_id)
        if erased is not None and created <= erased:
            return True
        if event.parent_id and self._messages:
            parent = message_hash(self.key, f"{event.platform}:{event.parent_id}")
            erased = self._messages.get(parent)
            if erased is not None and created <= erased:
                return True
        return False


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ErasureLogUnavailable(Exception):
    """The erasure topic could not be read to its end in time."""


def record_erasure(settings: Settings, erasure: ErasureSettings, record: ErasureRecord) -> None:
    """Write ``record`` and return only once Kafka acknowledged it (acks=all)."""
    from socialcare import kafka

    ensure_erasure_topic(settings, erasure)
    producer = kafka.producer(settings, linger_ms=0)
    try:
        producer.send(
            erasure.erasure_topic, key=record.subject.encode(), value=record.to_bytes()
        ).get(timeout=erasure.erasure_sync_timeout_seconds)
    finally:
        producer.close(timeout=10)


def ensure_erasure_topic(settings: Settings, erasure: ErasureSettings) -> None:
    from socialcare import kafka
    from socialcare.topics import ERASURES

    spec = ERASURES
    if erasure.erasure_topic != spec.name:
        spec = type(spec)(
            erasure.erasure_topic, spec.partitions, spec.model, spec.description, spec.config
        )
    kafka.ensure_topics(settings, [spec])


class ErasureFollower:
    """Reads the whole erasure topic, then follows it, in a daemon thread.

    Readiness: ``sync()`` returns once every record Kafka had acknowledged when it
    was called has been applied (``ErasureLogUnavailable`` after the timeout). A
    worker calls it before its first event and the index worker again after each
    bulk, so an erasure that raced a batch is caught.
    """

    def __init__(
        self,
        settings: Settings,
        erasure: ErasureSettings | None = None,
        *,
        keep_new: bool = False,
    ) -> None:
        self.settings = settings
        self.keep_new = keep_new  # only a worker that drain()s keeps the new records
        self.erasure = erasure or ErasureSettings()
        self.erasures = ErasureSet(key=self.erasure.key())
        self.version = 0  # bumped on every applied record
        self._new: list[ErasureRecord] = []
        self._positions: dict[Any, int] = {}
        self._changed = threading.Condition()
        self._offsets_lock = threading.Lock()
        self._offsets_consumer: Any = None
        self._partitions: list[Any] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the questions consumers ask --------------------------------------------------

    def covers(self, event: _Event) -> bool:
        return self.erasures.covers(event)

    def conversation_erased_at(self, conversation_id: str) -> datetime | None:
        return self.erasures.conversation_erased_at(conversation_id)

    def current(self, subject: str) -> ErasureRecord | None:
        return self.erasures.records.get(subject)

    def drain(self) -> list[ErasureRecord]:
        """The records applied since the last call (for a worker that must act on them)."""
        with self._changed:
            new, self._new = self._new, []
        return new

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> ErasureFollower:
        with self._offsets_lock:
            if self._thread is None:
                self._start()
        return self

    def _start(self) -> None:
        from kafka import TopicPartition

        from socialcare import kafka

        ensure_erasure_topic(self.settings, self.erasure)
        consumer = kafka.consumer(self.settings, enable_auto_commit=False)
        try:
            topic = self.erasure.erasure_topic
            deadline = time.monotonic() + self.erasure.erasure_sync_timeout_seconds
            while not (partitions := consumer.partitions_for_topic(topic)):
                if time.monotonic() > deadline:
                    raise ErasureLogUnavailable(f"topic {topic} has no partitions")
                time.sleep(0.2)
        except BaseException:
            consumer.close()
            raise
        self._offsets_consumer = consumer
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self._thread = threading.Thread(target=self._run, name="erasure-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._offsets_consumer is not None:
            self._offsets_consumer.close()

    def sync(self, timeout: float | None = None) -> None:
        """Block until every record acknowledged before this call has been applied."""
        self.start()
        timeout = self.erasure.erasure_sync_timeout_seconds if timeout is None else timeout
        with self._offsets_lock:  # kafka-python consumers are not thread-safe
            ends = self._offsets_consumer.end_offsets(self._partitions)
        deadline = time.monotonic() + timeout
        with self._changed:
            while not all(self._positions.get(tp, -1) >= end for tp, end in ends.items()):
                left = deadline - time.monotonic()
                if left <= 0 or not (self._thread and self._thread.is_alive()):
                    raise ErasureLogUnavailable(
                        f"erasure topic {self.erasure.erasure_topic} not read to its end "
                        f"within {timeout:.0f} s"
                    )
                self._changed.wait(min(left, 0.5))

    async def synced(self, timeout: float | None = None) -> None:
        await asyncio.to_thread(self.sync, timeout)

    async def caught_up(self) -> None:
        """``synced()`` for a worker: while Kafka is away it waits and retries, like
        every other Kafka call of a worker, instead of failing the batch."""
        from kafka.errors import KafkaError

        from socialcare.retry import retry_forever

        await retry_forever(
            self.synced,
            retry_on=lambda exc: isinstance(exc, ErasureLogUnavailable | KafkaError | OSError),
            event="erasure.log_unavailable",
            describe=lambda exc: {"error": repr(exc)},
        )

    def _run(self) -> None:
        from socialcare import kafka

        while not self._stop.is_set():
            consumer = None
            try:
                consumer = kafka.consumer(self.settings, enable_auto_commit=False)
                consumer.assign(self._partitions)
                consumer.seek_to_beginning(*self._partitions)
                while not self._stop.is_set():
                    batches = consumer.poll(timeout_ms=100)
                    records = [r for rs in batches.values() for r in rs]
                    positions = {tp: consumer.position(tp) for tp in self._partitions}
                    with self._changed:
                        for r in records:
                            self._apply(r.value)
                        self._positions = positions
                        self._changed.notify_all()
            except Exception as exc:  # Kafka away: keep what we have, reconnect
                log.warning("erasure.follower_error", error=repr(exc))
                self._stop.wait(1.0)
            finally:
                if consumer is not None:
                    consumer.close()

    def _apply(self, value: bytes | None) -> None:
        if value is None:
            return  # a tombstone: nothing on this topic withdraws an erasure
        try:
            record = ErasureRecord.model_validate_json(value)
        except ValueError as exc:
            log.error("erasure.bad_record", error=str(exc)[:300])
            return
        self.erasures.apply(record)
        if self.keep_new:
            self._new.append(record)
        self.version += 1


# --- Elasticsearch ---------------------------------------------------------------------


def erasure_targets(alias: str) -> list[str]:
    """Every index that may hold the person: those behind the alias, every version of
    it and every reprocessing copy (``<alias>-2-v1``), but not the audit log."""
    return [alias, f"{alias}-*", f"-{alias}-audit"]


@dataclass
class IndexPlan:
    """What one erasure deletes from Elasticsearch, found before anything is deleted."""

    documents: list[tuple[str, str]] = field(default_factory=list)  # (index, id)
    replies: list[tuple[str, str]] = field(default_factory=list)
    conversations: set[str] = field(default_factory=set)  # the person's own
    shared_messages: set[str] = field(default_factory=set)  # event ids in shared threads


_SCAN_SOURCE = ["conversation_id", "event_id", "platform", "platform_message_id"]


def _until(moment: datetime) -> dict[str, Any]:
    return {"range": {"created_at": {"lte": moment.isoformat()}}}


def _author_filter(platform: str, author_id: str) -> list[dict[str, Any]]:
    return [{"term": {"platform": platform}}, {"term": {"author.id": author_id}}]


async def _scan(
    es: AsyncElasticsearch, targets: list[str], query: dict[str, Any]
) -> list[dict[str, Any]]:
    from elasticsearch import helpers

    return [
        hit
        async for hit in helpers.async_scan(
            es,
            index=targets,
            query={"query": query, "_source": _SCAN_SOURCE},
            # Closed indices too: one that cannot be searched fails the erasure
            # loudly instead of keeping the person's messages silently.
            expand_wildcards="all",
            ignore_unavailable=False,
            size=1000,
        )
    ]


async def plan_index_erasure(
    es: AsyncElasticsearch, alias: str, platform: str, author_id: str
) -> IndexPlan:
    targets = erasure_targets(alias)
    await es.indices.refresh(index=targets, expand_wildcards="open")
    plan = IndexPlan()
    own = await _scan(es, targets, {"bool": {"filter": _author_filter(platform, author_id)}})
    plan.documents = [(h["_index"], h["_id"]) for h in own]
    conversations = {h["_source"]["conversation_id"] for h in own}
    if not conversations:
        return plan
    others = await es.search(
        index=targets,
        expand_wildcards="all",
        size=0,
        query={
            "bool": {
                "filter": [
                    {"terms": {"conversation_id": sorted(conversations)}},
                    {"term": {"direction": "inbound"}},
                ],
                "must_not": [{"bool": {"filter": _author_filter(platform, author_id)}}],
            }
        },
        aggs={"shared": {"terms": {"field": "conversation_id", "size": len(conversations)}}},
    )
    shared = {b["key"] for b in others["aggregations"]["shared"]["buckets"]}
    plan.conversations = conversations - shared
    in_shared = [h for h in own if h["_source"]["conversation_id"] in shared]
    plan.shared_messages = {h["_source"]["event_id"] for h in in_shared}
    answers: list[dict[str, Any]] = []
    if plan.conversations:
        answers.append({"terms": {"conversation_id": sorted(plan.conversations)}})
    if in_shared:
        parents = sorted({h["_source"]["platform_message_id"] for h in in_shared})
        answers.append(
            {
                "bool": {
                    "filter": [
                        {"term": {"platform": platform}},
                        {"terms": {"parent_id": parents}},
                    ]
                }
            }
        )
    replies = await _scan(
        es,
        targets,
        {
            "bool": {
                "filter": [{"term": {"direction": "outbound"}}],
                "should": answers,
                "minimum_should_match": 1,
            }
        },
    )
    mine = set(plan.documents)
    plan.replies = [(h["_index"], h["_id"]) for h in replies if (h["_index"], h["_id"]) not in mine]
    return plan


async def delete_documents(
    es: AsyncElasticsearch, documents: Iterable[tuple[str, str]]
) -> tuple[int, list[str]]:
    """Delete each document from its own index; returns (deleted, failures).

    A document already gone counts as done, so a retried erasure completes."""
    from elasticsearch import helpers

    actions = [{"_op_type": "delete", "_index": i, "_id": d} for i, d in documents]
    if not actions:
        return 0, []
    deleted, failures = 0, []
    async for ok, item in helpers.async_streaming_bulk(
        es, actions, raise_on_error=False, raise_on_exception=False, refresh=True
    ):
        result = item.get("delete", {})
        if ok or result.get("status") == 404:
            deleted += ok
            continue
        error = result.get("error") or {}
        reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
        failures.append(f"{result.get('_index')}: {error.get('type', 'error')}: {reason}")
    return deleted, failures


async def count_remaining(
    es: AsyncElasticsearch,
    alias: str,
    platform: str,
    author_id: str,
    plan: IndexPlan,
    erased_at: datetime,
) -> int:
    """What is still there of the person (and of the replies planned for deletion),
    up to the erasure time: a message written after it is a new contact."""
    targets = erasure_targets(alias)
    await es.indices.refresh(index=targets, expand_wildcards="open")
    ids = sorted({d for _, d in plan.replies})
    mine = [*_author_filter(platform, author_id), _until(erased_at)]
    should: list[dict[str, Any]] = [{"bool": {"filter": mine}}]
    if ids:
        should.append({"ids": {"values": ids}})
    result = await es.count(
        index=targets,
        expand_wildcards="all",
        query={"bool": {"should": should, "minimum_should_match": 1}},
    )
    return int(result["count"])


async def delete_late_arrivals(es: AsyncElasticsearch, alias: str, event_ids: list[str]) -> None:
    """Delete documents a worker wrote while an erasure covering them was recorded.

    The write goes through the alias, so the documents are in its write index."""
    documents = [(alias, i) for i in event_ids]
    _, failures = await delete_documents(es, documents)
    if failures:
        raise RuntimeError(f"could not delete erased documents: {failures[:3]}")


# --- one erasure, end to end -----------------------------------------------------------


@dataclass
class ErasureOutcome:
    erasure_id: str
    subject: str
    erased_at: datetime
    deleted: int = 0
    replies_deleted: int = 0
    conversations: int = 0
    failures: list[str] = field(default_factory=list)
    recorded: bool = False
    audit_id: str | None = None

    @property
    def complete(self) -> bool:
        return self.recorded and not self.failures


async def erase_author(
    es: AsyncElasticsearch,
    settings: Settings,
    follower: ErasureFollower,
    platform: str,
    author_id: str,
    *,
    alias: str,
    key_id: str,
) -> ErasureOutcome:
    """Erase one person: record it durably first, then delete from every index.

    Order matters: the record is on Kafka (acknowledged) before anything is deleted,
    so from then on no worker writes the person again, whatever it replays; the
    deletes that follow cannot be undone by a worker racing them. Idempotent: run it
    again after a failure and it finishes the job.
    """
    from elasticsearch.exceptions import ApiError, TransportError

    erasure = follower.erasure
    outcome = ErasureOutcome(
        erasure_id=new_erasure_id(),
        subject=subject_hash(erasure.key(), platform, author_id),
        erased_at=datetime.now(UTC),
    )
    try:
        plan = await plan_index_erasure(es, alias, platform, author_id)
    except (ApiError, TransportError) as exc:
        outcome.failures.append(f"searching the indices of {alias}: {_es_reason(exc)}")
        plan = IndexPlan()
    outcome.conversations = len(plan.conversations)
    if not await _record(settings, follower, plan, outcome):
        return outcome  # nothing deleted: without the record a replay would undo it
    await _delete_planned(es, alias, platform, author_id, plan, outcome)
    await _audit(es, alias, outcome, key_id)
    log.warning(
        "erasure.done" if outcome.complete else "erasure.incomplete",
        erasure_id=outcome.erasure_id,
        subject=outcome.subject,
        deleted=outcome.deleted,
        replies_deleted=outcome.replies_deleted,
        failures=len(outcome.failures),
        key_id=key_id,
    )
    return outcome


async def _record(
    settings: Settings, follower: ErasureFollower, plan: IndexPlan, outcome: ErasureOutcome
) -> bool:
    """Record the erasure on Kafka (merged with an earlier one of the same person);
    False, with the failure in ``outcome``, if Kafka did not acknowledge it."""
    from kafka.errors import KafkaError

    erasure = follower.erasure
    key = erasure.key()
    record = ErasureRecord(
        erasure_id=outcome.erasure_id,
        subject=outcome.subject,
        erased_at=outcome.erased_at,
        conversations=sorted(conversation_hash(key, c) for c in plan.conversations),
        messages=sorted(message_hash(key, e) for e in plan.shared_messages),
    )
    try:
        await follower.synced()
        record = record.merged(follower.current(outcome.subject))
        await asyncio.to_thread(record_erasure, settings, erasure, record)
    except (KafkaError, ErasureLogUnavailable, OSError) as exc:
        outcome.failures.append(f"recording the erasure on {erasure.erasure_topic}: {exc!r}")
        return False
    outcome.recorded = True
    return True


async def _delete_planned(
    es: AsyncElasticsearch,
    alias: str,
    platform: str,
    author_id: str,
    plan: IndexPlan,
    outcome: ErasureOutcome,
) -> None:
    """Delete what ``plan`` found, then check nothing of it is left."""
    from elasticsearch.exceptions import ApiError, TransportError

    if plan.documents or plan.replies:
        try:
            outcome.deleted, failures = await delete_documents(es, plan.documents)
            outcome.replies_deleted, more = await delete_documents(es, plan.replies)
            outcome.failures += failures + more
        except (ApiError, TransportError) as exc:
            outcome.failures.append(f"deleting: {_es_reason(exc)}")
    if not outcome.failures:
        try:
            left = await count_remaining(es, alias, platform, author_id, plan, outcome.erased_at)
            if left:
                outcome.failures.append(f"{left} documents are still there after deleting")
        except (ApiError, TransportError) as exc:
            outcome.failures.append(f"checking: {_es_reason(exc)}")


async def _audit(es: AsyncElasticsearch, alias: str, outcome: ErasureOutcome, key_id: str) -> None:
    """The audit record of the erasure, in ``<alias>-audit``: hashes, counts, failures."""
    from elasticsearch.exceptions import ApiError, TransportError

    try:
        audit = await es.index(
            index=f"{alias}-audit",
            document={
                "action": "erase_author",
                "erasure_id": outcome.erasure_id,
                "subject": outcome.subject,  # never the author id: the audit outlives them
                "deleted": outcome.deleted,
                "replies_deleted": outcome.replies_deleted,
                "complete": outcome.complete,
                "failures": outcome.failures,
                "key_id": key_id,
                "at": outcome.erased_at.isoformat(),
            },
            refresh="wait_for",
        )
        outcome.audit_id = audit["_id"]
    except (ApiError, TransportError) as exc:
        outcome.failures.append(f"writing the audit record: {_es_reason(exc)}")


def _es_reason(exc: Exception) -> str:
    from elasticsearch.exceptions import ApiError

    if isinstance(exc, ApiError):
        info = exc.info if isinstance(exc.info, dict) else {}
        error = info.get("error") if isinstance(info.get("error"), dict) else {}
        if error:
            return f"{error.get('type')}: {error.get('reason')}"
        return f"{exc.meta.status}: {exc.message}"
    return repr(exc)
