"""What every platform sender shares: the request it builds, the answer it reads and
the two ways a send can fail.

A sender is pure: ``build`` turns a reply into the platform's documented HTTP request
and ``parse`` turns the platform's answer into the sent message's id, or raises
`PermanentFailure` (the platform will never accept this reply: say why to the agent)
or `RetryLater` (rate limit, the platform's own trouble: try again, after
``after_seconds`` when the platform said). The worker does the I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from socialcare.schema import ReplyTarget


class PermanentFailure(Exception):
    """The platform refused the reply for good (window closed, blocked, too long...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(Exception):
    """Not now: a rate limit, a 5xx, a timeout. ``after_seconds``: the platform's wait."""

    def __init__(self, after_seconds: float | None = None, detail: str = "") -> None:
        super().__init__(detail or f"retry after {after_seconds} s")
        self.after_seconds = after_seconds
        # What the logs may say (never a token: URLs that carry one are not quoted).
        self.log_detail = detail


@dataclass(frozen=True)
class SendRequest:
    """One HTTP request to a platform. ``url`` may carry a token (Telegram): never log it."""

    url: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"

    def __repr__(self) -> str:  # the URL and headers can hold tokens
        return f"SendRequest({self.method} <{len(self.json)} fields>)"


@dataclass(frozen=True)
class PlatformResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The body as JSON; None when it is not JSON (a proxy's HTML error page)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def retry_after(self, now: datetime | None = None) -> float | None:
        """Seconds the ``Retry-After`` header asks for (seconds or an HTTP date)."""
        value = self.headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Sender(Protocol):
    platform: str

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest: ...

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str: ...


def check_http(response: PlatformResponse, reason: str) -> None:
    """Raise for a non-2xx answer: `RetryLater` for 408, 429 and 5xx, else
    `PermanentFailure` with ``reason`` (the platform's words, read by the caller)."""
    status = response.status
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise RetryLater(response.retry_after(), f"HTTP {status}")
    raise PermanentFailure(reason or f"the platform refused the reply (HTTP {status})")


def require(token: str | None, platform: str, setting: str) -> str:
    if not token:
        raise PermanentFailure(f"no {platform} token is configured (set {setting})")
    return token


def unexpected(platform: str) -> PermanentFailure:
    return PermanentFailure(f"{platform} answered without the sent message's id")
