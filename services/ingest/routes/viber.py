"""Viber's webhook: bot callbacks, of which only `message` callbacks become events."""

from __future__ import annotations

from fastapi import APIRouter, Request

from socialcare.ingest import signatures
from socialcare.ingest.adapters import viber
from socialcare.ingest.deps import IntakeDep, RawBody, SettingsDep
from socialcare.ingest.intake import IngestResult, refusals
from socialcare.ingest.routes.webhook import delivery, signed_request

router = APIRouter(tags=["viber"])
PATH = "/webhooks/viber"


@router.post(
    PATH,
    **delivery(
        PATH,
        "viber",
        "Viber bot callbacks; only `message` callbacks become events.",
        signed_request(
            "X-Viber-Content-Signature",
            "<hex HMAC-SHA256 of the body with the bot's auth token>",
            {"event": {"type": "string"}},
        ),
    ),
)
async def deliver_viber(
    request: Request, body: RawBody, settings: SettingsDep, intake: IntakeDep
) -> IngestResult:
    with refusals("viber"):
        signatures.verify_viber(
            body, request.headers.get("x-viber-content-signature"), settings.viber_auth_token
        )
    return await intake.take("viber", viber.parse, dict(request.headers), body)
