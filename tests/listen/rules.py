"""Listening rules and search pages for the listening poller's tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from socialcare.listen.search import SearchPage
from socialcare.listening import ListeningRules, parse_listening

BRAND_ID = "1550000000000000001"


def rules(name: str = "VoltMobile", term: str = "VoltMobile") -> ListeningRules:
    return parse_listening(
        f"""
version: 1
brands:
  - name: {name}
    terms:
      any: [{term}]
    exclude:
      any: [we are hiring]
    own_accounts:
      twitter: [{name}, "{BRAND_ID}"]
"""
    )


def tweet(tweet_id: int, text: str = "VoltMobile has no signal", **fields: Any) -> dict[str, Any]:
    return {
        "id": str(tweet_id),
        "text": text,
        "author_id": "42",
        "created_at": "2026-12-05T09:00:00.000Z",
        "lang": "en",
        **fields,
    }


def page(*tweets: dict[str, Any], next_token: str | None = None) -> SearchPage:
    users = {"42": {"id": "42", "username": "ana", "name": "Ana"}}
    newest = tweets[0]["id"] if tweets else None
    return SearchPage(list(tweets), users, newest, next_token)


def run_async(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """A coroutine test as a plain one (the suite has no async test plugin)."""

    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run
