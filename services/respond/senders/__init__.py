"""One sender per platform: the documented send request and what its answer means."""

from __future__ import annotations

from socialcare.respond.senders.base import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    Sender,
    SendRequest,
)
from socialcare.respond.senders.meta import MetaSender, WhatsAppSender
from socialcare.respond.senders.telegram import TelegramSender
from socialcare.respond.senders.viber import ViberSender
from socialcare.respond.senders.x import XSender
from socialcare.respond.settings import RespondSettings

__all__ = [
    "PermanentFailure",
    "PlatformResponse",
    "RetryLater",
    "SendRequest",
    "Sender",
    "senders",
]


def _secret(value: object) -> str | None:
    return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]


def senders(settings: RespondSettings) -> dict[str, Sender]:
    """The sender of each platform, keyed by the events' platform name."""
    graph = settings.respond_graph_base_url.rstrip("/")
    page = _secret(settings.respond_meta_page_token)
    found: list[Sender] = [
        MetaSender("messenger", graph, page),
        MetaSender("facebook", graph, page),
        MetaSender("instagram", settings.respond_instagram_base_url.rstrip("/"), page),
        WhatsAppSender(
            graph,
            _secret(settings.respond_whatsapp_token),
            settings.respond_whatsapp_phone_number_id,
        ),
        TelegramSender(
            settings.respond_telegram_base_url.rstrip("/"),
            _secret(settings.respond_telegram_bot_token),
        ),
        ViberSender(
            settings.respond_viber_base_url.rstrip("/"),
            _secret(settings.respond_viber_auth_token),
            settings.respond_viber_sender_name,
        ),
        XSender(settings.respond_x_base_url.rstrip("/"), _secret(settings.respond_x_bearer_token)),
    ]
    return {sender.platform: sender for sender in found}
