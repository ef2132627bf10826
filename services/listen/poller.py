"""The listening poller: every brand's X recent search -> ``kind: listening`` events on
social.events.raw, through ingest's dedup and publisher.

One poll of a brand asks for everything newer than its position (``since_id``) and
pages through it with ``next_token``, newest first. Each page's events are published
and acknowledged by Kafka before the next page is asked for; the brand's position
(the first page's ``newest_id``) is published only once every page of the poll is
acknowledged. A crash in between searches the same range again after the restart:
the events already published come again with the same event ids, which ingest's
dedup window and every consumer's idempotency absorb; nothing is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import Counter, Gauge

from socialcare.ingest.publisher import EventPublisher, PublishError, RecentIds
from socialcare.listen.search import SearchPage, SearchRefused
from socialcare.listen.tweets import listening_events
from socialcare.listening import BrandRules, ListeningRules
from socialcare.logging import get_logger
from socialcare.metrics import EVENTS
from socialcare.retry import retry_forever
from socialcare.schema import Event
from socialcare.topics import RAW

log = get_logger(__name__)

POLLS = Counter(
    "socialcare_listening_polls_total",
    "Polls of a brand's X search, by brand and outcome (ok, refused).",
    ["brand", "outcome"],
)
UNMATCHED = Counter(
    "socialcare_listening_unmatched_total",
    "Posts the search found that the listening rules did not take (own account, "
    "exclusion, no term).",
)
LAST_POLL = Gauge(
    "socialcare_listening_last_poll_timestamp_seconds",
    "When a brand's search was last polled to its end (Unix time).",
    ["brand"],
)


class Search(Protocol):
    async def page(
        self, query: str, since_id: str | None, next_token: str | None = None
    ) -> SearchPage: ...


class Positions(Protocol):
    async def save(self, brand: str, newest_id: str, query: str) -> None: ...


def _kafka_trouble(exc: BaseException) -> bool:
    return isinstance(exc, PublishError)


class Poller:
    """Polls each brand in turn; ``positions`` holds the newest id of each brand."""

    def __init__(
        self,
        rules: ListeningRules,
        search: Search,
        publisher: EventPublisher,
        writer: Positions,
        positions: dict[str, str],
        recent: RecentIds | None = None,
    ) -> None:
        self.rules = rules
        self.search = search
        self.publisher = publisher
        self.writer = writer
        self.positions = positions
        self.recent = recent or RecentIds(window_seconds=3600, max_entries=100_000)

    async def poll_all(self) -> int:
        """One poll of every brand; the number of events published."""
        published = 0
        for brand in self.rules.brands:
            try:
                published += await self.poll(brand)
            except SearchRefused as exc:
                # A bad query or token: the other brands still poll, this one again
                # next time (its position stays where it was).
                POLLS.labels(brand.name, "refused").inc()
                log.error("listen.search_refused", brand=brand.name, error=str(exc))
        return published

    async def poll(self, brand: BrandRules) -> int:
        """Every post newer than the brand's position, page by page; then the position."""
        since = self.positions.get(brand.name)
        query = brand.x_query()
        newest: str | None = None
        token: str | None = None
        published = 0
        while True:
            page = await self.search.page(query, since, token)
            newest = newest or page.newest_id
            published += await self.publish(page)
            token = page.next_token
            if not token:
                break
        if newest is not None and newest != since:
            await self._save(brand.name, newest, query)
        POLLS.labels(brand.name, "ok").inc()
        LAST_POLL.labels(brand.name).set_to_current_time()
        log.info("listen.polled", brand=brand.name, published=published, newest_id=newest)
        return published

    async def publish(self, page: SearchPage) -> int:
        """The page's events on Kafka (acknowledged); the number of new ones."""
        converted = listening_events(page, self.rules, datetime.now(UTC))
        UNMATCHED.inc(converted.unmatched)

        async def attempt() -> tuple[list[Event], list[Event]]:
            async with self.recent.claim(converted.events) as (fresh, duplicates):
                if fresh:
                    await self.publisher.publish_async(fresh)
            return fresh, duplicates

        fresh, duplicates = await retry_forever(
            attempt, retry_on=_kafka_trouble, event="listen.publish_retry"
        )
        for event in fresh:
            log.info("listen.accepted", event_id=event.event_id, kind=event.kind)
        EVENTS.labels("listen", RAW.name, "ok").inc(len(fresh))
        EVENTS.labels("listen", RAW.name, "duplicate").inc(len(duplicates))
        return len(fresh)

    async def _save(self, brand: str, newest_id: str, query: str) -> None:
        async def attempt() -> None:
            await self.writer.save(brand, newest_id, query)

        await retry_forever(attempt, retry_on=_kafka_trouble, event="listen.position_retry")
        self.positions[brand] = newest_id


async def poll_forever(
    poller: Poller, interval: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> None:
    """Poll every brand, pause ``interval`` seconds, and again, until cancelled."""
    while True:
        await poller.poll_all()
        await sleep(interval)
