"""Completing events a platform notified by id only: Instagram mentions.

The webhook is answered as soon as Kafka has the event, marked ``enrichment:
pending``: a slow or failing Graph API never holds Meta's delivery (Meta retries
slow webhooks, then disables them). Here, off the request, the caption or comment
and its author are fetched, and the same event (same event_id, same key, so the same
partition, after the first copy) is published again as ``done``. After
SOCIALCARE_INGEST_ENRICHMENT_ATTEMPTS failed fetches, with a doubling back-off, it is
published again as ``failed``: searchable, and still in its queue with its ids.
The enrichment sweep (enrichment_sweep.py) fetches the ``failed`` ones, and those
left ``pending`` by a stopped process, again later, through the same functions.

Downstream, the later copy wins: classify classifies the text, route gives the
event_id its first decision again, the index's upsert rewrites the document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from socialcare.ingest.graph import GraphError, Mentioned, MentionReader
from socialcare.ingest.metrics import ENRICHMENTS
from socialcare.ingest.publisher import EventPublisher, PublishError
from socialcare.ingest.settings import IngestSettings
from socialcare.instagram import mention_ids
from socialcare.logging import get_logger
from socialcare.schema import Author, Enrichment, Event

log = get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# The longest wait between two fetches, whatever the back-off or Retry-After says.
MAX_WAIT_SECONDS = 300.0
# Attempts at republishing a finished event while Kafka is away, 5 s apart.
REPUBLISH_ATTEMPTS = 12


def mention_reader(settings: IngestSettings) -> MentionReader:
    """The Graph API reader of ``settings`` (the Enricher's and the sweep's)."""
    return MentionReader(
        settings.ingest_graph_base_url,
        settings.ingest_graph_access_token,
        settings.ingest_graph_timeout_seconds,
    )


async def fetch_mention(reader: MentionReader, event: Event) -> Mentioned:
    """One fetch of what ``event`` (a mention notified by id) says; GraphError if not."""
    ids = mention_ids(event.platform_message_id, event.parent_id)
    return await reader.mention(event.brand_account_id, ids.media_id, ids.comment_id)


def enriched(event: Event, found: Mentioned) -> Event:
    """``event`` with the fetched text and author: validated, like any new event."""
    data = event.model_dump()
    data |= {
        "text": found.text,
        "author": Author(id=found.username, handle=found.username).model_dump(),
        "enrichment": Enrichment.done,
    }
    if found.written_at is not None:
        data["created_at"] = found.written_at
    return Event.model_validate(data)


class Enricher:
    """Fetches and republishes pending events in background tasks; one per app."""

    def __init__(
        self,
        settings: IngestSettings,
        publisher: EventPublisher,
        reader: MentionReader | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.publisher = publisher
        self.reader = reader or mention_reader(settings)
        self.attempts = settings.ingest_enrichment_attempts
        self.backoff = settings.ingest_enrichment_backoff_seconds
        self.sleep = sleep
        self.enabled = settings.ingest_graph_access_token is not None
        self._tasks: set[asyncio.Task[None]] = set()

    def marked(self, events: list[Event]) -> list[Event]:
        """``events`` as first published: without a token nothing will fetch, so a
        pending event is ``failed`` from the start, and never republished."""
        if self.enabled:
            return events
        failed = {"enrichment": Enrichment.failed}
        return [
            e.model_copy(update=failed) if e.enrichment == Enrichment.pending else e for e in events
        ]

    def submit(self, events: list[Event]) -> None:
        """Start enriching the pending ones of ``events`` (already published)."""
        for event in events:
            if event.enrichment == Enrichment.pending:
                task = asyncio.create_task(self._complete(event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every submitted event is republished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        # Events still in flight stay published as pending (see docs/ingest.md).
        for task in list(self._tasks):
            task.cancel()
        await self.drain()
        await self.reader.aclose()

    async def _complete(self, event: Event) -> None:
        found = await self._fetch(event)
        if found is None:
            final = event.model_copy(update={"enrichment": Enrichment.failed})
        else:
            final = enriched(event, found)
        ENRICHMENTS.labels(final.enrichment.value if final.enrichment else "done").inc()
        await self._republish(final)

    async def _fetch(self, event: Event) -> Mentioned | None:
        wait = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await fetch_mention(self.reader, event)
            except GraphError as exc:
                log.warning(
                    "ingest.enrichment_failed",
                    event_id=event.event_id,
                    attempt=attempt,
                    status=exc.status,
                    error=str(exc),
                )
                retry_after = exc.retry_after
                if not exc.retryable:
                    return None
            if attempt < self.attempts:
                ENRICHMENTS.labels("retry").inc()
                await self.sleep(min(MAX_WAIT_SECONDS, max(wait, retry_after)))
                wait *= 2
        return None

    async def _republish(self, event: Event) -> None:
        for _ in range(REPUBLISH_ATTEMPTS):
            try:
                await self.publisher.publish_async([event])
            except PublishError as exc:
                log.warning(
                    "ingest.enrichment_unpublished", event_id=event.event_id, error=str(exc)
                )
                await self.sleep(5.0)
            else:
                log.info("ingest.enriched", event_id=event.event_id, outcome=event.enrichment)
                return
        log.error("ingest.enrichment_lost", event_id=event.event_id)
