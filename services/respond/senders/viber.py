"""Viber REST bot API ``send_message``.

Viber answers HTTP 200 even when it refuses: ``status`` 0 is success, anything else
an error with ``status_message`` (12, tooManyRequests, is the only one worth a retry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from socialcare.respond.senders.base import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    SendRequest,
    check_http,
    require,
    unexpected,
)
from socialcare.schema import ReplyTarget

TOO_MANY_REQUESTS = 12


@dataclass(frozen=True)
class ViberSender:
    base_url: str
    token: str | None = field(repr=False)  # never in a log line
    sender_name: str = "Support"
    platform: str = "viber"

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest:
        token = require(self.token, "viber", "SOCIALCARE_RESPOND_VIBER_AUTH_TOKEN")
        return SendRequest(
            f"{self.base_url}/pa/send_message",
            {
                "receiver": target.recipient_id,
                "type": "text",
                "text": text,
                "sender": {"name": self.sender_name},
            },
            {"X-Viber-Auth-Token": token},
        )

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str:
        body = response.json()
        body = body if isinstance(body, dict) else {}
        check_http(response, str(body.get("status_message") or ""))
        status = body.get("status")
        if status == TOO_MANY_REQUESTS:
            raise RetryLater(response.retry_after(), "Viber status 12 (tooManyRequests)")
        if status != 0:
            message = body.get("status_message") or "Viber refused the reply"
            raise PermanentFailure(f"{message} (status {status})")
        token = body.get("message_token")
        if token is None:
            raise unexpected(self.platform)
        return str(token)  # above 2**53: json keeps it an exact int
