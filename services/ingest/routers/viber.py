"""Viber's webhook: bot callbacks, of which only `message` callbacks become events."""

from __future__ import annotations

from fastapi import APIRouter

from socialcare.ingest import signatures
from socialcare.ingest.adapters import viber
from socialcare.ingest.routers.webhook import add_webhook, signed_request

router = APIRouter(tags=["viber"])
add_webhook(
    router,
    ["/webhooks/viber"],
    "viber",
    viber.parse,
    lambda body, headers, settings: signatures.verify_viber(
        body, headers.get("x-viber-content-signature"), settings.viber_auth_token
    ),
    "Viber bot callbacks; only `message` callbacks become events.",
    signed_request(
        "X-Viber-Content-Signature",
        "<hex HMAC-SHA256 of the body with the bot's auth token>",
        {"event": {"type": "string"}},
    ),
)
