import pytest

from socialcare import elastic
from tests.search.conftest import EVENTS, ROWS, index_events, routed

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


def test_a_document_elasticsearch_refuses_is_reported_with_the_reason(indexed):
    bad = routed(ROWS[0])
    bad = bad.model_copy(
        update={
            "platform_message_id": "bad-dims",
            "event_id": "twitter:bad-dims",
            "classification": bad.classification.model_copy(update={"embedding": [0.1] * 7}),
        }
    )
    rejected = index_events(indexed, [bad, EVENTS[2]])
    assert list(rejected) == ["twitter:bad-dims"]
    assert "dims" in rejected["twitter:bad-dims"]


def test_the_brands_reply_marks_the_customer_message_answered_and_late(api):
    thread = api.get("/v1/conversations/c-1", headers={"X-API-Key": "agent-key"}).json()
    first, reply = thread["events"]
    assert first["response"]["answered_at"] == reply["created_at"]
    assert first["response"]["answered_late"] is True
    assert reply["response"] is None
