"""The pipeline's one back-off: how a worker waits out Kafka or Elasticsearch.

A worker never skips an event because a service it depends on is away, overloaded
or refusing it: it tries again after 0.5, 1, 2, 5 and 10 s, then every 10 s, for as
long as it takes, holding its offsets back - its consumer lag shows the wait. An
error that is the record's own is not retried: the caller's ``retry_on`` tells the
two apart, and anything else is raised at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_never,
    wait_chain,
    wait_fixed,
)

from socialcare.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

# Seconds between attempts; the last one repeats forever.
WAITS: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)

Describe = Callable[[BaseException], Mapping[str, object]]


def error_type(exc: BaseException) -> dict[str, object]:
    """The least a retry log says about the error: its type (messages may quote data)."""
    return {"error_type": type(exc).__name__}


async def retry_forever(
    attempt: Callable[[], Awaitable[T]],
    *,
    retry_on: Callable[[BaseException], bool],
    event: str,
    describe: Describe = error_type,
    **log_fields: object,
) -> T:
    """``attempt()``'s result, calling it again after each error ``retry_on`` accepts.

    Each retry is logged as a warning ``event`` with ``log_fields``, what
    ``describe`` says about the error and ``retry_in`` (seconds). Any other error
    (cancellation too) is raised as it is, without a retry.
    """

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else None
        log.warning(event, **log_fields, **(describe(error) if error else {}), retry_in=wait)

    retrying = AsyncRetrying(
        retry=retry_if_exception(retry_on),
        wait=wait_chain(*(wait_fixed(s) for s in WAITS)),
        stop=stop_never,
        before_sleep=log_retry,
        reraise=True,
    )
    return await retrying(attempt)
