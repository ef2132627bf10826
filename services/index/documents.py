"""Routed events as Elasticsearch documents, and the bulk actions that write them.

The document id is the event id, so any number of redeliveries of an event leave
exactly one document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from socialcare.schema import Direction, RoutedEvent


def document(event: RoutedEvent, indexed_at: datetime | None = None) -> dict[str, Any]:
    doc = event.model_dump(mode="json")
    doc["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    return doc


def index_actions(index: str, events: Iterable[RoutedEvent]) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for event in events:
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": event.event_id,
            "_source": document(event, now),
        }


def is_reply(event: RoutedEvent) -> bool:
    return event.direction == Direction.outbound
