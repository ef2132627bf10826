"""Meta's Graph API: Messenger and Instagram messages, Facebook and Instagram comment
replies, replies to Instagram mentions, and the WhatsApp Cloud API.

Graph errors are ``{"error": {"message", "code", "error_subcode", "is_transient"}}``;
Meta also signals rate limits with HTTP 400/403 and a throttling code, so the code
decides before the status does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialcare.care import reply_refusal
from socialcare.instagram import mention_ids
from socialcare.respond.senders.base import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    SendRequest,
    check_http,
    require,
    unexpected,
)
from socialcare.schema import Kind, ReplyTarget

# Throttling and "try again" codes: application/user/page/WhatsApp rate limits,
# spam-rate limits, unknown and temporary errors.
RETRY_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80001, 80002, 80006, 80007, 130429, 131056})


def graph_error(response: PlatformResponse) -> None:
    """Raise what a Graph API error answer means; nothing for a 2xx."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if 200 <= response.status < 300 and not error:
        return
    if isinstance(error, dict):
        if error.get("code") in RETRY_CODES or error.get("is_transient"):
            raise RetryLater(response.retry_after(), f"Graph error code {error.get('code')}")
        message = str(error.get("message") or "the Graph API refused the reply")
        code = error.get("code")
        reason = f"{message} (code {code})" if code is not None else message
        check_http(response, reason)
        raise PermanentFailure(reason)  # an error in a 2xx answer
    check_http(response, "")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _id(body: Any, *path: str | int) -> str | None:
    for step in path:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return None
    return str(body) if isinstance(body, str | int) and body != "" else None


@dataclass(frozen=True)
class MetaSender:
    """Messenger and Instagram DMs (Send API), Facebook and Instagram comment replies,
    Instagram mention replies."""

    platform: str  # messenger, instagram or facebook
    base_url: str
    token: str | None = field(repr=False)  # never in a log line

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest:
        token = require(self.token, self.platform, "SOCIALCARE_RESPOND_META_PAGE_TOKEN")
        if target.kind is Kind.dm:
            return SendRequest(
                f"{self.base_url}/{target.brand_account_id}/messages",
                {
                    "recipient": {"id": target.recipient_id},
                    "messaging_type": "RESPONSE",
                    "message": {"text": text},
                },
                _bearer(token),
            )
        if self.platform == "instagram" and target.kind is Kind.mention:
            return self._mention_reply(target, text, token)
        # A public comment (or a Facebook mention in one) is answered in its thread.
        edge = "replies" if self.platform == "instagram" else "comments"
        return SendRequest(
            f"{self.base_url}/{target.platform_message_id}/{edge}",
            {"message": text},
            _bearer(token),
        )

    def _mention_reply(self, target: ReplyTarget, text: str, token: str) -> SendRequest:
        """``POST /{ig_user_id}/mentions``: the brand's account answers where it was
        mentioned; not ``/replies``, which only takes comments on the brand's own media."""
        ids = mention_ids(target.platform_message_id, target.parent_id)
        body = {"media_id": ids.media_id, "message": text}
        if ids.comment_id is not None:
            body["comment_id"] = ids.comment_id
        return SendRequest(
            f"{self.base_url}/{target.brand_account_id}/mentions", body, _bearer(token)
        )

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str:
        graph_error(response)
        body = response.json()
        sent = _id(body, "message_id") if target.kind is Kind.dm else _id(body, "id")
        if sent is None:
            raise unexpected(self.platform)
        return sent


@dataclass(frozen=True)
class WhatsAppSender:
    """WhatsApp Cloud API: a text message in reply to the customer's (``context``)."""

    base_url: str
    token: str | None = field(repr=False)  # never in a log line
    phone_number_id: str | None = None  # None: the number the customer wrote to
    platform: str = "whatsapp"

    def build(self, target: ReplyTarget, text: str, now: datetime) -> SendRequest:
        refusal = reply_refusal(target, now)
        if refusal:
            # Meta would refuse it (code 131047); refused here without a call.
            raise PermanentFailure(refusal)
        token = require(self.token, "whatsapp", "SOCIALCARE_RESPOND_WHATSAPP_TOKEN")
        sender = self.phone_number_id or target.brand_account_id
        return SendRequest(
            f"{self.base_url}/{sender}/messages",
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": target.recipient_id,
                "type": "text",
                "text": {"body": text},
                "context": {"message_id": target.platform_message_id},
            },
            _bearer(token),
        )

    def parse(self, target: ReplyTarget, response: PlatformResponse) -> str:
        graph_error(response)
        sent = _id(response.json(), "messages", 0, "id")
        if sent is None:
            raise unexpected(self.platform)
        return sent
