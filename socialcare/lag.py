"""Consumer lag of a worker's group: how many records wait on each partition.

Measured from outside the consumer, the way KEDA's Kafka scaler measures it: the
partition's end offset minus the group's committed offset. A worker publishes its
own group's lag as ``socialcare_consumer_lag`` so one dashboard shows every stage's
backlog; a rising lag on one service is the bottleneck.
"""

from __future__ import annotations

import contextlib

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from prometheus_client import Gauge

from socialcare import kafka
from socialcare.settings import Settings

CONSUMER_LAG = Gauge(
    "socialcare_consumer_lag",
    "Records on a partition the service's consumer group has not committed yet.",
    ["service", "group", "topic", "partition"],
)


class LagProbe:
    """Keeps one admin client; call ``measure`` periodically."""

    def __init__(self, settings: Settings, group: str, service: str) -> None:
        self.settings, self.group, self.service = settings, group, service
        self._admin: KafkaAdminClient | None = None

    def measure(self, topics: set[str]) -> dict[TopicPartition, int]:
        """Lag per partition of ``topics`` (internal changelogs are left out)."""
        if self._admin is None:
            self._admin = kafka.admin_client(self.settings)
        try:
            lag = self._lag(self._admin, topics)
        except Exception:
            # After a broker restart kafka-python's admin client kept failing with
            # NodeNotReadyError for good (the Kafka fault test); a new one connects.
            self.close()
            raise
        for tp, records in lag.items():
            CONSUMER_LAG.labels(self.service, self.group, tp.topic, str(tp.partition)).set(records)
        return lag

    def _lag(self, admin: KafkaAdminClient, topics: set[str]) -> dict[TopicPartition, int]:
        committed = {
            tp: meta.offset
            for tp, meta in admin.list_group_offsets({self.group: None})[self.group].items()
            if tp.topic in topics
        }
        if not committed:
            return {}
        ends = admin.list_partition_offsets(dict.fromkeys(committed, OffsetSpec.LATEST))
        return {tp: max(0, ends[tp].offset - offset) for tp, offset in committed.items()}

    def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()
