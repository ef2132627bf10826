"""The life of one delivery once its body is read and its sender known.

Parse, drop what was published moments ago, publish the rest and wait for Kafka,
then log and count. The routes only check the sender and pick the adapter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi import HTTPException
from pydantic import BaseModel

from socialcare.ingest.adapters import Adapter, BadPayload, Context, Parsed
from socialcare.ingest.enrichment import Enricher
from socialcare.ingest.metrics import IGNORED, ignored_label
from socialcare.ingest.publisher import EventPublisher, PublishError, RecentIds
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import SignatureError
from socialcare.listening import configured_rules
from socialcare.logging import get_logger
from socialcare.metrics import EVENTS
from socialcare.schema import Event
from socialcare.topics import RAW

log = get_logger(__name__)


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    ignored: int
    event_ids: list[str]


@contextmanager
def refusals(platform: str) -> Iterator[None]:
    """Why a delivery is refused, as the HTTP answer the sender gets (and a log line)."""
    try:
        yield
    except SignatureError as exc:
        log.warning("ingest.unauthenticated", platform=platform, reason=str(exc))
        raise HTTPException(exc.status, str(exc)) from exc
    except BadPayload as exc:
        # The reason goes back to the sender; it may quote the payload (names,
        # numbers), so the log keeps only what kind of error it was.
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "BadPayload"
        log.warning("ingest.bad_payload", platform=platform, status=exc.status, error=cause)
        raise HTTPException(exc.status, exc.reason) from exc
    except PublishError as exc:
        log.error("ingest.kafka_unavailable", platform=platform, error=str(exc))
        raise HTTPException(
            503, "Kafka is unavailable; retry later", headers={"Retry-After": "5"}
        ) from exc


class Intake:
    """Parses, deduplicates and publishes deliveries; one per app."""

    def __init__(
        self, settings: IngestSettings, publisher: EventPublisher, enricher: Enricher
    ) -> None:
        self.publisher = publisher
        self.enricher = enricher
        self.recent = RecentIds(
            settings.ingest_dedup_window_seconds, settings.ingest_dedup_max_entries
        )
        self.context = Context(
            received_at=datetime.now(UTC),
            brand_handles=frozenset(h.lower().lstrip("@") for h in settings.brand_handles),
            listening=configured_rules(settings.listening_config, settings.listening_keywords),
            viber_account_id=settings.viber_account_id,
            telegram_account_id=settings.telegram_account_id,
        )

    async def take(
        self,
        platform: str,
        adapter: Adapter,
        headers: dict[str, str],
        body: bytes,
        permissions: frozenset[str] = frozenset(),
    ) -> IngestResult:
        """Parse the body of a verified sender; answer only once Kafka has the events."""
        context = dataclasses.replace(
            self.context, received_at=datetime.now(UTC), permissions=permissions
        )
        with refusals(platform):
            parsed = adapter(headers, body, context)
            parsed.events = self.enricher.marked(parsed.events)
            async with self.recent.claim(parsed.events) as (fresh, duplicates):
                if fresh:
                    await self.publisher.publish_async(fresh)
        self.enricher.submit(fresh)
        _record(parsed, fresh, duplicates)
        return IngestResult(
            accepted=len(fresh),
            duplicates=len(duplicates),
            ignored=len(parsed.ignored),
            event_ids=[e.event_id for e in parsed.events],
        )


def _record(parsed: Parsed, fresh: list[Event], duplicates: list[Event]) -> None:
    # No conversation_id or author in logs: they hold phone numbers and user ids.
    for event in fresh:
        log.info(
            "ingest.accepted", event_id=event.event_id, platform=event.platform, kind=event.kind
        )
    for event in duplicates:
        log.info("ingest.duplicate", event_id=event.event_id, platform=event.platform)
    EVENTS.labels("ingest", RAW.name, "ok").inc(len(fresh))
    EVENTS.labels("ingest", RAW.name, "duplicate").inc(len(duplicates))
    for kind in parsed.ignored:
        IGNORED.labels(ignored_label(kind)).inc()
