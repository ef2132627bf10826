"""What a restarted alerts worker takes over from its previous run: the alerts it
left open, read back from the compacted ``social.alerts`` (the latest state of every
alert), and the events it had counted, read again from ``social.events.classified``
up to its committed offsets, so the counts are warm at once (a spike still going is
still a spike against a baseline from before it, not against itself)."""

from __future__ import annotations

import time

from kafka import TopicPartition
from pydantic import ValidationError

from socialcare import kafka
from socialcare.logging import get_logger
from socialcare.schema import Alert, AlertStatus, ClassifiedEvent
from socialcare.settings import Settings
from socialcare.topics import ALERTS, CLASSIFIED

log = get_logger(__name__)


def open_alerts(settings: Settings, timeout: float = 60.0) -> list[Alert]:
    """Every alert whose latest state on social.alerts is not ``cleared``. Read to the
    end offsets as the worker starts; what cannot be read in ``timeout`` is left
    (its alerts are then not continued, and clear with the next spike's id)."""
    consumer = kafka.consumer(settings, enable_auto_commit=False)
    latest: dict[bytes, Alert | None] = {}
    try:
        partitions = [
            TopicPartition(ALERTS.name, p)
            for p in sorted(consumer.partitions_for_topic(ALERTS.name) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                log.warning("alerts.recovery_incomplete", read=len(latest))
                break
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    latest[record.key] = _alert(record.value)
    finally:
        consumer.close()
    return [a for a in latest.values() if a is not None and a.status != AlertStatus.cleared]


def _alert(value: bytes | None) -> Alert | None:
    if value is None:
        return None  # a tombstone
    try:
        return Alert.model_validate_json(value)
    except ValidationError:
        return None  # not ours to judge here: the consumers dead-letter it


def counted_before(
    settings: Settings, group: str, seconds: float, timeout: float = 60.0
) -> list[ClassifiedEvent]:
    """The events of social.events.classified that consumer ``group`` had consumed in
    the ``seconds`` before its committed offsets, oldest first (nothing for a new
    group). Read with a consumer of its own that joins no group."""
    consumer = kafka.consumer(settings, group_id=group, enable_auto_commit=False)
    events: list[ClassifiedEvent] = []
    try:
        ranges = _ranges(consumer, seconds)
        if not ranges:
            return []
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end for tp, (_, end) in ranges.items()):
            if time.monotonic() > deadline:
                log.warning("alerts.history_incomplete", read=len(events))
                break
            for tp, records in consumer.poll(timeout_ms=1000).items():
                counted = [r for r in records if r.offset < ranges[tp][1]]
                events += [e for r in counted if (e := _event(r.value)) is not None]
                if consumer.position(tp) >= ranges[tp][1]:
                    consumer.pause(tp)  # what came after is the worker's to consume
    finally:
        consumer.close()
    return sorted(events, key=lambda e: e.received_at)


def _ranges(consumer, seconds: float) -> dict[TopicPartition, tuple[int, int]]:
    """Per partition with a committed offset: (the offset ``seconds`` before the last
    consumed record, the committed offset)."""
    partitions = [
        TopicPartition(CLASSIFIED.name, p)
        for p in sorted(consumer.partitions_for_topic(CLASSIFIED.name) or ())
    ]
    committed: dict[TopicPartition, int] = {}
    wanted: dict[TopicPartition, int] = {}
    for tp in partitions:
        found = consumer.committed(tp, metadata=True)
        if found is None or not found.offset or found.metadata == kafka.BACKLOG_SKIPPED:
            continue  # nothing consumed there: what lies before was never counted
        last = _timestamp_at(consumer, tp, found.offset - 1)
        if last is not None:
            committed[tp] = found.offset
            wanted[tp] = last - int(seconds * 1000)
    if not wanted:
        return {}
    starts = consumer.offsets_for_times(wanted)
    return {
        tp: (found.offset if found else committed[tp], committed[tp])
        for tp, found in starts.items()
    }


def _timestamp_at(consumer, tp: TopicPartition, offset: int) -> int | None:
    """The timestamp (ms) of the record at ``offset``; None when it is gone."""
    consumer.assign([tp])
    consumer.seek(tp, offset)
    for record in consumer.poll(timeout_ms=5000, max_records=1).get(tp, []):
        return record.timestamp
    return None


def _event(value: bytes | None) -> ClassifiedEvent | None:
    if value is None:
        return None
    try:
        return ClassifiedEvent.model_validate_json(value)
    except ValidationError:
        return None  # dead-lettered when it was consumed
