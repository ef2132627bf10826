"""X API v2 recent search, one page at a time, waiting out X's rate limits.

Before a request, a window X said is used up (``x-rate-limit-remaining: 0``) is
waited out until its ``x-rate-limit-reset``. A 429 is waited out for its
``Retry-After`` (else until ``x-rate-limit-reset``); 5xx answers, timeouts and
connection errors are retried after the pipeline's back-off (socialcare.retry.WAITS).
Any other answer (400 a bad query, 401/403 a bad token) is `SearchRefused`: the
same request would get it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_chain,
    wait_fixed,
)

from socialcare.logging import get_logger
from socialcare.retry import WAITS

log = get_logger(__name__)

PATH = "/2/tweets/search/recent"
# What the poller asks for: enough to normalise a tweet as ingest does.
FIELDS = {
    "tweet.fields": "author_id,created_at,lang,entities,in_reply_to_user_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "public_metrics",
}
# X's windows are 15 minutes; a reset further off than that is not waited for blindly.
MAX_WAIT_SECONDS = 900.0

Sleep = Callable[[float], Awaitable[None]]


class SearchRefused(Exception):
    """X refused the search for a reason no retry changes (bad query or token)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"X answered {status}: {detail}")
        self.status = status


class RetryLater(Exception):
    """Try the same request again: after ``after_seconds`` when X said how long."""

    def __init__(self, after_seconds: float | None, reason: str) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds


@dataclass(frozen=True)
class SearchPage:
    """One page: tweets newest first, their authors by id, and X's ``meta``."""

    tweets: list[dict[str, Any]]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    newest_id: str | None = None
    next_token: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> SearchPage:
        meta = body.get("meta") or {}
        users = (body.get("includes") or {}).get("users") or []
        return cls(
            tweets=list(body.get("data") or []),
            users={str(u["id"]): u for u in users if "id" in u},
            newest_id=meta.get("newest_id"),
            next_token=meta.get("next_token"),
        )


class RecentSearch:
    """Pages of X recent search; the HTTP client is created on first use."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float,
        max_results: int,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + PATH
        self.token = token
        self.timeout = timeout
        self.max_results = max_results
        self.sleep = sleep
        self.transport = transport
        self._client: httpx.AsyncClient | None = None
        self._exhausted_until = 0.0  # epoch seconds: X's window is used up until then

    async def page(
        self, query: str, since_id: str | None, next_token: str | None = None
    ) -> SearchPage:
        """The page after ``next_token`` of the posts newer than ``since_id``."""
        params = {"query": query, "max_results": str(self.max_results), **FIELDS}
        if since_id:
            params["since_id"] = since_id
        if next_token:
            params["next_token"] = next_token
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryLater),
            wait=_wait,
            stop=stop_never,
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return await retrying(self._attempt, params)

    async def _attempt(self, params: dict[str, str]) -> SearchPage:
        wait = self._exhausted_until - time.time()
        if wait > 0:
            log.info("listen.rate_limit_wait", seconds=round(wait, 1))
            await self.sleep(min(wait, MAX_WAIT_SECONDS))
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, transport=self.transport)
        try:
            answer = await self._client.get(
                self.url, params=params, headers={"Authorization": f"Bearer {self.token}"}
            )
        except httpx.TimeoutException:
            raise RetryLater(None, "timeout") from None
        except httpx.TransportError as exc:
            raise RetryLater(None, f"connection error {type(exc).__name__}") from None
        self._note_limits(answer.headers)
        return _page(answer)

    def _note_limits(self, headers: httpx.Headers) -> None:
        if headers.get("x-rate-limit-remaining") == "0":
            self._exhausted_until = _number(headers.get("x-rate-limit-reset")) or 0.0

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _page(answer: httpx.Response) -> SearchPage:
    status = answer.status_code
    if status == 200:
        return SearchPage.from_body(answer.json())
    if status == 429:
        after = _number(answer.headers.get("retry-after"))
        reset = _number(answer.headers.get("x-rate-limit-reset"))
        if after is None and reset is not None:
            after = max(1.0, reset - time.time())
        raise RetryLater(after, "429 rate limited")
    if status >= 500:
        raise RetryLater(None, f"{status} from X")
    try:
        detail = str(answer.json().get("detail") or answer.json().get("title"))
    except ValueError:
        detail = answer.text[:200]
    raise SearchRefused(status, detail)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


_backoff = wait_chain(*(wait_fixed(s) for s in WAITS))


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryLater) and error.after_seconds is not None:
        return min(max(error.after_seconds, 0.0), MAX_WAIT_SECONDS)
    return _backoff(state)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else None
    log.warning("listen.search_retry", reason=str(error), retry_in=wait)
