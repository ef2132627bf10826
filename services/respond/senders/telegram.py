"""Telegram Bot API ``sendMessage``, as a reply to the customer's message.

Ingest names a Telegram message ``<chat id>:<message id>`` (``:edit:<date>`` after
an edit): the chat comes from there, since in a group the customer (the recipient)
is not the chat. Errors are ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``.
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


def chat_and_message(target: ReplyTarget) -> tuple[str, int]:
    """The chat and the message id within it that ``target`` names."""
    chat, _, rest = target.platform_message_id.partition(":")
    if not rest:  # a bare message id: a private chat, whose id is the customer's
        chat, rest = target.recipient_id, target.platform_message_id
    message = rest.split(":", 1)[0]
    try:
        return chat, int(message)
    except ValueError:
        raise PermanentFailure(
            f"not a Telegram message id: {target.platform_message_id!r}"
        ) from None


@dataclass(frozen=True)
class TelegramSender:
    base_url: str
    token: str | None = field(repr=False)  # never in a log line
    platform: str = "telegram"

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest:
        token = require(self.token, "telegram", "SOCIALCARE_RESPOND_TELEGRAM_BOT_TOKEN")
        chat, message = chat_and_message(target)
        return SendRequest(
            f"{self.base_url}/bot{token}/sendMessage",
            {"chat_id": chat, "text": text, "reply_parameters": {"message_id": message}},
        )

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str:
        body = response.json()
        body = body if isinstance(body, dict) else {}
        if not body.get("ok") or response.status >= 300:
            after = (body.get("parameters") or {}).get("retry_after")
            if response.status == 429 or after is not None:
                seconds = float(after) if after is not None else response.retry_after()
                raise RetryLater(seconds, f"HTTP {response.status}")
            check_http(response, str(body.get("description") or ""))
            raise PermanentFailure(str(body.get("description") or "Telegram refused the reply"))
        result = body.get("result") or {}
        message = result.get("message_id") if isinstance(result, dict) else None
        if message is None:
            raise unexpected(self.platform)
        chat = (result.get("chat") or {}).get("id") or chat_and_message(target)[0]
        # The id ingest would give the same message, were it to come back.
        return f"{chat}:{message}"
