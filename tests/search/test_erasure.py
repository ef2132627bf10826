"""Right to erasure on the real Kafka and Elasticsearch: every index version, the brand's
replies, a durable record that the index worker, the router and replay honour, and an
honest answer when a delete fails."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from socialcare import elastic, kafka
from socialcare.erasure import (
    ErasureRecord,
    ErasureSettings,
    conversation_hash,
    record_erasure,
    subject_hash,
)
from socialcare.ingest.replay import drop_erased
from socialcare.ingest.settings import IngestSettings
from socialcare.route.rules import ConversationState
from socialcare.schema import ClassifiedEvent, Event, RoutedEvent
from socialcare.search.api import create_app
from socialcare.search.settings import SearchSettings
from socialcare.topics import CLASSIFIED, ROUTED
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess, free_port
from tests.support.kafka_tail import TopicTail
from tests.support.search_index import ROWS, drop_index, index_events, routed

pytestmark = pytest.mark.integration

ADMIN = {"X-API-Key": "admin-key-for-erasure"}
AGENT = {"X-API-Key": "agent-key-for-erasure"}
PAST = datetime.now(UTC) - timedelta(days=2)


@pytest.fixture
def erasure_topic(monkeypatch: pytest.MonkeyPatch) -> str:
    """An erasure topic of this test's own, so its erasures touch no other test."""
    topic = f"test.erasures.{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SOCIALCARE_ERASURE_TOPIC", topic)
    return topic


@pytest.fixture
def es_settings(stack, settings):
    search = SearchSettings(
        **{
            **settings.model_dump(),
            "index_alias": f"test-erasure-{uuid.uuid4().hex[:8]}",
            "embedding_dims": 4,
            "search_api_keys": f"{AGENT['X-API-Key']}:read,{ADMIN['X-API-Key']}:read+erase",
        }
    )
    es = elastic.client(search)
    elastic.ensure_index(es, search)
    es.close()
    yield search
    drop_index(search)


def event(n: int, author: str, conversation: str, run: str, **extra) -> RoutedEvent:
    """A routed event of this run, written ``n`` minutes after PAST."""
    row = (n, *ROWS[0][1:])
    base = routed(row)
    created = PAST + timedelta(minutes=n)
    platform = extra.pop("platform", "whatsapp")
    return RoutedEvent.model_validate(
        {
            **base.model_dump(),
            "platform": platform,
            "platform_message_id": f"{run}-{n}",
            "event_id": f"{platform}:{run}-{n}",
            "conversation_id": conversation,
            "author": {**base.author.model_dump(), "id": author},
            "created_at": created,
            **extra,
        }
    )


def scenario(run: str) -> dict[str, list[RoutedEvent]]:
    """Anna's WhatsApp DM (two messages, the brand's answer), her comment in a shared
    Facebook thread with the page's direct reply, and Ben in both places."""
    anna, ben = f"+49151{run}", f"ben-{run}"
    dm, thread = f"whatsapp:brand:{anna}", f"facebook:{run}-thread"
    reply = {"direction": "outbound", "kind": "reply"}
    return {
        "anna": [
            event(1, anna, dm, run),
            event(2, anna, dm, run),
            event(10, f"fb-anna-{run}", thread, run, platform="facebook", kind="comment"),
        ],
        "answers_to_anna": [
            event(3, "brand", dm, run, **reply),
            event(12, "page", thread, run, platform="facebook", parent_id=f"{run}-10", **reply),
        ],
        "others": [
            event(4, ben, f"whatsapp:brand:{ben}", run),
            event(11, f"fb-ben-{run}", thread, run, platform="facebook", kind="comment"),
            event(13, "page", thread, run, platform="facebook", parent_id=f"{run}-11", **reply),
        ],
    }


def ids(events) -> set[str]:
    return {e.event_id for e in events}


def stored_ids(settings: SearchSettings, wanted: set[str]) -> set[str]:
    es = elastic.client(settings)
    try:
        es.indices.refresh(index=f"{settings.index_alias}-*")
        hits = es.search(
            index=f"{settings.index_alias}-*",
            query={"ids": {"values": sorted(wanted)}},
            size=100,
        )["hits"]["hits"]
        return {h["_id"] for h in hits}
    finally:
        es.close()


def old_version(settings: SearchSettings, events) -> str:
    """An older index version behind the pattern (not behind the alias) holding events."""
    name = f"{settings.index_alias}-v0"
    es = elastic.client(settings)
    try:
        es.indices.create(index=name)
        for e in events:
            document = json.loads(e.model_dump_json())
            es.index(index=name, id=e.event_id, document=document, refresh=True)
    finally:
        es.close()
    return name


def erase(api: TestClient, platform: str, author: str):
    return api.delete(f"/v1/authors/{platform}/{author}", headers=ADMIN)


