"""The bulk body the Indexer sends: the same JSON the event model gives, one header
line per action, no body for a delete."""

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from socialcare.index.documents import document_json
from socialcare.index.indexer import _create, _ndjson, _upsert
from socialcare.schema import RoutedEvent
from tests.support.events import CLASSIFICATION, ROUTING, event_data

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def document(event: RoutedEvent) -> dict:
    """What the index must hold: the event as the schema dumps it, and when indexed."""
    return {**event.model_dump(mode="json"), "indexed_at": NOW.isoformat()}


def routed(**overrides) -> RoutedEvent:
    return RoutedEvent.model_validate(
        event_data(3, **{"classification": CLASSIFICATION, "routing": ROUTING, **overrides})
    )


@given(text=st.text(max_size=200), embedding=st.lists(st.floats(-1, 1), max_size=8))
def test_the_serialized_document_is_the_document(text, embedding):
    event = routed(text=text, classification={**CLASSIFICATION, "embedding": embedding})
    assert json.loads(document_json(event, NOW)) == document(event)


def test_a_create_is_a_header_and_the_document():
    event = routed()
    header, body = _ndjson(_create("alias", event, NOW))
    assert json.loads(header) == {"create": {"_index": "alias", "_id": event.event_id}}
    assert json.loads(body) == document(event)


def test_an_upsert_carries_the_document_and_its_options():
    event = routed()
    header, body = _ndjson(_upsert("alias", event, NOW))
    assert json.loads(header) == {
        "update": {"_index": "alias", "_id": event.event_id, "retry_on_conflict": 3}
    }
    # No sender (a customer message, a platform's echo): the stored one stays.
    assert json.loads(body) == {
        "doc": {k: v for k, v in document(event).items() if k != "sent_by"},
        "doc_as_upsert": True,
    }


def test_an_upsert_of_a_reply_carries_its_sender():
    event = routed(direction="outbound", sent_by={"kind": "agent", "id": "ana"})
    _, body = _ndjson(_upsert("alias", event, NOW))
    assert json.loads(body)["doc"] == document(event)
    assert json.loads(body)["doc"]["sent_by"] == {"kind": "agent", "id": "ana"}


def test_a_delete_has_no_body_and_a_partial_update_its_fields():
    assert _ndjson({"_op_type": "delete", "_index": "a", "_id": "x"}) == [
        b'{"delete": {"_index": "a", "_id": "x"}}'
    ]
    _, body = _ndjson(
        {"_op_type": "update", "_index": "a", "_id": "x", "doc": {"response": {"late": True}}}
    )
    assert json.loads(body) == {"doc": {"response": {"late": True}}}
