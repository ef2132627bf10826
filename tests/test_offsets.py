"""The offset guard and in-order acks (socialcare.offsets): pure logic, no Kafka.

The failure they stop was found by tests/e2e/test_faults.py::
test_route_worker_killed_mid_stream against real Kafka; these tests pin each rule.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust.transport.consumer
import pytest
from faust.types import TP

from socialcare.offsets import AckInOrder, OffsetGuard, disable_gap_skipping

P0 = TP("social.events.classified", 0)
P1 = TP("social.events.classified", 1)


class FakeConsumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[TP, int]] = []
        self.gaps: list[tuple[TP, int, int]] = []
        self.assigned = {P0, P1}

    def assignment(self) -> set[TP]:
        return self.assigned

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        self.gaps.append((tp, offset_from, offset_to))

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


def event(tp: TP, offset: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, offset=offset))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def guard_with(committed: dict[TP, int | None], clock: Clock | None = None):
    consumer = FakeConsumer()
    asked: list[TP] = []

    async def lookup(tp: TP) -> int | None:
        asked.append(tp)
        return committed.get(tp)

    guard = OffsetGuard(consumer, lookup, clock=clock or Clock())
    return guard, consumer, asked


def admit(guard: OffsetGuard, *events) -> list[bool]:
    async def run() -> list[bool]:
        return [await guard.admit(e) for e in events]

    return asyncio.run(run())


def test_records_in_order_from_the_committed_offset_are_admitted_with_one_lookup():
    guard, consumer, asked = guard_with({P0: 100})
    assert admit(guard, *(event(P0, n) for n in range(100, 110))) == [True] * 10
    assert asked == [P0]  # only the first record of the partition asks Kafka
    assert consumer.seeks == []


def test_a_record_past_the_committed_offset_after_a_start_is_held_and_its_partition_reread():
    # The recovery race: the first record the stream sees is 7 past the commit.
    guard, consumer, _ = guard_with({P0: 100})
    assert admit(guard, event(P0, 107), event(P0, 108)) == [False, False]
    assert consumer.seeks == [(P0, 100)]  # one seek, not one per early record
    # The partition, re-read from 100, is admitted in order.
    assert admit(guard, *(event(P0, n) for n in range(100, 109))) == [True] * 9


def test_a_gap_in_the_middle_of_a_partition_is_reread_from_the_first_missing_offset():
    guard, consumer, _ = guard_with({P0: 0})
    assert admit(guard, event(P0, 0), event(P0, 1), event(P0, 5)) == [True, True, False]
    assert consumer.seeks == [(P0, 2)]
    assert admit(guard, event(P0, 2)) == [True]


def test_a_rewind_is_admitted_as_replays_are_harmless():
    guard, consumer, _ = guard_with({P0: 0})
    admit(guard, *(event(P0, n) for n in range(10)))
    assert admit(guard, event(P0, 4), event(P0, 5)) == [True, True]
    assert consumer.seeks == []


def test_records_another_worker_committed_meanwhile_are_no_gap():
    committed = {P0: 0}
    guard, consumer, _ = guard_with(committed)
    admit(guard, event(P0, 0), event(P0, 1))
    committed[P0] = 50  # the partition was away and came back; someone processed 2-49
    assert admit(guard, event(P0, 50)) == [True]
    assert consumer.seeks == []


def test_partitions_are_guarded_separately():
    guard, consumer, _ = guard_with({P0: 10, P1: 20})
    assert admit(guard, event(P0, 10), event(P1, 25), event(P0, 11)) == [True, False, True]
    assert consumer.seeks == [(P1, 20)]


def test_a_partition_whose_missing_record_does_not_come_is_sought_again():
    # A fetch under way can deliver one more stale record after the seek; faust then
    # drops the re-read records and none may come at all: a timer seeks again.
    clock = Clock()
    guard, consumer, _ = guard_with({P0: 100, P1: 7}, clock)

    async def run() -> None:
        await guard.admit(event(P0, 105))
        await guard.admit(event(P1, 9))
        clock.now = 3.0
        await guard.reseek_stalled()
        assert consumer.seeks == [(P0, 100), (P1, 7)]  # not yet
        clock.now = 6.0
        consumer.assigned = {P0}  # P1 went to another worker meanwhile
        await guard.reseek_stalled()
        assert consumer.seeks == [(P0, 100), (P1, 7), (P0, 100)]
        assert await guard.admit(event(P0, 100))
        clock.now = 20.0
        await guard.reseek_stalled()
        assert consumer.seeks == [(P0, 100), (P1, 7), (P0, 100)]  # re-read: no more seeks
        guard._watcher.cancel()

    asyncio.run(run())


def test_a_group_without_commits_admits_the_first_record_it_gets():
    guard, consumer, _ = guard_with({})
    assert admit(guard, event(P0, 42), event(P0, 43)) == [True, True]
    assert consumer.seeks == []


def test_faust_gap_tracking_is_turned_off():
    consumer = FakeConsumer()
    disable_gap_skipping(consumer)
    asyncio.run(consumer._add_gap(P0, 3, 9))
    assert consumer.gaps == []


def test_the_pinned_faust_still_has_the_method_the_guard_replaces():
    # A faust upgrade that renames it must fail here, not lose records silently.
    assert hasattr(faust.transport.consumer.Consumer, "_add_gap")
    with pytest.raises(RuntimeError):
        disable_gap_skipping(SimpleNamespace())


def test_acks_go_out_in_offset_order_whatever_order_events_become_durable_in():
    acked: list[tuple[TP, int]] = []

    async def ack(e) -> None:
        acked.append((e.message.tp, e.message.offset))

    async def run() -> None:
        acks = AckInOrder(ack)
        events = [event(P0, n) for n in range(5)] + [event(P1, 0)]
        for e in events:
            acks.track(e)
        await acks.done(events[2])
        await acks.done(events[5])  # another partition is not held up by P0's
        assert acked == [(P1, 0)]
        await acks.done(events[0])
        assert acked == [(P1, 0), (P0, 0)]
        await acks.done(events[1])
        assert acked == [(P1, 0), (P0, 0), (P0, 1), (P0, 2)]
        await acks.done(events[4])
        await acks.done(events[3])
        assert acked[-2:] == [(P0, 3), (P0, 4)]

    asyncio.run(run())
