"""X (Twitter) API v2: a DM to the participant, or a public reply tweet.

Errors are problem documents ``{"title", "detail", "status"}`` or ``{"errors":
[{"message"}]}``; a 429 says when the window resets in ``x-rate-limit-reset`` (epoch
seconds) rather than ``Retry-After``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialcare.respond.senders.base import (
    PlatformResponse,
    RetryLater,
    SendRequest,
    check_http,
    require,
    unexpected,
)
from socialcare.schema import Kind, ReplyTarget


def _reason(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    detail = first.get("message") if isinstance(first, dict) else None
    # The errors name the parameter; a 400's detail is only "One or more parameters...".
    return str(detail or body.get("detail") or body.get("title") or "")


def _reset_wait(response: PlatformResponse, now: float) -> float | None:
    after = response.retry_after()
    if after is not None:
        return after
    reset = response.headers.get("x-rate-limit-reset")
    try:
        return max(0.0, float(reset) - now) if reset else None
    except ValueError:
        return None


@dataclass(frozen=True)
class XSender:
    base_url: str
    token: str | None = field(repr=False)  # never in a log line
    platform: str = "twitter"

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest:
        token = require(self.token, "X", "SOCIALCARE_RESPOND_X_BEARER_TOKEN")
        headers = {"Authorization": f"Bearer {token}"}
        if target.kind is Kind.dm:
            return SendRequest(
                f"{self.base_url}/2/dm_conversations/with/{target.recipient_id}/messages",
                {"text": text},
                headers,
            )
        return SendRequest(
            f"{self.base_url}/2/tweets",
            {"text": text, "reply": {"in_reply_to_tweet_id": target.platform_message_id}},
            headers,
        )

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str:
        body = response.json()
        if response.status == 429:
            raise RetryLater(_reset_wait(response, time.time()), "HTTP 429")
        check_http(response, _reason(body))
        data = body.get("data") if isinstance(body, dict) else None
        key = "dm_event_id" if target.kind is Kind.dm else "id"
        sent = data.get(key) if isinstance(data, dict) else None
        if not sent:
            raise unexpected(self.platform)
        return str(sent)
