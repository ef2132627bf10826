import asyncio
import uuid

import pytest

from socialcare import elastic
from socialcare.care import ACK_ACTOR
from socialcare.index.indexer import Indexer
from socialcare.schema import Actor, ActorKind
from tests.support.search_index import EVENTS, ROWS, drop_index, index_events, routed

pytestmark = pytest.mark.integration


def count(settings) -> int:
    es = elastic.client(settings)
    try:
        return es.count(index=settings.index_alias)["count"]
    finally:
        es.close()


def test_redelivered_events_stay_one_document_each(indexed):
    before = count(indexed)
    for _ in range(3):
        assert index_events(indexed, EVENTS) == {}
    assert count(indexed) == before == len(EVENTS)


def wrong_dims(message_id: str):
    """An event whose embedding the index refuses (7 dims, not 4)."""
    event = routed(ROWS[0])
    return event.model_copy(
        update={
            "platform_message_id": message_id,
            "event_id": f"twitter:{message_id}",
            "classification": event.classification.model_copy(update={"embedding": [0.1] * 7}),
        }
    )


def test_a_document_elasticsearch_refuses_is_reported_with_the_reason(indexed):
    bad = wrong_dims("bad-dims")
    rejected = index_events(indexed, [bad, EVENTS[2]])
    assert list(rejected) == ["twitter:bad-dims"]
    assert "dims" in rejected["twitter:bad-dims"]


def test_the_brands_reply_marks_the_customer_message_answered_and_late(api):
    thread = api.get("/v1/conversations/c-1", headers={"X-API-Key": "agent-key-0123456789"}).json()
    first, reply = thread["events"]
    assert first["response"]["answered_at"] == reply["created_at"]
    assert first["response"]["answered_late"] is True
    assert reply["response"] is None


@pytest.fixture
def fresh_index(search_settings):
    """An index of this test's own, so the shared one's counts stay as they are."""
    settings = search_settings.model_copy(
        update={"index_alias": f"test-indexer-{uuid.uuid4().hex[:8]}"}
    )
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.close()
    yield settings
    drop_index(settings)


def stored(settings, event_id: str) -> dict:
    es = elastic.client(settings)
    try:
        return es.get(index=settings.index_alias, id=event_id)["_source"]
    finally:
        es.close()


def test_reindexing_an_answered_message_keeps_its_answer(fresh_index):
    inbound, reply = EVENTS[0], EVENTS[1]  # the customer's message and the brand's answer
    assert index_events(fresh_index, [inbound]) == {}
    assert index_events(fresh_index, [reply]) == {}
    answer = stored(fresh_index, inbound.event_id)["response"]
    assert answer["answered_at"] == reply.created_at.isoformat()

    # A replay of the topic that starts after the answer: the customer's message
    # comes again, without the reply after it.
    replayed = inbound.model_copy(update={"text": "My blender motor burns after a week!"})
    assert index_events(fresh_index, [replayed]) == {}

    again = stored(fresh_index, inbound.event_id)
    assert again["response"] == answer
    assert again["text"] == replayed.text  # the event's own fields are rewritten


ACK = Actor(kind=ActorKind.system, id=ACK_ACTOR)
AGENT_ACTOR = Actor(kind=ActorKind.agent, id="ana")


def sent(reply, actor: Actor | None, message_id: str | None = None):
    """The brand's reply ``reply`` as the respond service publishes it for ``actor``
    (None: as the platform's echo shows it), under another message id if given."""
    update: dict = {"sent_by": actor}
    if message_id is not None:
        update |= {"platform_message_id": message_id, "event_id": f"twitter:{message_id}"}
    return reply.model_copy(update=update)


def test_an_automatic_acknowledgement_leaves_the_message_unanswered(fresh_index):
    inbound, reply = EVENTS[0], EVENTS[1]
    assert index_events(fresh_index, [inbound, sent(reply, ACK)]) == {}
    assert stored(fresh_index, inbound.event_id).get("response") is None
    assert stored(fresh_index, reply.event_id)["sent_by"] == {"kind": "system", "id": ACK_ACTOR}

    # The platform's echo of the acknowledgement says nothing of who sent it: it is
    # neither taken for an answer nor allowed to erase the sender.
    assert index_events(fresh_index, [sent(reply, None)]) == {}
    assert stored(fresh_index, inbound.event_id).get("response") is None
    assert stored(fresh_index, reply.event_id)["sent_by"] == {"kind": "system", "id": ACK_ACTOR}

    # An agent's reply after it is the answer.
    assert index_events(fresh_index, [sent(reply, AGENT_ACTOR, "agent-answer")]) == {}
    answer = stored(fresh_index, inbound.event_id)["response"]
    assert answer["answered_at"] == reply.created_at.isoformat()


def test_an_acknowledgement_answers_where_the_rules_count_it(fresh_index):
    inbound, reply = EVENTS[0], EVENTS[1]
    assert index_events(fresh_index, [inbound, sent(reply, ACK)], acks_answer=True) == {}
    answer = stored(fresh_index, inbound.event_id)["response"]
    assert answer["answered_at"] == reply.created_at.isoformat()


