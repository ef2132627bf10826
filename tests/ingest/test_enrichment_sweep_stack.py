"""One enrichment sweep against the real Elasticsearch, Kafka and the platform
emulator's Graph API: a mention indexed ``failed`` is fetched again and its document
becomes ``done`` with the emulator's caption and author; one older than the retry
budget is not fetched."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialcare import elastic
from socialcare.index.indexer import Indexer
from socialcare.ingest.enrichment_sweep import run
from socialcare.ingest.settings import IngestSettings
from socialcare.schema import Enrichment, Event, RoutedEvent
from socialcare.topics import RAW
from socialcare_dev.isolation import drop_indices
from tests.ingest.test_enrichment_kafka import ACCOUNT, control, graph_calls
from tests.support.events import CLASSIFICATION, ROUTING, event_data
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration


@pytest.fixture
def sweep_settings(stack, settings, emulator):
    alias = f"sweep-{uuid.uuid4().hex[:8]}"
    ingest_settings = IngestSettings(
        **{
            **settings.model_dump(),
            "index_alias": alias,
            "embedding_dims": 4,
            "ingest_graph_base_url": f"{emulator}/instagram/v21.0",
            "ingest_graph_access_token": "ig-token",
            "ingest_enrichment_retry_hours": 24,
        }
    )
    es = elastic.client(ingest_settings)
    try:
        elastic.ensure_index(es, ingest_settings)
    finally:
        es.close()
    yield ingest_settings
    drop_indices(ingest_settings, alias)


def failed_mention(media_id: str, hours_ago: float) -> RoutedEvent:
    """A caption mention as the index holds it after ingest gave up on it."""
    received = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    raw = event_data(
        platform="instagram",
        platform_message_id=media_id,
        brand_account_id=ACCOUNT,
        conversation_id=f"instagram:{media_id}",
        author={"id": "unknown"},
        text="",
        created_at=received,
        received_at=received,
        enrichment="failed",
    )
    classification = CLASSIFICATION | {"embedding": [0.0, 0.0, 0.0, 1.0]}
    return RoutedEvent.model_validate(
        raw | {"classification": classification, "routing": ROUTING | {"routed_at": received}}
    )


def index(settings: IngestSettings, events: list[RoutedEvent]) -> None:
    """What the index worker does with routed events (an upsert by event_id)."""

    async def go() -> None:
        es = elastic.async_client(settings)
        try:
            assert await Indexer(es, settings.index_alias).index(events) == {}
            await es.indices.refresh(index=settings.index_alias)
        finally:
            await es.close()

    asyncio.run(go())


def stored(settings: IngestSettings, event_id: str) -> dict:
    es = elastic.client(settings)
    try:
        return es.get(index=settings.index_alias, id=event_id)["_source"]
    finally:
        es.close()


def test_a_failed_mention_is_fetched_again_and_its_document_becomes_done(sweep_settings, emulator):
    recent, old = (str(uuid.uuid4().int)[:17] for _ in range(2))
    for media_id in (recent, old):
        caption = f"@voltmobile punjač opet ne radi {media_id}"
        body = {"id": media_id, "caption": caption, "username": "ana.k"}
        control(emulator, "POST", "/_emulator/instagram/media", body)
    first, past_budget = failed_mention(recent, hours_ago=2), failed_mention(old, hours_ago=30)
    index(sweep_settings, [first, past_budget])

    tail = TopicTail(sweep_settings, RAW.name)
    report = asyncio.run(run(sweep_settings, once=True))
    assert report is not None and report.outcomes == {"done": 1}
    wanted = first.event_id.encode()
    (record,) = tail.read(1, timeout=60, match=lambda r: dict(r.headers)["event_id"] == wanted)
    tail.close()
    republished = Event.model_validate_json(record.value)
    assert record.key == first.key
    assert republished.enrichment == Enrichment.done
    assert republished.text == f"@voltmobile punjač opet ne radi {recent}"

    # Downstream (classify, route) adds its verdicts again; the index worker upserts.
    routed = {"classification": first.classification, "routing": first.routing}
    index(sweep_settings, [RoutedEvent.model_validate(republished.model_dump() | routed)])
    document = stored(sweep_settings, first.event_id)
    assert document["enrichment"] == "done"
    assert document["text"] == f"@voltmobile punjač opet ne radi {recent}"
    assert document["author"]["id"] == document["author"]["handle"] == "ana.k"

    assert stored(sweep_settings, past_budget.event_id)["enrichment"] == "failed"
    assert graph_calls(emulator, old) == []
    assert len(graph_calls(emulator, recent)) == 1
