"""Reading what tests caused on real topics: everything appended after a point."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from socialcare.settings import Settings


class TopicTail:
    """Remembers the end offsets of topics when created; reads what came after."""

    def __init__(self, settings: Settings, *topics: str) -> None:
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
        )
        self.partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        self.start = self.consumer.end_offsets(self.partitions)
        self.consumer.assign(self.partitions)
        for tp, offset in self.start.items():
            self.consumer.seek(tp, offset)
        self.records: list = []

    def read(
        self,
        expect: int,
        timeout: float = 60.0,
        settle: float = 1.0,
        match: Callable[[Any], bool] | None = None,
        until: Callable[[list], bool] | None = None,
    ) -> list:
        """Records since the start (only those ``match`` accepts), waiting until
        ``expect`` arrived (or until ``until`` accepts the records so far), then
        ``settle`` seconds more so that anything extra (a duplicate) would be seen too.
        Other traffic on the topics is skipped."""
        keep = match or (lambda _: True)
        done = until or (lambda records: len(records) >= expect)

        def poll(ms: int) -> None:
            for batch in self.consumer.poll(timeout_ms=ms).values():
                self.records.extend(r for r in batch if keep(r))

        deadline = time.monotonic() + timeout
        while not done(self.records) and time.monotonic() < deadline:
            poll(300)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            poll(200)
        return self.records

    def read_to_end(
        self, match: Callable[[Any], bool] | None = None, timeout: float = 30.0
    ) -> list:
        """Records since the start up to the end offsets as of this call (only those
        ``match`` accepts). Everything an answered request wrote lies below those
        offsets (its answer waited for Kafka's acknowledgement), so this proves what it
        did and did not publish without sleeping; other traffic is skipped."""
        keep = match or (lambda _: True)
        end = self.consumer.end_offsets(self.partitions)
        found: list = []
        deadline = time.monotonic() + timeout
        while any(self.consumer.position(tp) < end[tp] for tp in self.partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"did not reach the end offsets {end} in {timeout} s")
            for batch in self.consumer.poll(timeout_ms=200).values():
                found.extend(r for r in batch if keep(r))
        self.records.extend(found)
        return found

    def close(self) -> None:
        self.consumer.close()
