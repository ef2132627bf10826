"""Every endpoint and filter of the search API, on the real Elasticsearch."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.search.api import create_app
from tests.support.search_index import (
    ADMIN,
    AGENT,
    EVENTS,
    ROWS,
    T0,
    drop_index,
    index_events,
    routed,
)

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


@pytest.mark.parametrize(
    "cursor",
    [
        "WzFd",  # base64 of [1]: the cursor of the review, a 500 before
        base64.urlsafe_b64encode(json.dumps([1.0, 1763629200000]).encode()).decode(),
        "r~1~x",  # relevance needs a score
        "r~1.5~1763629200000~dHdpdHRlcjptMQ",  # a score not as float.hex
        "n~x~dHdpdHRlcjptMQ",
        "n~1763629200000",
        "n~99999999999999999999~YQ",  # beyond a long
        "n~1~Y",  # no base64 string has one character left over
        "x~1~YQ",
        "r~0x1.0p+99999~1~YQ",
        "ü",
        "n~1~" + "YQ" * 2048,  # too long
    ],
)
def test_tampered_cursors_get_a_422_that_names_the_cursor(api, cursor):
    response = api.get("/v1/search", params={"q": "x", "cursor": cursor}, headers=AGENT)
    assert response.status_code == 422, response.text
    body = response.json()
    assert "cursor" in body["detail"]
    assert body["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    "cursor",
    [
        "n~9223372036854775807~YQ",
        "o~-9999999999999999999~",  # clamped to a long
        "r~-0x1.fp+1023~-5~__8",  # and an event id that is not UTF-8
        "r~0x1.0p+9999~0~YWJj",  # a score beyond a double: the largest instead
        "r~0x0.0000000000001p-1022~0~YWJj",
    ],
)
def test_any_string_the_cursor_pattern_allows_is_answered(api, cursor):
    response = api.get("/v1/search", params={"cursor": cursor}, headers=AGENT)
    assert response.status_code == 200, response.text


def test_a_cursor_goes_on_in_the_sort_of_its_first_page(api):
    oldest = ids(api.get("/v1/search", params={"sort": "oldest"}, headers=AGENT).json())
    first = api.get("/v1/search", params={"size": 2, "sort": "oldest"}, headers=AGENT).json()
    cursor = first["next_cursor"]
    second = api.get(
        "/v1/search", params={"size": 2, "sort": "relevance", "cursor": cursor}, headers=AGENT
    ).json()
    assert ids(first) + ids(second) == oldest[:4]


@pytest.mark.parametrize(
    "path,params,field",
    [
        ("/v1/search", {"platform": [f"p{n}" for n in range(51)]}, "platform"),
        ("/v1/search", {"intent": "x" * 257}, "intent"),
        ("/v1/search", {"author": "a" * 257}, "author"),
        ("/v1/search", {"q": "x" * 1001}, "q"),
        ("/v1/search", {"since": "tomorrow"}, "since"),
        ("/v1/search", {"since": "2026-11-20"}, "since"),  # not a date-time
        ("/v1/stats", {"until": "0.5"}, "until"),  # a Unix time to pydantic, not RFC 3339
        ("/v1/stats", {"until": "2026-11-20T09:00:00"}, "until"),  # no offset
        ("/v1/stats", {"interval": "fortnight"}, "interval"),
        ("/v1/similar/twitter:m1", {"size": 0}, "size"),
        ("/v1/authors/twitter/u-anna/history", {"size": 201}, "size"),
    ],
)
def test_every_parameter_that_reaches_elasticsearch_is_bounded(api, path, params, field):
    response = api.get(path, params=params, headers=AGENT)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        # The edges of the calendar, with offsets that would overflow a UTC conversion.
        {"since": "0001-01-01T00:00:00+01:00", "until": "9999-12-31T23:59:59-01:00"},
        {"since": "2026-11-20T00:00:00+14:00", "until": "2026-11-21T00:00:00.123456789Z"},
        {"since": "2026-11-21T00:00:00Z", "until": "2026-11-20T00:00:00Z"},  # empty window
        {"until": "1923-09-18T00:26:08.549+22:28"},  # an offset Java refuses: a 500 before
        {"q": '\\"(*[{ AND OR NOT ~ ^ / \u0000'},
        {"q": "ü" * 1000},
        {"author": "@" * 256, "platform": ["x" * 256] * 50},
    ],
)
def test_odd_but_valid_input_is_answered_not_crashed(api, params):
    for path in ("/v1/search", "/v1/stats"):
        kept = {k: v for k, v in params.items() if path == "/v1/search" or k in ("since", "until")}
        response = api.get(path, params=kept, headers=AGENT)
        assert response.status_code == 200, response.text


def test_every_error_has_one_documented_shape(api):
    answers = {
        401: api.get("/v1/search"),
        403: api.get("/v1/search", headers={"X-API-Key": "guess"}),
        404: api.get("/v1/conversations/nope", headers=AGENT),
        422: api.get("/v1/stats", params={"interval": "fortnight"}, headers=AGENT),
        405: api.post("/v1/search", headers=AGENT),
    }
    answers[404.1] = api.get("/v1/nothing-here", headers=AGENT)
    for status, response in answers.items():
        assert response.status_code == int(status)
        body = response.json()
        assert set(body) == {"status", "detail", "errors"}, body
        assert body["status"] == int(status) and isinstance(body["detail"], str)
    error = answers[422].json()["errors"][0]
    assert error == {
        "loc": ["query", "interval"],
        "msg": error["msg"],
        "type": "literal_error",
    }  # and not the input: it may be a key or personal data

    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["Problem"]["properties"]) == {"status", "detail", "errors"}
    paths = api.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/Problem"), (method, path, status)


def test_openapi_declares_the_api_key_scheme_on_every_keyed_operation(api):
    spec = api.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": spec["components"]["securitySchemes"]["apiKey"]["description"],
    }
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            keyed = path.startswith("/v1/")
            assert (operation.get("security") == [{"apiKey": []}]) == keyed, (method, path)
            if keyed:
                assert {"401", "403", "422", "503"} <= set(operation["responses"])


@pytest.mark.parametrize("path", ["/v1/search", "/console/", "/console/console.js", "/docs"])
def test_strict_security_headers_on_api_console_and_docs(api, path):
    response = api.get(path, headers=AGENT)
    assert response.status_code == 200
    csp = {
        d.split()[0]: d.split()[1:]
        for d in response.headers["Content-Security-Policy"].split(";")
        if d.strip()
    }
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp.get("script-src", [])
    assert "'unsafe-eval'" not in csp.get("script-src", [])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if path != "/docs":
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]


def test_health_readiness_and_docs(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}
    assert "/v1/search" in api.get("/openapi.json").json()["paths"]


@pytest.fixture
def erasable(search_settings, monkeypatch):
    """An index and an erasure topic of this test's own: erasing must not depend on, or
    change, what other tests search or which authors later workers drop."""
    settings = search_settings.model_copy(
        update={"index_alias": f"test-erase-{uuid.uuid4().hex[:8]}"}
    )
    monkeypatch.setenv("SOCIALCARE_ERASURE_TOPIC", f"test.erasures.{uuid.uuid4().hex[:8]}")
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.close()
    assert index_events(settings, EVENTS) == {}
    with TestClient(create_app(settings)) as client:
        yield client, settings
    drop_index(settings)


def test_erasure_removes_the_author_and_nothing_else_and_is_audited(erasable):
    api, indexed = erasable
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

    es = elastic.client(indexed)
    try:
        audit = es.get(index=f"{indexed.index_alias}-audit", id=report["audit_id"])["_source"]
    finally:
        es.close()
    assert (audit["action"], audit["deleted"], audit["complete"]) == ("erase_author", 2, True)
    # The audit outlives the person: it names them only by the erasure record's hash.
    assert "u-sara" not in str(audit) and audit["subject"] and audit["erasure_id"]
    assert audit["key_id"] and audit["key_id"] != ADMIN["X-API-Key"]
    # Nobody else's data went with it.
    rest = {h["event"]["author"]["id"] for h in after["hits"]}
    assert rest == {e.author.id for e in EVENTS} - {"u-sara"}


@pytest.fixture(scope="module")
def long_history(search_settings):
    """Eight years of messages: hourly buckets of them would pass Elasticsearch's
    search.max_buckets (65,536)."""
    settings = search_settings.model_copy(
        update={"index_alias": f"test-span-{uuid.uuid4().hex[:8]}"}
    )
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.close()
    events = []
    for n, row in enumerate(ROWS * 17):
        event = routed(row)
        moved = T0 - timedelta(days=30 * n)
        events.append(
            event.model_copy(
                update={
                    "platform_message_id": f"span-{n}",
                    "event_id": f"{event.platform}:span-{n}",
                    "created_at": moved,
                    "received_at": moved,
                }
            )
        )
    assert index_events(settings, events) == {}
    with TestClient(create_app(settings)) as client:
        yield client, len(events)
    drop_index(settings)


def test_stats_over_a_long_span_coarsen_the_interval_instead_of_failing(long_history):
    client, total = long_history
    body = client.get("/v1/stats", params={"interval": "hour"}, headers=AGENT)
    assert body.status_code == 200, body.text
    body = body.json()
    assert body["total"] == total
    assert body["interval"] == "week"  # the finest that stays under the cap
    assert sum(b["total"] for b in body["over_time"]) == total
    assert len(body["over_time"]) <= 1000
    daily = client.get("/v1/stats", params={"interval": "week"}, headers=AGENT).json()
    assert daily["interval"] == "week"
