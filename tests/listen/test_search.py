"""The X recent search client: its request, the page it reads, and how it waits out
X's rate limits and outages."""

from __future__ import annotations

import time

import httpx
import pytest

from socialcare.listen.search import RecentSearch, SearchRefused
from tests.listen.rules import run_async

OK_BODY = {
    "data": [{"id": "105", "text": "VoltMobile down", "author_id": "42"}],
    "includes": {"users": [{"id": "42", "username": "ana", "name": "Ana"}]},
    "meta": {"newest_id": "105", "oldest_id": "105", "result_count": 1, "next_token": "t2"},
}


def client(
    answers: list[httpx.Response], seen: list[httpx.Request], slept: list[float]
) -> RecentSearch:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return RecentSearch(
        "http://x.test/",
        "token-1",
        timeout=2,
        max_results=50,
        sleep=sleep,
        transport=httpx.MockTransport(handle),
    )


def ok(**headers: str) -> httpx.Response:
    return httpx.Response(200, json=OK_BODY, headers=headers)


@run_async
async def test_a_page_is_asked_for_with_the_position_and_the_token():
    seen: list[httpx.Request] = []
    search = client([ok()], seen, [])
    page = await search.page("volt -is:retweet", "100", "t1")
    request = seen[0]
    assert request.url.path == "/2/tweets/search/recent"
    assert request.headers["authorization"] == "Bearer token-1"
    params = dict(request.url.params)
    assert params["query"] == "volt -is:retweet"
    assert (params["since_id"], params["next_token"], params["max_results"]) == ("100", "t1", "50")
    assert params["expansions"] == "author_id" and "created_at" in params["tweet.fields"]
    assert [t["id"] for t in page.tweets] == ["105"]
    assert page.users["42"]["username"] == "ana"
    assert (page.newest_id, page.next_token) == ("105", "t2")


@run_async
async def test_no_since_id_on_the_first_poll_and_an_empty_page():
    seen: list[httpx.Request] = []
    search = client([httpx.Response(200, json={"meta": {"result_count": 0}})], seen, [])
    page = await search.page("volt", None)
    assert "since_id" not in dict(seen[0].url.params)
    assert page.tweets == [] and page.newest_id is None and page.next_token is None


@run_async
async def test_a_429_waits_for_retry_after_then_resumes():
    seen: list[httpx.Request] = []
    slept: list[float] = []
    limited = httpx.Response(429, json={"title": "Too Many Requests"}, headers={"Retry-After": "7"})
    search = client([limited, ok()], seen, slept)
    page = await search.page("volt", "100")
    assert page.newest_id == "105" and len(seen) == 2
    assert slept == [7.0]


@run_async
async def test_a_429_without_retry_after_waits_until_the_reset():
    slept: list[float] = []
    reset = str(int(time.time()) + 30)
    limited = httpx.Response(429, headers={"x-rate-limit-reset": reset})
    search = client([limited, ok()], [], slept)
    await search.page("volt", None)
    assert 25 <= slept[0] <= 31


@run_async
async def test_a_used_up_window_is_waited_out_before_the_next_request():
    slept: list[float] = []
    reset = str(int(time.time()) + 60)
    search = client(
        [ok(**{"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}), ok()], [], slept
    )
    await search.page("volt", None)
    assert slept == []
    await search.page("volt", None, "t2")
    assert len(slept) == 1 and 55 <= slept[0] <= 61


@run_async
async def test_outages_are_retried_with_the_pipelines_back_off():
    slept: list[float] = []
    search = client([httpx.Response(503), httpx.Response(500), ok()], [], slept)
    assert (await search.page("volt", None)).newest_id == "105"
    assert slept == [0.5, 1.0]


@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_refusal_is_not_retried(status: int):
    async def go() -> None:
        slept: list[float] = []
        answer = httpx.Response(status, json={"title": "Nope", "detail": "bad query"})
        search = client([answer], [], slept)
        with pytest.raises(SearchRefused) as refused:
            await search.page("(volt", None)
        assert refused.value.status == status and slept == []

    run_async(go)()
