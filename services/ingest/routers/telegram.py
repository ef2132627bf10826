"""Telegram's webhook: Bot API updates."""

from __future__ import annotations

from fastapi import APIRouter

from socialcare.ingest import signatures
from socialcare.ingest.adapters import telegram
from socialcare.ingest.routers.webhook import add_webhook, signed_request

router = APIRouter(tags=["telegram"])
add_webhook(
    router,
    ["/webhooks/telegram"],
    "telegram",
    telegram.parse,
    lambda _, headers, settings: signatures.verify_telegram(
        headers.get("x-telegram-bot-api-secret-token"), settings.telegram_secret_token
    ),
    "Telegram Bot API updates (message, edited_message, channel posts).",
    signed_request(
        "X-Telegram-Bot-Api-Secret-Token",
        "the secret_token given to setWebhook",
        {"update_id": {"type": "integer"}},
    ),
)
