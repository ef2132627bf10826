"""Sending one reply: the HTTP call, and retries until the platform decides.

429s, 5xx, timeouts and connection errors are retried for as long as it takes - a
reply is never dropped because a platform is slow or away - after the wait the
platform asked for (``Retry-After``, Telegram's ``retry_after``, X's reset time)
or else the pipeline's back-off (socialcare.retry.WAITS). A `PermanentFailure`
ends it with the platform's reason. Before each retry the worker checks that it
still owns the action's partition: after a rebalance the new owner sends it, and
two workers retrying the same reply would send it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

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
from socialcare.respond.senders import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    Sender,
    SendRequest,
)
from socialcare.retry import WAITS
from socialcare.schema import ReplyTarget

log = get_logger(__name__)

# The longest wait a platform may ask for between two attempts (X's rate-limit
# windows are 15 minutes); past it, the wait is asked for again.
MAX_WAIT_SECONDS = 900.0

Transport = Callable[[SendRequest], Awaitable[PlatformResponse]]


class PartitionLost(Exception):
    """The action's partition went to another worker while its reply was retried."""


class HttpTransport:
    """Sends a `SendRequest`; the client is created on first use, not at start-up."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, request: SendRequest) -> PlatformResponse:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            answer = await self._client.request(
                request.method, request.url, json=request.json, headers=request.headers
            )
        except httpx.TimeoutException:
            raise RetryLater(None, "timeout") from None  # `from None`: the URL may hold a token
        except httpx.TransportError as exc:
            raise RetryLater(None, f"connection error {type(exc).__name__}") from None
        headers = {k.lower(): v for k, v in answer.headers.items()}
        return PlatformResponse(answer.status_code, headers, answer.content)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryLater) and error.after_seconds is not None:
        return min(error.after_seconds, MAX_WAIT_SECONDS)
    return wait_chain(*(wait_fixed(s) for s in WAITS))(state)


async def deliver(
    sender: Sender,
    target: ReplyTarget,
    text: str,
    transport: Transport,
    still_owned: Callable[[], bool],
    *,
    action_id: str,
) -> str:
    """The sent message's id; raises `PermanentFailure`, or `PartitionLost`."""
    request = sender.build(target, text, datetime.now(UTC))  # may refuse locally
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        if attempts and not still_owned():
            raise PartitionLost()
        attempts += 1
        response = await transport(request)
        return sender.parse(target, response)

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "respond.send_retry",
            platform=sender.platform,
            action_id=action_id,
            detail=getattr(error, "log_detail", type(error).__name__),
            retry_in=state.next_action.sleep if state.next_action else None,
        )

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(RetryLater),
        wait=_wait,
        stop=stop_never,
        before_sleep=log_retry,
        reraise=True,
    )
    return await retrying(attempt)


__all__ = ["HttpTransport", "PartitionLost", "PermanentFailure", "Transport", "deliver"]
