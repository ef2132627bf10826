"""Source offsets a worker may commit: never past a record it has not processed.

faust-streaming (0.15.3, pinned) can lose records after a restart. When a table's
recovery completes it resumes the source partitions *before* it seeks them back to
the committed offsets, so a fetch already under way can still deliver records from
the old position once the seek is done. faust then sees the next record of that
partition "skip ahead" and does one of two things:

- it records the skipped offsets as a *gap* (which it believes were compacted away or
  were transaction markers) and later commits across it: the records are lost;
- or it drops the records it re-reads below its read position: they are never
  processed, never acknowledged, and the partition's commit stays where it was
  for good (lag that never drains, although the worker is idle).

Our source topics are neither compacted nor transactional, so a gap in their offsets
is never real. `OffsetGuard` turns faust's gap tracking off for the worker and checks
every record a stream delivers against the offset it expects for that partition;
a record that comes early makes it seek the partition back to the first offset it
has not seen, and records are dropped (unacknowledged, so uncommitted) until that one
arrives. `AckInOrder` acknowledges records in offset order per partition, because
faust commits up to the lowest acknowledged offset plus the run after it, and
treats a hole right after the last commit as no hole at all.

The route kill test (tests/e2e/test_faults.py) found both failures: 15 of 5,000
events lost in one run, a partition stuck with 662 uncommitted records in another.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import faust
from faust.types import TP, EventT
from kafka import TopicPartition
from kafka.errors import KafkaError

from socialcare import kafka
from socialcare.logging import get_logger
from socialcare.retry import retry_forever
from socialcare.settings import Settings

log = get_logger(__name__)

# How long a partition may wait for the record it was sought back to before the seek
# is repeated (a fetch under way when the seek ran can override it once more).
RESEEK_AFTER_SECONDS = 5.0

CommittedOffset = Callable[[TP], Awaitable[int | None]]


def group_committed_offset(settings: Settings, group: str) -> CommittedOffset:
    """The consumer group's committed offset of a partition (None when it has none),
    read with an admin client off the event loop; while Kafka is away it waits, as
    every Kafka call of a worker does."""

    def read(tp: TP) -> int | None:
        admin = kafka.admin_client(settings)
        try:
            partition = TopicPartition(tp.topic, tp.partition)
            offsets = admin.list_group_offsets({group: [partition]}).get(group, {})
        finally:
            admin.close()
        found = offsets.get(partition)
        return found.offset if found is not None and found.offset >= 0 else None

    async def committed(tp: TP) -> int | None:
        async def attempt() -> int | None:
            return await asyncio.to_thread(read, tp)

        return await retry_forever(
            attempt,
            retry_on=lambda exc: isinstance(exc, KafkaError | OSError),
            event="stream.committed_offset_unavailable",
            topic=tp.topic,
            partition=tp.partition,
        )

    return committed


async def _no_gap(tp: TP, offset_from: int, offset_to: int) -> None:
    """In place of faust's ``Consumer._add_gap``: our topics have no real gaps."""


def disable_gap_skipping(consumer: faust.types.ConsumerT) -> None:
    # faust looks the method up on the instance (``self._add_gap``) for every record
    # whose offset is not its read position plus one.
    if not hasattr(consumer, "_add_gap"):
        raise RuntimeError("faust's Consumer has no _add_gap: re-check socialcare.offsets")
    consumer._add_gap = _no_gap  # type: ignore[attr-defined]


@dataclass
class _Refetch:
    offset: int
    sought_at: float


@dataclass
class OffsetGuard:
    """Admits each partition's records in offset order, from the committed offset on."""

    consumer: faust.types.ConsumerT
    committed: CommittedOffset
    clock: Callable[[], float] = time.monotonic
    _next: dict[TP, int] = field(default_factory=dict)
    _refetching: dict[TP, _Refetch] = field(default_factory=dict)
    _watcher: asyncio.Future | None = None

    def __post_init__(self) -> None:
        disable_gap_skipping(self.consumer)

    async def admit(self, event: EventT) -> bool:
        """Whether to process ``event``; False for a record that came before the ones
        it follows (its partition is being re-read from the first one missing)."""
        tp, offset = event.message.tp, event.message.offset
        expected = self._next.get(tp)
        if expected is None:
            expected = await self.committed(tp)  # the first record after a start
        if expected is None or offset <= expected:
            # In order, or a rewind: faust re-reads from the committed offset after a
            # rebalance, and processing again is harmless (idempotent by event_id).
            self._next[tp] = offset + 1
            self._refetching.pop(tp, None)
            return True
        if tp not in self._refetching:
            # Another worker may have had the partition and committed past ``expected``.
            committed = await self.committed(tp)
            if committed is not None and committed >= offset:
                self._next[tp] = offset + 1
                return True
            log.warning(
                "stream.offset_gap",
                topic=tp.topic,
                partition=tp.partition,
                expected=expected,
                got=offset,
            )
            await self._seek(tp, expected)
        self._next[tp] = expected
        return False

    async def reseek_stalled(self) -> None:
        """Seek again each partition whose missing record has not come: a fetch that
        was under way when it was sought can deliver one more stale record, which
        moves faust's read position past the records being re-read (faust then
        drops them, and no record may come at all)."""
        assigned = self.consumer.assignment()
        for tp, refetch in list(self._refetching.items()):
            if tp not in assigned:
                del self._refetching[tp]  # its new owner reads it from the commit
            elif self.clock() - refetch.sought_at > RESEEK_AFTER_SECONDS:
                log.warning("stream.offset_reseek", topic=tp.topic, partition=tp.partition)
                await self._seek(tp, refetch.offset)

    async def watch(self) -> None:
        """Run `reseek_stalled` every few seconds while a partition is being re-read."""
        try:
            while self._refetching:
                await asyncio.sleep(RESEEK_AFTER_SECONDS / 2)
                try:
                    await self.reseek_stalled()
                except Exception as exc:  # a rebalance raced the seek: the next round retries
                    log.warning("stream.offset_reseek_failed", error_type=type(exc).__name__)
        finally:
            self._watcher = None

    async def _seek(self, tp: TP, offset: int) -> None:
        self._refetching[tp] = _Refetch(offset, self.clock())
        await self.consumer.seek(tp, offset)
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self.watch())


class AckInOrder:
    """Acknowledges events in offset order per partition, whatever order they become
    durable in: ``done(event)`` acks it with every durable event before it."""

    def __init__(self, ack: Callable[[EventT], Awaitable[object]]) -> None:
        self._ack = ack
        self._pending: dict[TP, deque[list]] = {}

    def track(self, event: EventT) -> None:
        self._pending.setdefault(event.message.tp, deque()).append([event, False])

    async def done(self, event: EventT) -> None:
        queue = self._pending[event.message.tp]
        for entry in queue:
            if entry[0] is event:
                entry[1] = True
                break
        while queue and queue[0][1]:
            await self._ack(queue.popleft()[0])


def offset_guard(app: faust.App, settings: Settings) -> OffsetGuard:
    """The guard of a worker's source partitions: its consumer, its group's offsets.
    Build it in the agent, once faust has created the consumer."""
    return OffsetGuard(app.consumer, group_committed_offset(settings, app.conf.id))
