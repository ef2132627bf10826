"""Telegram's webhook: Bot API updates."""

from __future__ import annotations

from fastapi import APIRouter, Request

from socialcare.ingest import signatures
from socialcare.ingest.adapters import telegram
from socialcare.ingest.deps import IntakeDep, RawBody, SettingsDep
from socialcare.ingest.intake import IngestResult, refusals
from socialcare.ingest.routes.webhook import delivery, signed_request

router = APIRouter(tags=["telegram"])
PATH = "/webhooks/telegram"


@router.post(
    PATH,
    **delivery(
        PATH,
        "telegram",
        "Telegram Bot API updates (message, edited_message, channel posts).",
        signed_request(
            "X-Telegram-Bot-Api-Secret-Token",
            "the secret_token given to setWebhook",
            {"update_id": {"type": "integer"}},
        ),
    ),
)
async def deliver_telegram(
    request: Request, body: RawBody, settings: SettingsDep, intake: IntakeDep
) -> IngestResult:
    with refusals("telegram"):
        signatures.verify_telegram(
            request.headers.get("x-telegram-bot-api-secret-token"), settings.telegram_secret_token
        )
    return await intake.take("telegram", telegram.parse, dict(request.headers), body)
