"""Publishing accepted events to Kafka (socialcare.publishing), and remembering what
was published."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from cachetools import TTLCache

from socialcare.publishing import Publisher, PublishError
from socialcare.schema import Event
from socialcare.settings import Settings
from socialcare.topics import RAW

__all__ = ["EventPublisher", "PublishError", "RecentIds"]


class EventPublisher(Publisher):
    """Events to ``social.events.raw`` (or ``topic``), each with its event id as a
    header, as on every other topic; ``stage`` labels the publish-time metric (the
    listening poller publishes through it too)."""

    def __init__(
        self, settings: Settings, timeout: float, topic: str = RAW.name, stage: str = "ingest"
    ) -> None:
        super().__init__(
            settings,
            timeout,
            topic,
            stage=stage,
            headers=lambda event: [("event_id", event.event_id.encode())],
        )


class RecentIds:
    """Event ids published within the dedup window: platform retries stop at the edge.

    A request first claims its ids: an id published in the window is a duplicate, an
    id another request is publishing right now is waited for, the rest are reserved.
    Check and reservation happen in one step on the event loop, so two concurrent
    deliveries of one message can never both publish it. A reservation becomes "seen"
    only once Kafka acknowledged it; if the publish fails it is released, so the
    waiting request (or the platform's retry) publishes it instead, and nothing
    answered 200 is lost. Bounded in size; downstream is idempotent by event_id,
    so forgetting (or another replica's copy) costs a redundant record, not a
    double count.

    Used from the event loop only (no lock needed: nothing awaits between check
    and reservation).
    """

    def __init__(self, window_seconds: float, max_entries: int) -> None:
        self.enabled = window_seconds > 0
        self._seen: TTLCache[str, bool] = TTLCache(max_entries, ttl=max(window_seconds, 1e-9))
        self._publishing: dict[str, asyncio.Future[None]] = {}

    def split(self, events: list[Event]) -> tuple[list[Event], list[Event]]:
        """(new, duplicate) events; duplicates inside one request count once."""
        fresh: dict[str, Event] = {}
        duplicates: list[Event] = []
        for event in events:
            if (self.enabled and event.event_id in self._seen) or event.event_id in fresh:
                duplicates.append(event)
            else:
                fresh[event.event_id] = event
        return list(fresh.values()), duplicates

    @contextlib.asynccontextmanager
    async def claim(self, events: list[Event]) -> AsyncIterator[tuple[list[Event], list[Event]]]:
        """(to publish, duplicates): publish the first inside the block; leaving it
        normally marks them seen, leaving it by an exception releases them."""
        if not self.enabled:
            yield self.split(events)
            return
        while True:
            fresh, duplicates = self.split(events)
            busy = [self._publishing[e.event_id] for e in fresh if e.event_id in self._publishing]
            if not busy:
                break
            # Another request is publishing some of these: its outcome decides whether
            # they are duplicates (it succeeded) or still ours to publish (it failed).
            await asyncio.wait(busy)
        loop = asyncio.get_running_loop()
        reserved = {e.event_id: loop.create_future() for e in fresh}
        self._publishing.update(reserved)
        published = False
        try:
            yield fresh, duplicates
            published = True
        finally:
            for event_id, future in reserved.items():
                del self._publishing[event_id]
                if published:
                    self._seen[event_id] = True
                future.set_result(None)
