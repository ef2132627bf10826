"""The durable retry of Instagram mentions whose text was never fetched.

Ingest's Enricher tries a mention a few times, in-process, then republishes it
``failed``; one still in flight when the process stops stays ``pending``. The events
index holds every event with its enrichment state and the whole event as published
(the document is the routed event, ``model_dump``), so a sweep finds them there, reads
each again through the same MentionReader, and republishes the same event (same
event_id, same key) ``done``, as the Enricher would. Downstream is idempotent by
event_id, so two sweeps at once, or a sweep racing the Enricher, cost a redundant
copy, never a double count.

Selected: ``failed`` mentions received within the retry budget, and ``pending`` ones
older than a grace period (ingest's own attempts are over by then). A ``pending`` one
past the budget is republished ``failed``: nothing will fetch it any more. A
``failed`` one past the budget is left alone. One page a sweep, in a random order
seeded per sweep, so mentions that keep failing cannot starve the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch

from socialcare import elastic
from socialcare.ingest.enrichment import enriched, fetch_mention, mention_reader
from socialcare.ingest.graph import GraphError, MentionReader
from socialcare.ingest.metrics import ENRICHMENT_SWEEP
from socialcare.ingest.publisher import EventPublisher, PublishError
from socialcare.ingest.settings import IngestSettings
from socialcare.logging import get_logger
from socialcare.schema import Enrichment, Event, Kind

log = get_logger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
# The fields of a document that are the event as ingest published it; the rest
# (classification, routing, response, indexed_at) are added downstream.
EVENT_FIELDS = frozenset(Event.model_fields) - {"classification", "routing"}


@dataclass(frozen=True)
class SweepWindow:
    """What a sweep at ``now`` takes up: its grace period and retry budget."""

    now: datetime
    grace: timedelta
    budget: timedelta

    def expired(self, event: Event) -> bool:
        """Past the budget: received longer ago than the sweep still fetches."""
        return event.received_at < self.now - self.budget


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def sweep_query(window: SweepWindow) -> dict[str, Any]:
    """The Elasticsearch query of the mentions a sweep in ``window`` takes up."""
    failed_recently = [
        {"term": {"enrichment": Enrichment.failed.value}},
        {"range": {"received_at": {"gte": _stamp(window.now - window.budget)}}},
    ]
    pending_abandoned = [
        {"term": {"enrichment": Enrichment.pending.value}},
        {"range": {"received_at": {"lte": _stamp(window.now - window.grace)}}},
    ]
    return {
        "bool": {
            "filter": [
                {"term": {"platform": "instagram"}},
                {"term": {"kind": Kind.mention.value}},
                {
                    "bool": {
                        "should": [
                            {"bool": {"filter": failed_recently}},
                            {"bool": {"filter": pending_abandoned}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            ]
        }
    }


def page_request(window: SweepWindow, size: int) -> dict[str, Any]:
    """The search of one sweep (keyword arguments of ``search``): a page of the
    selection in a random order."""
    seed = int(window.now.timestamp())
    return {
        "query": {
            "function_score": {
                "query": sweep_query(window),
                "random_score": {"seed": seed, "field": "_seq_no"},
                "boost_mode": "replace",
            }
        },
        "size": size,
        "source": sorted(EVENT_FIELDS),
    }


def stored_event(source: dict[str, Any]) -> Event:
    """The event as ingest published it, from its document."""
    return Event.model_validate({k: v for k, v in source.items() if k in EVENT_FIELDS})


@dataclass
class SweepReport:
    """What one sweep did; ``retry_after`` when the Graph API asked to wait."""

    outcomes: dict[str, int] = field(default_factory=dict)
    retry_after: float = 0.0

    def count(self, outcome: str, n: int = 1) -> None:
        if n:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n
            ENRICHMENT_SWEEP.labels(outcome).inc(n)


class EnrichmentSweep:
    """One sweep at a time: search a page, fetch each, republish what changed."""

    def __init__(
        self,
        es: AsyncElasticsearch,
        alias: str,
        reader: MentionReader,
        publisher: EventPublisher,
        window: Callable[[], SweepWindow],
        page_size: int,
    ) -> None:
        self.es, self.alias, self.reader, self.publisher = es, alias, reader, publisher
        self.window, self.page_size = window, page_size

    async def once(self) -> SweepReport:
        window = self.window()
        found = await self.es.search(index=self.alias, **page_request(window, self.page_size))
        events = [stored_event(hit["_source"]) for hit in found["hits"]["hits"]]
        report = SweepReport()
        final: list[Event] = []
        for position, event in enumerate(events):
            if window.expired(event):
                final.append(event.model_copy(update={"enrichment": Enrichment.failed}))
                report.count("expired")
                continue
            try:
                final.append(enriched(event, await fetch_mention(self.reader, event)))
            except GraphError as exc:
                log.warning(
                    "ingest.enrichment_sweep_failed",
                    event_id=event.event_id,
                    status=exc.status,
                    error=str(exc),
                )
                if exc.status == 429 or exc.retry_after > 0:
                    # Rate-limited: the rest waits for the next sweep.
                    report.retry_after = exc.retry_after
                    report.count("deferred", len(events) - position)
                    break
                report.count("failed")
            else:
                report.count("done")
        await self._publish(final, report)
        log.info("ingest.enrichment_sweep", selected=len(events), **report.outcomes)
        return report

    async def _publish(self, events: list[Event], report: SweepReport) -> None:
        if not events:
            return
        try:
            await self.publisher.publish_async(events)
        except PublishError as exc:
            # Nothing changed in the index: the next sweep finds them again.
            log.warning("ingest.enrichment_sweep_unpublished", events=len(events), error=str(exc))
            report.count("unpublished", len(events))


async def sweep_forever(
    sweep: EnrichmentSweep, interval: float, sleep: Sleep = asyncio.sleep
) -> None:
    """Sweep every ``interval`` seconds (longer when the Graph API asks), for ever; a
    sweep that fails (Elasticsearch away) is logged and tried at the next interval."""
    while True:
        wait = interval
        try:
            report = await sweep.once()
            wait = max(interval, report.retry_after)
        except Exception as exc:  # any failure of one sweep; the next one starts afresh
            log.error("ingest.enrichment_sweep_error", error=repr(exc)[:300])
        await sleep(wait)


def window_of(settings: IngestSettings, clock: Clock = lambda: datetime.now(UTC)) -> SweepWindow:
    return SweepWindow(
        now=clock(),
        grace=timedelta(seconds=settings.ingest_enrichment_retry_grace_seconds),
        budget=timedelta(hours=settings.ingest_enrichment_retry_hours),
    )


async def run(settings: IngestSettings, once: bool) -> SweepReport | None:
    """``socialcare ingest enrichment-sweep``: one sweep, or one every interval."""
    if settings.ingest_graph_access_token is None:
        log.warning("ingest.enrichment_sweep_no_token")  # nothing could be fetched
        return None
    es = elastic.async_client(settings)
    reader = mention_reader(settings)
    publisher = EventPublisher(settings, settings.ingest_publish_timeout_seconds)
    sweep = EnrichmentSweep(
        es,
        settings.index_alias,
        reader,
        publisher,
        lambda: window_of(settings),
        settings.ingest_enrichment_sweep_page_size,
    )
    try:
        if once:
            return await sweep.once()
        await sweep_forever(sweep, settings.ingest_enrichment_sweep_interval_seconds)
        return None
    finally:
        await reader.aclose()
        await es.close()
        publisher.close()
