"""X/Twitter's webhook (Account Activity API): the CRC challenge and deliveries.

``/webhooks/x`` is the old path: platform registrations point at it, so it stays an
alias, marked deprecated in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from socialcare.ingest import signatures
from socialcare.ingest.adapters import twitter
from socialcare.ingest.deps import SettingsDep
from socialcare.ingest.routers.webhook import ERRORS, add_webhook, signed_request
from socialcare.ingest.signatures import CRC_TOKEN_PATTERN

router = APIRouter(tags=["twitter"])
PATH = "/webhooks/twitter"
ALIAS = "/webhooks/x"
CrcToken = Annotated[
    str,
    Query(
        min_length=1,
        description="X's challenge: a short base64 string. Nothing else is signed, so "
        "this endpoint cannot sign a delivery body (see signatures.twitter_crc_response).",
        # Documented, checked by twitter_crc_response (400 with the reason).
        json_schema_extra={"pattern": CRC_TOKEN_PATTERN},
    ),
]


@router.get(ALIAS, responses=ERRORS, deprecated=True)
@router.get(PATH, responses=ERRORS)  # the decorator nearest the function comes first
async def twitter_crc(crc_token: CrcToken, settings: SettingsDep) -> dict[str, str]:
    """X's challenge-response check: prove we hold the consumer secret."""
    if not settings.twitter_consumer_secret:
        raise HTTPException(401, "SOCIALCARE_TWITTER_CONSUMER_SECRET is not configured")
    try:
        token = signatures.twitter_crc_response(crc_token, settings.twitter_consumer_secret)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    return {"response_token": token}


add_webhook(
    router,
    [PATH, ALIAS],
    "twitter",
    twitter.parse,
    lambda body, headers, settings: signatures.verify_twitter(
        body, headers.get("x-twitter-webhooks-signature"), settings.twitter_consumer_secret
    ),
    "X Account Activity: tweets mentioning or replying to the brand, and DMs.",
    signed_request(
        "X-Twitter-Webhooks-Signature",
        "sha256=<base64 HMAC-SHA256 of the body with the consumer secret>",
        {"for_user_id": {"type": ["string", "integer"]}},
    ),
)