def test_a_reply_written_on_the_platform_answers_the_customer(fresh_index):
    """No sender: a reply the brand wrote in the platform's own tools, seen through
    its echo, delivered twice."""
    inbound, reply = EVENTS[0], EVENTS[1]
    assert index_events(fresh_index, [inbound, sent(reply, None)]) == {}
    assert index_events(fresh_index, [sent(reply, None)]) == {}
    answer = stored(fresh_index, inbound.event_id)["response"]
    assert answer["answered_at"] == reply.created_at.isoformat()
    assert stored(fresh_index, reply.event_id)["sent_by"] is None


def test_a_reply_is_recorded_without_the_refresh_api(fresh_index):
    """The refresh API needs the `maintenance` privilege the index worker's key lacks
    (docs/deploy.md); the reply's batch waits for its refresh through the bulk instead."""

    async def run() -> None:
        es = elastic.async_client(fresh_index)

        async def forbidden(*args, **kwargs):
            raise AssertionError("indices.refresh needs the maintenance privilege")

        es.indices.refresh = forbidden
        try:
            # The customer's message and the answer in the same batch, as after an outage.
            assert await Indexer(es, fresh_index.index_alias).index(EVENTS[:2]) == {}
        finally:
            await es.close()

    asyncio.run(run())
    response = stored(fresh_index, EVENTS[0].event_id)["response"]
    assert response == {"answered_at": EVENTS[1].created_at.isoformat(), "answered_late": True}


def test_a_write_blocked_index_is_waited_out_not_refused(fresh_index):
    """A write block (as Elasticsearch sets on a full disk, or an operator) is
    Elasticsearch's state, not the events' fault: they wait, none is dead-lettered."""
    blocked = {"index.blocks.write": True}

    async def run() -> dict[str, str]:
        es = elastic.async_client(fresh_index)
        await es.indices.put_settings(index=fresh_index.index_alias, settings=blocked)
        indexer = Indexer(es, fresh_index.index_alias)
        refused_once = asyncio.Event()
        bulk = indexer._bulk

        async def observed(*args, **kwargs):
            failures = await bulk(*args, **kwargs)
            if failures:
                refused_once.set()
            return failures

        indexer._bulk = observed
        try:
            task = asyncio.create_task(indexer.index(EVENTS[2:4]))
            await asyncio.wait_for(refused_once.wait(), 60)
            await es.indices.put_settings(
                index=fresh_index.index_alias, settings={"index.blocks.write": None}
            )
            return await asyncio.wait_for(task, 60)
        finally:
            await es.close()

    assert asyncio.run(run()) == {}
    assert stored(fresh_index, EVENTS[2].event_id)["text"] == EVENTS[2].text


def test_a_batch_split_into_parallel_bulk_requests_stores_each_event_once(fresh_index):
    bad = wrong_dims("bad-dims-parallel")

    async def run() -> dict[str, str]:
        es = elastic.async_client(fresh_index)
        try:
            indexer = Indexer(es, fresh_index.index_alias, concurrency=3)
            rejected = await indexer.index([*EVENTS, bad])
            assert await indexer.index(EVENTS) == {}  # a replay: the documents exist
            await es.indices.refresh(index=fresh_index.index_alias)
            return rejected
        finally:
            await es.close()

    rejected = asyncio.run(run())
    assert list(rejected) == [bad.event_id]
    assert count(fresh_index) == len(EVENTS)


HNSW = elastic.EMBEDDING_INDEX_OPTIONS["hnsw"]


@pytest.mark.parametrize(
    ("created_with", "search", "has_after"),
    [
        # float vectors to the configured int8 structure: an upgrade, done in place
        ({"type": "flat"}, "flat", elastic.EMBEDDING_INDEX_OPTIONS["flat"]),
        ({"type": "hnsw"}, "hnsw", HNSW),
        # a graph to a scan is a downgrade Elasticsearch refuses: kept, still serving
        (HNSW, "flat", HNSW),
    ],
    ids=["flat-to-int8_flat", "hnsw-to-int8_hnsw", "int8_hnsw-kept"],
)
def test_an_existing_index_gets_the_embedding_options_in_place(
    search_settings, created_with, search, has_after
):
    """An index made with other vector options is upgraded in place at start-up where
    Elasticsearch allows it, its documents kept; where it does not, the index keeps its
    options and start-up goes on."""
    settings = search_settings.model_copy(
        update={"index_alias": f"test-vectors-{uuid.uuid4().hex[:8]}", "embedding_search": search}
    )
    mappings = elastic.event_mappings(settings)
    embedding = mappings["properties"]["classification"]["properties"]["embedding"]
    embedding["index_options"] = created_with
    es = elastic.client(settings)
    try:
        es.indices.create(
            index=elastic.index_name(settings),
            mappings=mappings,
            aliases={settings.index_alias: {"is_write_index": True}},
        )
        assert index_events(settings, EVENTS) == {}
        assert elastic.ensure_index(es, settings) is False
        field = es.indices.get_field_mapping(
            index=settings.index_alias, fields="classification.embedding"
        )
        (body,) = field.values()
        options = body["mappings"]["classification.embedding"]["mapping"]["embedding"]
        assert options["index_options"] == has_after
        found = es.search(
            index=settings.index_alias,
            knn={
                "field": "classification.embedding",
                "query_vector": EVENTS[0].classification.embedding,
                "k": 3,
                "num_candidates": 10,
            },
        )
        assert found["hits"]["hits"][0]["_id"] == EVENTS[0].event_id
    finally:
        es.close()
        drop_index(settings)
