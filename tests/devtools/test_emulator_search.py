"""The emulator's X recent search: seeding, the query subset, paging, rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from socialcare_dev.emulator import create_app
from socialcare_dev.emulator.x_query import QueryError, Searchable, compile_query

BEARER = {"Authorization": "Bearer x-token"}
SEARCH = "/2/tweets/search/recent"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(hang_seconds=0.05))


def seed(client: TestClient, *texts: str, **fields: Any) -> list[str]:
    answer = client.post(
        "/_emulator/x/tweets", json={"tweets": [{"text": t, **fields} for t in texts]}
    )
    assert answer.status_code == 201
    return [t["id"] for t in answer.json()]


def search(client: TestClient, query: str, **params: Any) -> dict[str, Any]:
    answer = client.get(SEARCH, params={"query": query, **params}, headers=BEARER)
    assert answer.status_code == 200, answer.text
    return answer.json()


def tweet(text: str, **fields: Any) -> Searchable:
    values = {"author_id": "1", "username": "ana", "lang": "en", "is_reply": False} | fields
    return Searchable(text=text, **values)


@pytest.mark.parametrize(
    "query,text,matches",
    [
        ("voltmobile", "VoltMobile has no signal", True),
        ("voltmobile", "VoltMobilea nema signala", False),  # whole words, like X
        ("voltmobile", "#VoltMobile down again", True),
        ('"no signal"', "VoltMobile: no signal!", True),
        ('"no signal"', "signal: no", False),
        ("voltmobile signal", "VoltMobile has no signal", True),
        ("voltmobile refund", "VoltMobile has no signal", False),
        ("refund OR signal", "VoltMobile has no signal", True),
        ("voltmobile -signal", "VoltMobile has no signal", False),
        ("voltmobile -(refund OR signal)", "VoltMobile has no signal", False),
        ("voltmobile -from:ana", "VoltMobile has no signal", False),
        ("voltmobile -from:voltcare", "VoltMobile has no signal", True),
        ("voltmobile lang:hr", "VoltMobile has no signal", False),
        ("voltmobile -is:retweet", "VoltMobile has no signal", True),
        ("@voltcare", "hi @VoltCare", True),
        ("#voltcare", "hi @VoltCare", False),
    ],
)
def test_the_query_subset(query: str, text: str, matches: bool):
    assert compile_query(query)(tweet(text)) is matches


@pytest.mark.parametrize("query", ["", "(volt", "volt)", "volt OR", '"volt', "-"])
def test_a_query_that_does_not_parse_is_refused(query: str):
    with pytest.raises(QueryError):
        compile_query(query)


def test_results_come_newest_first_in_pages_that_continue_below(client: TestClient):
    ids = seed(client, *(f"VoltMobile down {i}" for i in range(15)), lang="en")
    seed(client, "nothing to see")
    first = search(client, "voltmobile", max_results=10)
    assert [t["id"] for t in first["data"]] == ids[::-1][:10]
    assert first["meta"]["newest_id"] == ids[-1] and first["meta"]["result_count"] == 10
    newer = seed(client, "VoltMobile down again")  # does not shift the next page
    second = search(client, "voltmobile", max_results=10, next_token=first["meta"]["next_token"])
    assert [t["id"] for t in second["data"]] == ids[::-1][10:]
    assert "next_token" not in second["meta"]
    since = search(client, "voltmobile", since_id=ids[-1])
    assert [t["id"] for t in since["data"]] == newer
    assert search(client, "voltmobile", since_id=newer[0]) == {"meta": {"result_count": 0}}


def test_fields_and_the_author_expansion(client: TestClient):
    seed(client, "VoltMobile @VoltCare help", author_id="42", username="ana", lang="hr")
    body = search(
        client,
        "voltmobile",
        **{
            "tweet.fields": "created_at,author_id,lang,entities",
            "expansions": "author_id",
            "user.fields": "public_metrics",
        },
    )
    found = body["data"][0]
    assert found["author_id"] == "42" and found["lang"] == "hr"
    assert found["created_at"].endswith("Z")
    assert found["entities"]["mentions"] == [{"username": "VoltCare"}]
    user = body["includes"]["users"][0]
    assert user == {
        "id": "42",
        "name": "A Customer",
        "username": "ana",
        "public_metrics": {"followers_count": 0},
    }
    bare = search(client, "voltmobile")["data"][0]
    assert set(bare) == {"id", "text", "edit_history_tweet_ids"}


def test_rate_limit_headers_count_down_and_a_fault_answers_429(client: TestClient):
    first = client.get(SEARCH, params={"query": "volt"}, headers=BEARER)
    second = client.get(SEARCH, params={"query": "volt"}, headers=BEARER)
    assert int(first.headers["x-rate-limit-remaining"]) - 1 == int(
        second.headers["x-rate-limit-remaining"]
    )
    assert int(second.headers["x-rate-limit-reset"]) > 0
    client.post("/_emulator/faults", json={"platform": "x", "kind": "rate_limit", "retry_after": 7})
    limited = client.get(SEARCH, params={"query": "volt"}, headers=BEARER)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    record = client.get("/_emulator/requests").json()["requests"][-1]
    assert (record["endpoint"], record["fault"]) == ("search_recent", "rate_limit")


@pytest.mark.parametrize(
    "params,headers,status",
    [
        ({"query": "volt"}, {}, 401),
        ({"query": "volt"}, {"Authorization": "Bearer invalid"}, 401),
        ({"query": "(volt"}, BEARER, 400),
        ({"query": "volt", "max_results": "5"}, BEARER, 400),
        ({"query": "volt", "since_id": "abc"}, BEARER, 400),
    ],
)
def test_refusals(client: TestClient, params: dict[str, str], headers: dict[str, str], status: int):
    assert client.get(SEARCH, params=params, headers=headers).status_code == status


def test_seeded_tweets_are_listed_and_cleared(client: TestClient):
    seed(client, "one", "two")
    assert [t["seed"]["text"] for t in client.get("/_emulator/x/tweets").json()] == ["two", "one"]
    assert client.delete("/_emulator/x/tweets").status_code == 204
    assert client.get("/_emulator/x/tweets").json() == []
