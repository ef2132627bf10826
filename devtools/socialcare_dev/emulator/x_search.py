"""X API v2 recent search (``GET /2/tweets/search/recent``) over tweets a test seeded
with ``POST /_emulator/x/tweets``; the query subset is socialcare_dev.emulator.x_query.

Results come newest first, ``max_results`` (10-100, default 10) a page; a page
with more behind it carries ``meta.next_token``, which continues below the page's
oldest id (tweets seeded meanwhile do not shift it). ``since_id`` / ``until_id``
bound the ids. Every answer carries X's rate-limit headers: 450 calls per 15-minute
window (app-only auth), counted down per call; a ``rate_limit`` fault answers 429
with ``Retry-After`` and ``x-rate-limit-reset``.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from socialcare_dev.emulator.calls import Answer, Call
from socialcare_dev.emulator.ids import Ids
from socialcare_dev.emulator.x import _invalid, _unauthorized
from socialcare_dev.emulator.x_query import QueryError, Searchable, compile_query

PATH = "/2/tweets/search/recent"
WINDOW_SECONDS = 15 * 60
WINDOW_LIMIT = 450
_TWEET_FIELDS = ("author_id", "created_at", "lang", "conversation_id", "entities")
_USER_FIELDS = ("public_metrics", "verified", "description")


class SeedTweet(BaseModel):
    """A tweet to be found; the id is a fresh snowflake unless given."""

    text: str = Field(min_length=1)
    author_id: str = Field("1500000000000000001", pattern=r"^\d+$")
    username: str = "customer"
    name: str = "A Customer"
    followers_count: int = 0
    lang: str | None = None
    in_reply_to_user_id: str | None = None
    id: str | None = Field(None, pattern=r"^\d+$")
    created_at: datetime | None = None


class SeededTweets(BaseModel):
    tweets: list[SeedTweet]


class Stored(BaseModel):
    id: str
    seed: SeedTweet
    created_at: datetime

    def searchable(self) -> Searchable:
        s = self.seed
        return Searchable(
            s.text, s.author_id, s.username, s.lang, s.in_reply_to_user_id is not None
        )


class XSearch:
    """The seeded tweets and the rate-limit window; one per emulator."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.tweets: list[Stored] = []
        self._lock = threading.Lock()
        self._window_start = time.time()
        self._calls = 0

    def seed(self, tweets: list[SeedTweet]) -> list[Stored]:
        with self._lock:
            stored = [
                Stored(
                    id=t.id or self.ids.snowflake(),
                    seed=t,
                    created_at=t.created_at or datetime.now(UTC),
                )
                for t in tweets
            ]
            self.tweets = sorted([*self.tweets, *stored], key=lambda s: int(s.id), reverse=True)
            return stored

    def clear(self) -> None:
        with self._lock:
            self.tweets = []

    def search(self, call: Call) -> Answer:
        """``GET /2/tweets/search/recent``."""
        if (failed := _unauthorized(call)) is not None:
            return failed
        found = _matching(self.tweets, call.query)
        if isinstance(found, Answer):
            return found
        page, more = found
        body: dict[str, Any] = {"meta": _meta(page, more)}
        if page:
            body["data"] = [_tweet(s, _fields(call, "tweet.fields")) for s in page]
            if "author_id" in _fields(call, "expansions"):
                body["includes"] = {"users": _users(page, _fields(call, "user.fields"))}
        return Answer(200, body, self._rate_limit())

    def _rate_limit(self) -> dict[str, str]:
        with self._lock:
            now = time.time()
            if now - self._window_start >= WINDOW_SECONDS:
                self._window_start, self._calls = now, 0
            self._calls += 1
            return {
                "x-rate-limit-limit": str(WINDOW_LIMIT),
                "x-rate-limit-remaining": str(max(0, WINDOW_LIMIT - self._calls)),
                "x-rate-limit-reset": str(int(self._window_start + WINDOW_SECONDS)),
            }


