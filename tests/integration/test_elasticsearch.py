import uuid

import pytest
from elasticsearch import helpers

from socialcare import elastic
from socialcare.schema import RoutedEvent
from socialcare.settings import Settings
from tests.support.events import CLASSIFICATION, ROUTING, event_data

pytestmark = pytest.mark.integration

TEXTS = [
    ("defect", "negative", "The blender motor burns after a week", [1.0, 0.0, 0.0]),
    ("defect", "negative", "Blender motor smells burnt and stops", [0.9, 0.1, 0.0]),
    ("shipping", "negative", "Wo ist mein Paket? Seit Tagen keine Sendungsverfolgung", [0, 1, 0]),
    ("praise", "positive", "Merci pour la livraison rapide !", [0.0, 0.2, 1.0]),
]


@pytest.fixture
def es_settings(settings: Settings) -> Settings:
    # A private alias per test, so tests never see each other's documents.
    return settings.model_copy(
        update={"index_alias": f"test-events-{uuid.uuid4().hex[:8]}", "embedding_dims": 3}
    )


@pytest.fixture
def es(stack, es_settings):
    client = elastic.client(es_settings)
    yield client
    # The node refuses wildcard deletes (destructive_requires_name): name each index.
    for index in client.indices.get(index=f"{es_settings.index_alias}-v*"):
        client.indices.delete(index=index)
    client.indices.delete_index_template(name=es_settings.index_alias)
    client.close()


def _docs(alias: str):
    for n, (intent, sentiment, text, vector) in enumerate(TEXTS):
        event = RoutedEvent.model_validate(
            event_data(
                n,
                text=text,
                classification={
                    **CLASSIFICATION,
                    "intent": intent,
                    "intent_scores": {intent: 0.9},
                    "sentiment": sentiment,
                    "sentiment_scores": {sentiment: 0.9},
                    "embedding": vector,
                },
                routing=ROUTING,
            )
        )
        yield {"_index": alias, "_id": event.event_id, "_source": event.model_dump(mode="json")}


def test_ensure_index_creates_the_versioned_index_behind_the_alias_once(es, es_settings):
    assert elastic.ensure_index(es, es_settings) is True
    assert elastic.ensure_index(es, es_settings) is False
    aliases = es.indices.get_alias(name=es_settings.index_alias)
    assert list(aliases) == [f"{es_settings.index_alias}-v{elastic.INDEX_VERSION}"]
    mapping = es.indices.get_mapping(index=es_settings.index_alias)
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["classification"]["properties"]["embedding"]["type"] == "dense_vector"
    assert props["event_id"]["type"] == "keyword"


def test_index_search_aggregate_and_knn(es, es_settings):
    elastic.ensure_index(es, es_settings)
    alias = es_settings.index_alias
    ok, errors = helpers.bulk(es, _docs(alias), refresh="wait_for")
    assert (ok, errors) == (len(TEXTS), [])
    # Redelivery: the same events again are the same documents (_id = event_id).
    helpers.bulk(es, _docs(alias), refresh="wait_for")
    assert es.count(index=alias)["count"] == len(TEXTS)

    found = es.search(
        index=alias,
        query={"match": {"text": "blender motor"}},
        highlight={"fields": {"text": {}}},
    )
    hits = found["hits"]["hits"]
    assert {h["_source"]["classification"]["intent"] for h in hits} == {"defect"}
    assert "<em>motor</em>" in hits[0]["highlight"]["text"][0]

    german = es.search(index=alias, query={"match": {"text": "Paket"}})
    assert german["hits"]["total"]["value"] == 1

    facets = es.search(
        index=alias,
        size=0,
        aggs={"intent": {"terms": {"field": "classification.intent"}}},
    )["aggregations"]["intent"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in facets} == {"defect": 2, "shipping": 1, "praise": 1}

    similar = es.search(
        index=alias,
        knn={
            "field": "classification.embedding",
            "query_vector": [1.0, 0.05, 0.0],
            "k": 2,
            "num_candidates": 10,
        },
    )["hits"]["hits"]
    assert {h["_source"]["text"] for h in similar} == {TEXTS[0][2], TEXTS[1][2]}


def test_strict_mapping_rejects_a_document_with_an_unknown_field(es, es_settings):
    elastic.ensure_index(es, es_settings)
    doc = next(_docs(es_settings.index_alias))
    doc["_source"]["mood"] = "angry"
    ok, errors = helpers.bulk(es, [doc], raise_on_error=False)
    assert ok == 0
    assert errors[0]["index"]["error"]["type"] == "strict_dynamic_mapping_exception"
