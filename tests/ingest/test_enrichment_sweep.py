"""The enrichment sweep's selection (pure), and one sweep over a page of stored mentions
with the in-process emulator answering: done, expired, failed, and deferred on a 429."""

import asyncio
from datetime import UTC, datetime, timedelta

from socialcare.ingest.enrichment_sweep import (
    EVENT_FIELDS,
    EnrichmentSweep,
    SweepWindow,
    page_request,
    stored_event,
    sweep_query,
    window_of,
)
from socialcare.schema import Author, Enrichment, Event
from tests.ingest.test_enrichment import MEDIA, Run, mention
from tests.support.webhooks import unit_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = SweepWindow(now=NOW, grace=timedelta(minutes=2), budget=timedelta(hours=24))


def _branches(query: dict) -> list[dict]:
    (*fixed, either) = query["bool"]["filter"]
    assert fixed == [{"term": {"platform": "instagram"}}, {"term": {"kind": "mention"}}]
    assert either["bool"]["minimum_should_match"] == 1
    branches = either["bool"]["should"]
    return [dict(kv for c in b["bool"]["filter"] for kv in c.items()) for b in branches]


def test_failed_mentions_are_taken_within_the_budget_and_pending_ones_after_the_grace():
    failed, pending = _branches(sweep_query(WINDOW))
    assert failed["term"] == {"enrichment": "failed"}
    assert failed["range"] == {"received_at": {"gte": "2026-11-23T10:00:00+00:00"}}
    assert pending["term"] == {"enrichment": "pending"}
    assert pending["range"] == {"received_at": {"lte": "2026-11-24T09:58:00+00:00"}}


def test_a_page_is_bounded_random_per_sweep_and_reads_only_the_event():
    request = page_request(WINDOW, 50)
    assert request["size"] == 50
    assert request["query"]["function_score"]["random_score"]["seed"] == int(NOW.timestamp())
    assert set(request["source"]) == EVENT_FIELDS
    assert {"classification", "routing"}.isdisjoint(request["source"])
    later = page_request(SweepWindow(NOW + timedelta(minutes=10), WINDOW.grace, WINDOW.budget), 50)
    assert later["query"]["function_score"]["random_score"]["seed"] != int(NOW.timestamp())


def test_only_what_was_received_before_the_budget_is_expired():
    inside = mention(False).model_copy(update={"received_at": NOW - timedelta(hours=23)})
    outside = mention(False).model_copy(update={"received_at": NOW - timedelta(hours=25)})
    assert not WINDOW.expired(inside)
    assert WINDOW.expired(outside)


def test_the_window_comes_from_the_settings():
    settings = unit_settings(
        ingest_enrichment_retry_hours=6, ingest_enrichment_retry_grace_seconds=30
    )
    window = window_of(settings, clock=lambda: NOW)
    assert (window.now, window.grace, window.budget) == (
        NOW,
        timedelta(seconds=30),
        timedelta(hours=6),
    )


def test_the_event_is_rebuilt_from_its_document_without_what_downstream_added():
    event = mention(True).model_copy(update={"enrichment": Enrichment.failed})
    document = event.model_dump(mode="json") | {
        "indexed_at": NOW.isoformat(),
        "response": {"answered_at": None},
    }
    assert stored_event(document) == event


class FakeIndex:
    """The search answer of a page of documents."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.requests: list[dict] = []

    async def search(self, index: str, **request) -> dict:
        self.requests.append({"index": index, **request})
        hits = [{"_source": e.model_dump(mode="json")} for e in self.events]
        return {"hits": {"hits": hits}}


def sweep(run: Run, events: list[Event]) -> tuple[FakeIndex, object]:
    index = FakeIndex(events)
    swept = EnrichmentSweep(
        index, "social-events", run.enricher.reader, run.publisher, lambda: WINDOW, 100
    )
    return index, asyncio.run(swept.once())


def _received(event: Event, ago: timedelta, state: Enrichment) -> Event:
    return event.model_copy(update={"received_at": NOW - ago, "enrichment": state})


def test_a_failed_mention_is_republished_done_and_an_abandoned_pending_one_failed():
    run = Run()
    run.seed()
    failed = _received(mention(False), timedelta(hours=3), Enrichment.failed)
    stale = _received(mention(True), timedelta(days=3), Enrichment.pending)
    index, report = sweep(run, [failed, stale])
    done, expired = run.publisher.published
    assert (done.event_id, done.enrichment, done.key) == (failed.event_id, "done", failed.key)
    assert done.author == Author(id="ana.k", handle="ana.k")
    assert expired == stale.model_copy(update={"enrichment": Enrichment.failed})
    assert report.outcomes == {"done": 1, "expired": 1}
    # Only the one within the budget was fetched.
    (call,) = run.calls()
    assert f"media_id({MEDIA})" in call["query"]["fields"]
    assert index.requests[0]["index"] == "social-events"


def test_a_rate_limit_stops_the_sweep_and_leaves_the_rest_for_the_next():
    run = Run()
    run.seed()
    run.fault(kind="rate_limit", count=1, retry_after=90)
    first = _received(mention(False), timedelta(hours=1), Enrichment.failed)
    second = _received(mention(True), timedelta(hours=2), Enrichment.failed)
    _, report = sweep(run, [first, second])
    assert run.publisher.published == []
    assert report.outcomes == {"deferred": 2}
    assert report.retry_after == 90
    assert len(run.calls()) == 1


def test_a_refused_fetch_leaves_the_mention_failed_for_the_next_sweep():
    run = Run()  # nothing seeded: Graph answers 400 for an unknown media
    failed = _received(mention(False), timedelta(hours=1), Enrichment.failed)
    _, report = sweep(run, [failed])
    assert run.publisher.published == []
    assert report.outcomes == {"failed": 1}
