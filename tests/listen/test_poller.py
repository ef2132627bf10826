"""The poller's paging and positions: every page published before the position moves,
a failed poll searched again from the old position, repeats absorbed by dedup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from socialcare import retry
from socialcare.ingest.publisher import PublishError, RecentIds
from socialcare.listen.poller import Poller, poll_forever
from socialcare.listen.search import SearchPage, SearchRefused
from socialcare.schema import Event, Kind
from tests.listen.rules import page, rules, run_async, tweet


class FakeSearch:
    """Answers from ``pages`` by (since_id, next_token); records the requests."""

    def __init__(self, pages: dict[tuple[str | None, str | None], SearchPage | Exception]):
        self.pages = pages
        self.requests: list[tuple[str, str | None, str | None]] = []

    async def page(self, query: str, since_id: str | None, next_token: str | None = None):
        self.requests.append((query, since_id, next_token))
        answer = self.pages[(since_id, next_token)]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakePublisher:
    def __init__(self, log: list[Any], failures: int = 0) -> None:
        self.log = log
        self.failures = failures

    async def publish_async(self, events: Sequence[Event]) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishError("Kafka away")
        self.log.append(
            ("events", [e.platform_message_id for e in events], {e.kind for e in events})
        )


class FakeWriter:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    async def save(self, brand: str, newest_id: str, query: str) -> None:
        self.log.append(("position", brand, newest_id))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "WAITS", (0.0,))


def poller(search: FakeSearch, log: list[Any], positions: dict[str, str] | None = None, **kw):
    return Poller(
        rules(),
        search,
        FakePublisher(log, kw.pop("failures", 0)),  # type: ignore[arg-type]
        FakeWriter(log),
        positions if positions is not None else {},
        **kw,
    )


TWO_PAGES = {
    (None, None): page(tweet(105), tweet(104), next_token="p2"),
    (None, "p2"): page(tweet(103), tweet(102, "VoltMobile we are hiring")),
}


@run_async
async def test_pages_are_published_in_turn_and_the_position_moves_after_the_last():
    log: list[Any] = []
    search = FakeSearch(TWO_PAGES)
    assert await poller(search, log).poll_all() == 3
    assert [r[1:] for r in search.requests] == [(None, None), (None, "p2")]
    assert log == [
        ("events", ["105", "104"], {Kind.listening}),
        ("events", ["103"], {Kind.listening}),  # the job ad is excluded
        ("position", "VoltMobile", "105"),
    ]
    assert "VoltMobile" in search.requests[0][0] and "-is:retweet" in search.requests[0][0]


@run_async
async def test_the_next_poll_searches_from_the_position_and_saves_nothing_when_quiet():
    log: list[Any] = []
    positions = {"VoltMobile": "105"}
    search = FakeSearch({("105", None): page()})
    assert await poller(search, log, positions).poll_all() == 0
    assert search.requests[0][1] == "105"
    assert log == []


@run_async
async def test_a_poll_cut_short_keeps_the_old_position_and_the_repeat_is_absorbed():
    log: list[Any] = []
    positions = {"VoltMobile": "100"}
    recent = RecentIds(window_seconds=60, max_entries=100)
    failing = FakeSearch(
        {("100", None): page(tweet(105), next_token="p2"), ("100", "p2"): RuntimeError("gone")}
    )
    with pytest.raises(RuntimeError):
        await poller(failing, log, positions, recent=recent).poll_all()
    assert positions == {"VoltMobile": "100"} and log == [("events", ["105"], {Kind.listening})]
    again = FakeSearch(
        {("100", None): page(tweet(105), next_token="p2"), ("100", "p2"): page(tweet(103))}
    )
    assert await poller(again, log, positions, recent=recent).poll_all() == 1
    assert log[1:] == [("events", ["103"], {Kind.listening}), ("position", "VoltMobile", "105")]
    assert positions == {"VoltMobile": "105"}


@run_async
async def test_kafka_trouble_holds_the_page_until_it_is_acknowledged():
    log: list[Any] = []
    search = FakeSearch(TWO_PAGES)
    assert await poller(search, log, failures=2).poll_all() == 3
    assert log[-1] == ("position", "VoltMobile", "105")
    assert len(search.requests) == 2  # the search is not repeated for Kafka's sake


@run_async
async def test_a_refused_search_skips_the_brand_for_this_poll_only():
    log: list[Any] = []
    search = FakeSearch({(None, None): SearchRefused(401, "Unauthorized")})
    assert await poller(search, log).poll_all() == 0
    assert log == []


@run_async
async def test_poll_forever_pauses_between_polls():
    log: list[Any] = []
    search = FakeSearch({(None, None): page(tweet(105)), ("105", None): page()})
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise StopAsyncIteration

    with pytest.raises(StopAsyncIteration):
        await poll_forever(poller(search, log), 30.0, sleep)
    assert pauses == [30.0, 30.0]
    assert [r[1] for r in search.requests] == [None, "105"]
