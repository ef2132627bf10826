"""Each platform's webhook signature, checked over the raw body bytes as received.

Never re-serialize a body before checking it: Meta signs its JSON with non-ASCII
characters escaped as \\uXXXX, and any re-encoding changes the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class SignatureError(Exception):
    """The request is not signed by the platform; the message says what was wrong.

    ``status`` is 401 when no credentials came (or none can be checked), 403 when
    the credentials are wrong.
    """

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


def _hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def _require(secret: str | None, name: str) -> str:
    if not secret:
        raise SignatureError(f"{name} is not configured, so no request can be verified", 401)
    return secret


def verify_meta(body: bytes, header: str | None, app_secret: str | None) -> None:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with the app secret>``."""
    secret = _require(app_secret, "SOCIALCARE_META_APP_SECRET")
    if not header or not header.startswith("sha256="):
        raise SignatureError("missing X-Hub-Signature-256 header", 401)
    if not hmac.compare_digest(
        meta_signature(body, secret).encode(), header.strip().lower().encode()
    ):
        raise SignatureError("X-Hub-Signature-256 does not match the body")


def meta_signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + _hmac_sha256(app_secret, body).hex()


def verify_x(body: bytes, header: str | None, consumer_secret: str | None) -> None:
    """``X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256 with the consumer secret>``."""
    secret = _require(consumer_secret, "SOCIALCARE_X_CONSUMER_SECRET")
    if not header or not header.startswith("sha256="):
        raise SignatureError("missing X-Twitter-Webhooks-Signature header", 401)
    if not hmac.compare_digest(x_signature(body, secret).encode(), header.strip().encode()):
        raise SignatureError("X-Twitter-Webhooks-Signature does not match the body")


def x_signature(payload: bytes, consumer_secret: str) -> str:
    """Also the CRC answer: ``response_token`` for a ``crc_token``."""
    return "sha256=" + base64.b64encode(_hmac_sha256(consumer_secret, payload)).decode()


def verify_viber(body: bytes, header: str | None, auth_token: str | None) -> None:
    """``X-Viber-Content-Signature: <hex HMAC-SHA256 of the body with the bot token>``."""
    secret = _require(auth_token, "SOCIALCARE_VIBER_AUTH_TOKEN")
    if not header:
        raise SignatureError("missing X-Viber-Content-Signature header", 401)
    if not hmac.compare_digest(
        viber_signature(body, secret).encode(), header.strip().lower().encode()
    ):
        raise SignatureError("X-Viber-Content-Signature does not match the body")


def viber_signature(body: bytes, auth_token: str) -> str:
    return _hmac_sha256(auth_token, body).hex()


def verify_telegram(header: str | None, secret_token: str | None) -> None:
    """Telegram sends the webhook's ``secret_token`` back verbatim in a header."""
    secret = _require(secret_token, "SOCIALCARE_TELEGRAM_SECRET_TOKEN")
    if not header:
        raise SignatureError("missing X-Telegram-Bot-Api-Secret-Token header", 401)
    if not hmac.compare_digest(secret.encode(), header.encode()):
        raise SignatureError("X-Telegram-Bot-Api-Secret-Token is wrong")


def verify_api_key(header: str | None, api_keys: list[str]) -> None:
    if not api_keys:
        raise SignatureError("SOCIALCARE_INGEST_API_KEYS is not configured", 401)
    if not header:
        raise SignatureError("missing X-API-Key header", 401)
    # Compare against every key so the time taken does not reveal which one matched.
    matches = [hmac.compare_digest(header.encode(), key.encode()) for key in api_keys]
    if not any(matches):
        raise SignatureError("unknown API key")


def constant_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
