"""Every endpoint and filter of the search API, on the real Elasticsearch."""

from datetime import timedelta

import pytest

from tests.search.conftest import ADMIN, AGENT, EVENTS, T0, index_events, routed

pytestmark = pytest.mark.integration


def at(hours: int) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def ids(body):
    return [h["event"]["event_id"] for h in body["hits"]]


def test_full_text_in_german_with_highlight_and_facets(api):
    body = api.get("/v1/search", params={"q": "Paket"}, headers=AGENT).json()
    assert ids(body) == ["facebook:m3"]
    assert "<mark>Paket</mark>" in body["hits"][0]["highlight"]
    assert body["facets"]["language"] == {"de": 1}
    assert "embedding" not in body["hits"][0]["event"]["classification"] or (
        body["hits"][0]["event"]["classification"]["embedding"] is None
    )


def test_full_text_in_persian(api):
    body = api.get("/v1/search", params={"q": "سفارش"}, headers=AGENT).json()
    assert ids(body) == ["telegram:m6"]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"platform": "twitter"}, {"twitter:m1", "twitter:m2"}),
        ({"platform": ["whatsapp", "telegram"]}, {"whatsapp:m5", "telegram:m6"}),
        ({"language": "fr"}, {"instagram:m4"}),
        ({"intent": "defect"}, {"twitter:m1", "whatsapp:m5"}),
        ({"sentiment": "positive"}, {"instagram:m4"}),
        ({"queue": "support.queue.de.logistics"}, {"facebook:m3"}),
        ({"skill": "orders"}, {"telegram:m6"}),
        ({"priority": "P4"}, {"twitter:m2", "instagram:m4"}),
        ({"kind": "dm"}, {"whatsapp:m5", "telegram:m6"}),
        ({"author": "u-anna"}, {"twitter:m1", "whatsapp:m5"}),
        ({"author": "@u-sara"}, {"telegram:m6"}),
        (
            {"since": at(hours=3), "until": at(hours=5)},
            {"facebook:m3", "instagram:m4"},
        ),
        ({"q": "blender motor", "intent": "defect", "platform": "whatsapp"}, {"whatsapp:m5"}),
        # m1 was answered late; m3-m6 are unanswered and past due; m2 is the reply.
        (
            {"sla_breached": "true"},
            {"twitter:m1", "facebook:m3", "instagram:m4", "whatsapp:m5", "telegram:m6"},
        ),
        ({"sla_breached": "false"}, {"twitter:m2"}),
    ],
)
def test_filters(api, params, expected):
    body = api.get("/v1/search", params=params, headers=AGENT).json()
    assert set(ids(body)) == expected
    assert body["total"] == len(expected)


def test_sort_by_time(api):
    newest = ids(api.get("/v1/search", params={"sort": "newest"}, headers=AGENT).json())
    oldest = ids(api.get("/v1/search", params={"sort": "oldest"}, headers=AGENT).json())
    assert oldest == [e.event_id for e in EVENTS]
    assert newest == list(reversed(oldest))


def test_cursor_pages_through_everything_once(api):
    seen, cursor = [], None
    while True:
        params = {"size": 2, "sort": "oldest", **({"cursor": cursor} if cursor else {})}
        body = api.get("/v1/search", params=params, headers=AGENT).json()
        seen += ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [e.event_id for e in EVENTS]


def test_conversation_thread_in_order_with_classification_and_routing(api):
    body = api.get("/v1/conversations/c-1", headers=AGENT).json()
    events = body["events"]
    assert [e["event_id"] for e in events] == ["twitter:m1", "twitter:m2"]
    assert events[0]["classification"]["intent"] == "defect"
    assert events[0]["routing"]["queue"] == "support.queue.en.tech_support"
    assert api.get("/v1/conversations/nope", headers=AGENT).status_code == 404


def test_author_history_across_conversations(api):
    body = api.get("/v1/authors/twitter/u-anna/history", headers=AGENT).json()
    assert body["total"] == 1
    anna_everywhere = {
        e.event_id for e in EVENTS if e.author.id == "u-anna" and e.platform == "whatsapp"
    }
    whatsapp = api.get("/v1/authors/whatsapp/u-anna/history", headers=AGENT).json()
    assert {e["event_id"] for e in whatsapp["events"]} == anna_everywhere
    assert whatsapp["conversations"][0]["conversation_id"] == "c-4"


def test_similar_messages_by_embedding(api):
    body = api.get("/v1/similar/twitter:m1", params={"size": 2}, headers=AGENT).json()
    assert body["similar"][0]["event"]["event_id"] == "whatsapp:m5"
    assert "twitter:m1" not in [h["event"]["event_id"] for h in body["similar"]]
    assert api.get("/v1/similar/nope", headers=AGENT).status_code == 404


def test_stats_for_dashboards(api):
    body = api.get("/v1/stats", params={"interval": "day"}, headers=AGENT).json()
    assert body["total"] == len(EVENTS)
    assert body["intent"]["defect"] == 2
    assert body["language"] == {"en": 3, "de": 1, "fr": 1, "fa": 1}
    assert body["sla_breached"] == 5
    assert sum(b["total"] for b in body["over_time"]) == len(EVENTS)
    assert body["over_time"][0]["sentiment"]["negative"] == 4


def test_authentication_and_scopes(api):
    assert api.get("/v1/search").status_code == 401
    assert api.get("/v1/search", headers={"X-API-Key": "guess"}).status_code == 403
    denied = api.delete("/v1/authors/telegram/u-sara", headers=AGENT)
    assert denied.status_code == 403
    assert "erase" in denied.json()["detail"]


def test_invalid_parameters_get_a_422_with_the_reason(api):
    too_big = api.get("/v1/search", params={"size": 5000}, headers=AGENT)
    assert too_big.status_code == 422
    assert "size" in str(too_big.json()["detail"])
    bad_cursor = api.get("/v1/search", params={"cursor": "not-ours"}, headers=AGENT)
    assert bad_cursor.status_code == 422
    assert "cursor" in bad_cursor.json()["detail"]


def test_health_readiness_and_docs(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}
    assert "/v1/search" in api.get("/openapi.json").json()["paths"]


def test_erasure_removes_the_author_and_nothing_else_and_is_audited(api, indexed):
    extra = routed(
        (
            7,
            "telegram",
            "u-sara",
            "c-9",
            "fa",
            "other",
            "neutral",
            "dm",
            "inbound",
            "سلام",
            [0.0, 0.0, 0.5, 0.5],
        )
    )
    index_events(indexed, [extra])
    before = api.get("/v1/search", params={"size": 100}, headers=AGENT).json()["total"]
    report = api.delete("/v1/authors/telegram/u-sara", headers=ADMIN).json()
    assert report["deleted"] == 2
    after = api.get("/v1/search", params={"size": 100}, headers=AGENT).json()
    assert after["total"] == before - 2
    assert not [h for h in after["hits"] if h["event"]["author"]["id"] == "u-sara"]
    history = api.get("/v1/authors/telegram/u-sara/history", headers=AGENT).json()
    assert history["total"] == 0

    from socialcare import elastic

    es = elastic.client(indexed)
    try:
        audit = es.get(index=f"{indexed.index_alias}-audit", id=report["audit_id"])["_source"]
    finally:
        es.close()
    assert (audit["action"], audit["author_id"], audit["deleted"]) == ("erase_author", "u-sara", 2)
    assert audit["key_id"] and audit["key_id"] != "admin-key"
