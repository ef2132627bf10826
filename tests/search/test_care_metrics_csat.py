"""CSAT in ``GET /v1/metrics/care`` over the real Elasticsearch: the surveys' answers
on the conversation states, averaged, counted and set against the surveys sent."""

from datetime import UTC, datetime, timedelta

import pytest

from socialcare.schema import Conversation
from tests.support.care_index import care_api

pytestmark = pytest.mark.integration

KEY = {"X-API-Key": "csat-reader-key-0123456789abc"}
DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def resolved(n: int, platform: str, csat: int | None = None, surveyed: bool = True):
    answered = {"csat": csat, "csat_at": DAY + 3 * HOUR} if csat else {}
    return Conversation.model_validate(
        {
            "conversation_id": f"csat-{n}",
            "platform": platform,
            "brand_account_id": "brand",
            "status": "resolved",
            "opened_at": DAY + n * timedelta(minutes=1),
            "resolved_at": DAY + HOUR,
            "last_activity_at": DAY + HOUR,
            **({"survey_sent_at": DAY + 2 * HOUR} if surveyed else {}),
            **answered,
        }
    )


# Telegram: 3 surveyed, answered 5 and 2; WhatsApp: 1 surveyed, answered 4;
# Twitter: not surveyed.
STATES = [
    resolved(1, "telegram", 5),
    resolved(2, "telegram", 2),
    resolved(3, "telegram"),
    resolved(4, "whatsapp", 4),
    resolved(5, "twitter", surveyed=False),
]


@pytest.fixture(scope="module")
def api(stack, settings):
    with care_api(settings, STATES, KEY["X-API-Key"], DAY) as client:
        yield client


def csat(api, **params) -> dict:
    window = {"since": "2026-11-20T00:00:00Z", "until": "2026-11-21T00:00:00Z"}
    answer = api.get("/v1/metrics/care", params={**window, **params}, headers=KEY)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "csat" not in body["unavailable"]
    return body


def rate(count: int, of: int) -> dict:
    return {"share": count / of if of else None, "count": count, "of": of}


def test_csat_average_count_and_response_rate(api):
    body = csat(api)
    assert body["overall"]["csat"] == {
        "average": pytest.approx(11 / 3),
        "count": 3,
        "response_rate": rate(3, 4),
    }
    groups = {g["key"]: g["csat"] for g in csat(api, group_by="platform")["groups"]}
    assert groups["telegram"] == {"average": 3.5, "count": 2, "response_rate": rate(2, 3)}
    assert groups["whatsapp"] == {"average": 4.0, "count": 1, "response_rate": rate(1, 1)}
    assert groups["twitter"] == {"average": None, "count": 0, "response_rate": rate(0, 0)}