def test_erasure_reaches_every_index_and_nothing_comes_back_through_the_index_worker(
    es_settings, erasure_topic, tmp_path
):
    run = uuid.uuid4().hex[:8]
    data = scenario(run)
    everything = [e for group in data.values() for e in group]
    assert index_events(es_settings, everything) == {}
    old_version(es_settings, data["anna"][:1])  # a copy of her first message in v0

    with TestClient(create_app(es_settings)) as api:
        whatsapp = erase(api, "whatsapp", data["anna"][0].author.id)
        facebook = erase(api, "facebook", data["anna"][2].author.id)
    assert whatsapp.status_code == 200, whatsapp.text
    assert facebook.status_code == 200, facebook.text
    # Her two DMs in v1 and the copy in v0; the brand's answer in her DM thread.
    assert (whatsapp.json()["deleted"], whatsapp.json()["replies_deleted"]) == (3, 1)
    # Her comment; the page's direct reply to it, not its reply to Ben.
    assert (facebook.json()["deleted"], facebook.json()["replies_deleted"]) == (1, 1)
    gone = ids(data["anna"]) | ids(data["answers_to_anna"])
    assert stored_ids(es_settings, gone | ids(data["others"])) == ids(data["others"])

    # The audit log and the record name no one.
    es = elastic.client(es_settings)
    try:
        audit = es.get(index=f"{es_settings.index_alias}-audit", id=whatsapp.json()["audit_id"])
    finally:
        es.close()
    assert run not in json.dumps(audit["_source"])
    assert audit["_source"]["complete"] is True

    # Replay: everything published again to routed, then a marker per conversation
    # written after the erasure (a new contact), on the same partitions, behind them.
    later = datetime.now(UTC) + timedelta(seconds=1)
    markers = [
        event(20, "brand", data["anna"][0].conversation_id, run, created_at=later),
        event(
            21, "page", data["anna"][2].conversation_id, run, platform="facebook", created_at=later
        ),
    ]
    port = free_port()
    worker = ServiceProcess(
        ["index", "worker"],
        env={
            "SOCIALCARE_INDEX_APP_ID": fresh_group(es_settings, "erasure-index", ROUTED.name),
            "SOCIALCARE_INDEX_ALIAS": es_settings.index_alias,
            "SOCIALCARE_EMBEDDING_DIMS": "4",
            "SOCIALCARE_INDEX_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(tmp_path / "data"),
            "SOCIALCARE_ERASURE_TOPIC": erasure_topic,
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=tmp_path / "worker.log",
    )
    worker.start()
    try:
        producer = kafka.producer(es_settings)
        for e in [*everything, *markers]:
            producer.send(ROUTED.name, key=e.key, value=e.to_bytes())
        producer.flush(timeout=30)
        producer.close()
        deadline = time.monotonic() + 60
        while not ids(markers) <= stored_ids(es_settings, ids(markers)):
            assert time.monotonic() < deadline, "the index worker did not index the markers"
            time.sleep(0.5)
    finally:
        worker.stop()
    assert stored_ids(es_settings, gone) == set()
    assert ids(data["others"]) <= stored_ids(es_settings, ids(data["others"]))

    # A replay through ingest drops them before they reach Kafka.
    raw = [Event.model_validate(e.model_dump(include=set(Event.model_fields))) for e in everything]
    kept = drop_erased(
        raw, IngestSettings(**es_settings.model_dump(include={"kafka_bootstrap_servers"}))
    )
    assert ids(kept) == ids(data["others"])


def test_a_failed_delete_is_reported_and_a_retry_completes(es_settings, erasure_topic):
    run = uuid.uuid4().hex[:8]
    anna = scenario(run)["anna"][:2]
    assert index_events(es_settings, anna[:1]) == {}
    old = old_version(es_settings, anna[1:])
    es = elastic.client(es_settings)
    try:
        with TestClient(create_app(es_settings)) as api:
            # A read-only index version: the delete is refused.
            es.indices.put_settings(index=old, settings={"index.blocks.write": True})
            refused = erase(api, "whatsapp", anna[0].author.id)
            assert refused.status_code == 502, refused.text
            assert old in refused.json()["detail"]
            assert "cluster_block_exception" in refused.json()["detail"]
            es.indices.put_settings(index=old, settings={"index.blocks.write": None})

            # A closed index version: it cannot even be searched.
            es.indices.close(index=old)
            closed = erase(api, "whatsapp", anna[0].author.id)
            assert closed.status_code == 502, closed.text
            assert "closed" in closed.json()["detail"]
            es.indices.open(index=old, wait_for_active_shards="1")

            retried = erase(api, "whatsapp", anna[0].author.id)
            assert retried.status_code == 200, retried.text
            again = erase(api, "whatsapp", anna[0].author.id)
            assert again.status_code == 200, again.text
            assert again.json()["deleted"] == 0  # idempotent: nothing left to delete
    finally:
        es.close()
    assert stored_ids(es_settings, ids(anna)) == set()


def test_an_erasure_is_not_deleted_without_being_recorded(es_settings, monkeypatch):
    # Kafka unreachable: the erasure cannot be recorded, so nothing may be deleted (a
    # replay would bring the person back) and the caller is told to retry.
    monkeypatch.setenv("SOCIALCARE_ERASURE_SYNC_TIMEOUT_SECONDS", "2")
    run = uuid.uuid4().hex[:8]
    anna = scenario(run)["anna"][:1]
    assert index_events(es_settings, anna) == {}
    offline = es_settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    with TestClient(create_app(offline)) as api:
        answer = erase(api, "whatsapp", anna[0].author.id)
    assert answer.status_code == 503, answer.text
    assert "not recorded" in answer.json()["detail"]
    assert stored_ids(es_settings, ids(anna)) == ids(anna)


# --- the router ----------------------------------------------------------------------


def classified(conversation: str, author: str, n: int, created: datetime) -> ClassifiedEvent:
    base = routed((n, *ROWS[4][1:]))
    return ClassifiedEvent.model_validate(
        {
            **json.loads(base.model_dump_json(exclude={"routing"})),
            "platform_message_id": f"{conversation}-{n}",
            "event_id": f"whatsapp:{conversation}-{n}",
            "conversation_id": conversation,
            "author": {"id": author},
            "created_at": created.isoformat(),
            "classification": {
                **json.loads(base.classification.model_dump_json()),
                "embedding": None,
            },
        }
    )


def test_the_router_drops_erased_events_and_tombstones_their_state(
    stack, settings, erasure_topic, tmp_path
):
    run = uuid.uuid4().hex[:8]
    author, conversation = f"+49170{run}", f"whatsapp:brand:+49170{run}"
    app_id = fresh_group(settings, "erasure-route", CLASSIFIED.name)
    changelog = f"{app_id}-conversations-changelog"
    port = free_port()
    worker = ServiceProcess(
        ["route", "worker"],
        env={
            "SOCIALCARE_ROUTE_APP_ID": app_id,
            "SOCIALCARE_ROUTE_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(tmp_path / "data"),
            "SOCIALCARE_ERASURE_TOPIC": erasure_topic,
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=tmp_path / "route.log",
    )
    first = [classified(conversation, author, n, PAST + timedelta(minutes=n)) for n in (1, 2)]

    def publish(*events: ClassifiedEvent) -> None:
        producer = kafka.producer(settings)
        for e in events:
            producer.send(CLASSIFIED.name, key=e.key, value=e.to_bytes())
        producer.flush(timeout=30)
        producer.close()

    # Other tests' route workers may route the same records onto the shared routed
    # topic; what this worker did shows on its own changelog.
    key = json.dumps(conversation).encode()
    worker.start()
    try:
        state = TopicTail(settings, changelog)
        publish(*first)
        written = state.read(expect=2, match=lambda r: r.key == key)
        assert len(written) == 2 and all(r.value for r in written)

        erasure = ErasureSettings()
        assert erasure.erasure_topic == erasure_topic
        record_erasure(
            settings,
            erasure,
            ErasureRecord(
                erasure_id=uuid.uuid4().hex,
                subject=subject_hash(erasure.key(), "whatsapp", author),
                erased_at=datetime.now(UTC),
                conversations=[conversation_hash(erasure.key(), conversation)],
            ),
        )
        tombstone = state.read(expect=3, match=lambda r: r.key == key)[2:]
        assert [r.value for r in tombstone] == [None]

        # Replayed: her old events are dropped; a message she writes now is a new contact.
        again = classified(conversation, author, 3, datetime.now(UTC) + timedelta(seconds=1))
        publish(*first, again)
        after = state.read(expect=4, settle=3.0, match=lambda r: r.key == key)[3:]
    finally:
        worker.stop()
    assert len(after) == 1, "the replayed events changed the erased conversation's state"
    fresh = json.loads(after[0].value)
    # Fresh state: one contact, not a third one of a conversation that no longer exists.
    assert set(ConversationState.model_validate(fresh).contacts) == {again.event_id}


def test_the_index_keeps_nothing_older_than_its_retention(es_settings):
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    old, recent = (
        event(n, f"ret-{run}", f"whatsapp:brand:ret-{run}", run, created_at=when)
        for n, when in ((1, now - timedelta(days=200)), (2, now - timedelta(days=10)))
    )
    assert index_events(es_settings, [old, recent]) == {}
    old_version(es_settings, [old.model_copy(update={"event_id": f"{old.event_id}-v0"})])

    async def expire() -> int:
        es = elastic.async_client(es_settings)
        try:
            return await elastic.delete_expired(es, es_settings.index_alias, max_age_days=180)
        finally:
            await es.close()

    assert asyncio.run(expire()) == 2  # in the live index and in the older version
    assert stored_ids(es_settings, {old.event_id, f"{old.event_id}-v0", recent.event_id}) == {
        recent.event_id
    }
