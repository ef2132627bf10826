"""``GET /v1/metrics/care`` over the real Elasticsearch: hand-made conversation states
with known first-response and resolution times, deadlines and reopenings, and the
exact figures Elasticsearch's aggregations must give for them, overall and by group;
the inbox's open breaches; the measures taken in place on an index of an older
release; and the dashboard's bucket size following the time range."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialcare import elastic
from socialcare.index.conversations import conversation_document
from socialcare.schema import Conversation
from socialcare.search.queries import TimeWindow
from socialcare.search.stats_queries import readable_interval
from tests.support.care_index import care_api

pytestmark = pytest.mark.integration

KEY = {"X-API-Key": "metrics-reader-key-0123456789"}
DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
EN, DE = "support.queue.en.general", "support.queue.de.logistics"
WINDOW = {"since": "2026-11-20T00:00:00Z", "until": "2026-11-22T00:00:00Z"}
MIN = timedelta(minutes=1)


def conversation(n: int, opened: datetime, **fields) -> Conversation:
    return Conversation.model_validate(
        {
            "conversation_id": f"m-{n}",
            "platform": "telegram",
            "brand_account_id": "brand",
            "status": "waiting_customer" if fields.get("first_response_at") else "open",
            "opened_at": opened,
            "last_activity_at": opened,
            **fields,
        }
    )


def resolved(after: timedelta) -> dict:
    return {"status": "resolved", "resolved_at": after}


# first response 1, 2, 3, 4 and 10 min (5 measured: p50 3 min, p90 between 4 and 10);
# resolution 60, 30 and 120 min; deadlines met 4 times, missed once, overdue once.
STATES = [
    conversation(1, DAY1, queue=EN, language="en", first_response_at=DAY1 + MIN,
                 sentiment="negative", intent="defect", market="HR",
                 first_response_due_at=DAY1 + 30 * MIN, status="resolved",
                 resolved_at=DAY1 + 60 * MIN),
    conversation(2, DAY1 + 10 * MIN, queue=EN, language="en", sentiment="negative",
                 intent="shipping", market="HR",
                 first_response_at=DAY1 + 12 * MIN, first_response_due_at=DAY1 + 40 * MIN),
    conversation(3, DAY1 + 60 * MIN, platform="facebook", queue=DE, language="de",
                 sentiment="positive", intent="shipping", market="DE",
                 first_response_at=DAY1 + 63 * MIN, first_response_due_at=DAY1 + 62 * MIN,
                 status="resolved", resolved_at=DAY1 + 90 * MIN),
    conversation(4, DAY1 + 120 * MIN, platform="facebook", queue=DE, language="de",
                 first_response_due_at=DAY1 + 150 * MIN),
    conversation(5, DAY2, queue=EN, language="en", first_response_at=DAY2 + 10 * MIN,
                 first_response_due_at=DAY2 + 30 * MIN, status="resolved",
                 resolved_at=DAY2 + 120 * MIN),
    # Reopened at 12:00: its first response (08:00, in time) is the first contact's,
    # so its first-response time is unknown; no language.
    conversation(6, DAY2 + 180 * MIN, platform="whatsapp", queue=EN, reopen_count=1,
                 first_response_at=DAY2 - 60 * MIN, first_response_due_at=DAY2 - 30 * MIN,
                 status="open"),
    conversation(8, DAY2 + 60 * MIN, platform="instagram", queue=DE, language="en",
                 first_response_at=DAY2 + 64 * MIN),  # no deadline
    conversation(9, DAY2 + 4 * 24 * 60 * MIN, queue=EN, language="en"),  # after the window
]  # fmt: skip


@pytest.fixture(scope="module")
def api(stack, settings):
    with care_api(settings, STATES, KEY["X-API-Key"], DAY2) as client:
        yield client


def metrics(api, **params) -> dict:
    answer = api.get("/v1/metrics/care", params={**WINDOW, **params}, headers=KEY)
    assert answer.status_code == 200, answer.text
    return answer.json()


def share(count: int, of: int) -> dict:
    return {"share": count / of if of else None, "count": count, "of": of}


def test_the_overall_figures_are_exact(api):
    body = metrics(api)
    assert body["groups"] == [] and body["group_by"] is None
    assert body["overall"] == {
        "opened": 7,
        # 1, 2, 3, 4, 10 min: the median, and 90 % interpolated between 4 and 10 min.
        "first_response": {"p50_ms": 180_000.0, "p90_ms": 456_000.0, "count": 5},
        # No business hours in this index's routing: every hour is staffed.
        "first_response_business": {"p50_ms": 180_000.0, "p90_ms": 456_000.0, "count": 5},
        "sentiment": {"negative": 2, "positive": 1},
        "within_deadline": share(4, 6),  # 1, 2, 5, 6 in time; 3 late; 4 overdue
        "overdue_unanswered": 1,
        "resolved": share(3, 7),
        # 30, 60, 120 min.
        "resolution_time": {"p50_ms": 3_600_000.0, "p90_ms": 6_480_000.0, "count": 3},
        "reopened": share(1, 7),
        "csat": {"average": None, "count": 0, "response_rate": share(0, 0)},
    }
    assert body["unavailable"] == {}


def test_the_figures_by_queue_give_the_deadline_attainment_of_each(api):
    groups = {g["key"]: g for g in metrics(api, group_by="queue")["groups"]}
    assert list(groups) == [EN, DE]  # largest first
    assert groups[EN]["opened"] == 4 and groups[DE]["opened"] == 3
    assert groups[EN]["within_deadline"] == share(4, 4)
    assert groups[DE]["within_deadline"] == share(0, 2)
    assert groups[DE]["overdue_unanswered"] == 1
    assert groups[DE]["first_response"] == {"p50_ms": 210_000.0, "p90_ms": 234_000.0, "count": 2}


def test_the_figures_by_language_name_the_conversations_without_one(api):
    groups = {g["key"]: g["opened"] for g in metrics(api, group_by="language")["groups"]}
    assert groups == {"en": 4, "de": 2, None: 1}


def test_sentiment_by_market_and_figures_by_intent(api):
    markets = {g["key"]: g for g in metrics(api, group_by="market")["groups"]}
    assert {k: g["opened"] for k, g in markets.items()} == {"HR": 2, "DE": 1, None: 4}
    assert markets["HR"]["sentiment"] == {"negative": 2}
    assert markets["DE"]["sentiment"] == {"positive": 1}
    intents = {g["key"]: g["opened"] for g in metrics(api, group_by="intent")["groups"]}
    assert intents == {"shipping": 2, "defect": 1, None: 4}


def test_the_figures_by_day_follow_the_opening(api):
    days = metrics(api, group_by="day")["groups"]
    assert [(d["key"][:10], d["opened"], d["resolved"]["count"]) for d in days] == [
        ("2026-11-20", 4, 2),
        ("2026-11-21", 3, 1),
    ]
    hours = metrics(api, group_by="hour", since="2026-11-20T00:00:00Z")["groups"]
    assert sum(h["opened"] for h in hours) == 7 and len(hours) == 6  # only hours with any


def test_a_window_without_conversations_gives_zeros_not_errors(api):
    body = metrics(api, since="2020-01-01T00:00:00Z", until="2020-01-02T00:00:00Z")
    assert body["overall"]["opened"] == 0
    assert body["overall"]["first_response"] == {"p50_ms": None, "p90_ms": None, "count": 0}
    assert body["overall"]["resolved"] == share(0, 0)


def test_the_open_breaches_are_the_unanswered_conversations_past_their_deadline(api):
    answer = api.get("/v1/inbox", params={"overdue": True}, headers=KEY)
    assert answer.status_code == 200, answer.text
    assert [c["conversation_id"] for c in answer.json()["conversations"]] == ["m-4"]
    # The measures stay out of the states the API shows.
    state = api.get("/v1/conversations/m-1", headers=KEY).json()["state"]
    assert "first_response_ms" not in state and state["status"] == "resolved"


def test_an_older_conversations_index_takes_the_measures_in_place(stack, settings):
    care = settings.model_copy(update={"index_alias": f"test-metrics-{uuid.uuid4().hex[:8]}"})
    old = elastic.conversation_mappings()
    for name in elastic.CONVERSATION_MEASURES:
        del old["properties"][name]
    es = elastic.client(care)
    alias = elastic.conversations_alias(care)
    try:
        es.indices.create(
            index=elastic.conversations_index_name(care), mappings=old, aliases={alias: {}}
        )
        assert elastic.ensure_conversations_index(es, care) is False
        es.index(index=alias, id="m-1", document=conversation_document(STATES[0], DAY2))
        assert es.get(index=alias, id="m-1")["_source"]["first_response_ms"] == 60_000
    finally:
        es.indices.delete(index=elastic.conversations_index_name(care))
        es.close()


@pytest.mark.parametrize(
    "since,until,interval",
    [
        ("2026-11-20T09:00:00Z", "2026-11-20T09:20:00Z", "minute"),
        ("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", "hour"),
        ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "day"),
        ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "week"),
        ("2022-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "month"),
    ],
)
def test_the_dashboard_buckets_follow_the_range(since, until, interval):
    window = TimeWindow.model_validate({"since": since, "until": until})
    assert readable_interval(window, None, None) == interval
    # No range: the messages' own span.
    first, last = window.since.timestamp() * 1000, window.until.timestamp() * 1000
    assert readable_interval(TimeWindow(), first, last) == interval
