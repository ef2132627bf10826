"""Meta's webhook: Messenger, Facebook Page feed, Instagram and WhatsApp."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse

from socialcare.ingest import signatures
from socialcare.ingest.adapters import meta
from socialcare.ingest.deps import SettingsDep
from socialcare.ingest.routers.webhook import ERRORS, add_webhook, signed_request

router = APIRouter(tags=["meta"])
PATH = "/webhooks/meta"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# The challenge comes back as text/plain, the errors as JSON like everywhere else:
# declared per status, since a route's response_class would label both text/plain.
@router.get(
    PATH,
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **{status: {"content": {"application/json": {"schema": PROBLEM_REF}}} for status in ERRORS},
    },
)
async def meta_verify(
    settings: SettingsDep,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge")] = "",
) -> str:
    """Meta's subscription handshake: echo hub.challenge when the token matches."""
    expected = settings.meta_verify_token
    if mode != "subscribe" or not expected or not signatures.constant_equal(token, expected):
        raise HTTPException(403, "verification token mismatch")
    return challenge


add_webhook(
    router,
    [PATH],
    "meta",
    meta.parse,
    lambda body, headers, settings: signatures.verify_meta(
        body, headers.get("x-hub-signature-256"), settings.meta_app_secret
    ),
    "Messenger, Facebook Page feed, Instagram and WhatsApp deliveries.",
    signed_request(
        "X-Hub-Signature-256",
        "sha256=<hex HMAC-SHA256 of the body with the Meta app secret>",
        {
            "object": {"enum": ["page", "instagram", "whatsapp_business_account"]},
            "entry": {"type": "array", "items": {"type": "object"}},
        },
    ),
)