def _matching(tweets: list[Stored], query: dict[str, str]) -> tuple[list[Stored], bool] | Answer:
    """(this page, whether more follow), or the 400 X answers."""
    try:
        matches = compile_query(query.get("query", ""))
    except QueryError as exc:
        return _invalid(f"There were errors processing your request: {exc}", "query")
    size = query.get("max_results", "10")
    if not size.isdigit() or not 10 <= int(size) <= 100:
        return _invalid(
            f"The `max_results` query parameter value [{size}] is not between 10 and 100",
            "max_results",
        )
    bounds = {}
    for name in ("since_id", "until_id", "next_token"):
        value = _decode(query[name]) if name == "next_token" and name in query else query.get(name)
        if value is not None and not value.isdigit():
            return _invalid(f"The `{name}` query parameter value [{value}] is not valid", name)
        bounds[name] = int(value) if value else None
    low, high, below = bounds["since_id"], bounds["until_id"], bounds["next_token"]
    found = [
        t
        for t in tweets
        if (low is None or int(t.id) > low)
        and (high is None or int(t.id) < high)
        and (below is None or int(t.id) < below)
        and matches(t.searchable())
    ]
    return found[: int(size)], len(found) > int(size)


def _meta(page: list[Stored], more: bool) -> dict[str, Any]:
    if not page:
        return {"result_count": 0}
    meta: dict[str, Any] = {
        "newest_id": page[0].id,
        "oldest_id": page[-1].id,
        "result_count": len(page),
    }
    if more:
        meta["next_token"] = _encode(page[-1].id)
    return meta


def _tweet(stored: Stored, fields: set[str]) -> dict[str, Any]:
    seed = stored.seed
    tweet: dict[str, Any] = {
        "id": stored.id,
        "text": seed.text,
        "edit_history_tweet_ids": [stored.id],
    }
    values = {
        "author_id": seed.author_id,
        "created_at": stored.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "lang": seed.lang or "und",
        "conversation_id": stored.id,
        "entities": _entities(seed.text),
    }
    tweet |= {name: values[name] for name in _TWEET_FIELDS if name in fields}
    if "in_reply_to_user_id" in fields and seed.in_reply_to_user_id:
        tweet["in_reply_to_user_id"] = seed.in_reply_to_user_id
    return tweet


def _entities(text: str) -> dict[str, Any]:
    entities: dict[str, Any] = {}
    if mentions := re.findall(r"@(\w+)", text):
        entities["mentions"] = [{"username": name} for name in mentions]
    if hashtags := re.findall(r"#(\w+)", text):
        entities["hashtags"] = [{"tag": tag} for tag in hashtags]
    return entities


def _users(page: list[Stored], fields: set[str]) -> list[dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for stored in page:
        seed = stored.seed
        user: dict[str, Any] = {"id": seed.author_id, "name": seed.name, "username": seed.username}
        if "public_metrics" in fields:
            user["public_metrics"] = {"followers_count": seed.followers_count}
        users.setdefault(seed.author_id, user)
    return list(users.values())


def _fields(call: Call, name: str) -> set[str]:
    return {f.strip() for f in call.query.get(name, "").split(",") if f.strip()}


def _encode(tweet_id: str) -> str:
    return base64.b32encode(tweet_id.encode()).decode().rstrip("=").lower()


def _decode(token: str) -> str:
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        return base64.b32decode(padded).decode()
    except ValueError:
        return token


def control_router(search: XSearch) -> APIRouter:
    router = APIRouter(prefix="/_emulator/x", tags=["control"])

    @router.post("/tweets", status_code=201)
    async def seed_tweets(body: SeededTweets) -> list[Stored]:
        """Tweets for the recent search to find, newest last; answers them with their ids."""
        return search.seed(body.tweets)

    @router.get("/tweets")
    async def list_tweets() -> list[Stored]:
        """The seeded tweets, newest first."""
        return list(search.tweets)

    @router.delete("/tweets", status_code=204)
    async def clear_tweets() -> Response:
        search.clear()
        return Response(status_code=204)

    return router
