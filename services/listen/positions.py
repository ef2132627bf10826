"""Where each brand's search stands, kept on Kafka (``social.listening.positions``).

The topic is compacted and keyed by brand: at start the poller reads it from the
beginning to its end and keeps the latest position of each brand; after each poll it
publishes the brand's new position and waits for Kafka's acknowledgement.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kafka import TopicPartition
from pydantic import ValidationError

from socialcare import kafka
from socialcare.listening_positions import ListeningPosition
from socialcare.logging import get_logger
from socialcare.publishing import Publisher
from socialcare.settings import Settings
from socialcare.topics import LISTENING_POSITIONS

log = get_logger(__name__)


class TopicMissing(RuntimeError):
    """The positions topic does not exist yet (``socialcare provision`` creates it)."""


def read_positions(settings: Settings, topic: str = LISTENING_POSITIONS.name) -> dict[str, str]:
    """The newest id of each brand, from the topic's beginning to its end (blocking)."""
    consumer = kafka.consumer(settings, enable_auto_commit=False, group_id=None)
    try:
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise TopicMissing(f"{topic} does not exist: run `socialcare provision`")
        partitions = [TopicPartition(topic, n) for n in sorted(numbers)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        positions: dict[str, str] = {}
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    _take(positions, record.value)
        return positions
    finally:
        consumer.close()


def _take(positions: dict[str, str], value: bytes | None) -> None:
    if value is None:  # a tombstone: the brand's position was deleted on purpose
        return
    try:
        position = ListeningPosition.model_validate_json(value)
    except ValidationError:
        log.warning("listen.position_invalid")  # skipped: the brand searches from scratch
        return
    positions[position.brand] = position.newest_id


class PositionWriter:
    """Publishes a brand's new position and returns once Kafka acknowledged it."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.publisher = Publisher(settings, timeout, LISTENING_POSITIONS.name, stage="listen")

    async def save(self, brand: str, newest_id: str, query: str) -> None:
        position = ListeningPosition(
            brand=brand, newest_id=newest_id, query=query, updated_at=datetime.now(UTC)
        )
        await self.publisher.publish_async([position])

    def close(self) -> None:
        self.publisher.close()
