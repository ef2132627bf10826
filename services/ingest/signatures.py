"""Each platform's webhook signature, checked over the raw body bytes as received.

Never re-serialize a body before checking it: Meta signs its JSON with non-ASCII
characters escaped as \\uXXXX, and any re-encoding changes the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping


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


def verify_twitter(body: bytes, header: str | None, consumer_secret: str | None) -> None:
    """``X-Twitter-Webhooks-Signature: sha256=<base64 HMAC-SHA256 with the consumer secret>``."""
    secret = _require(consumer_secret, "SOCIALCARE_TWITTER_CONSUMER_SECRET")
    if not header or not header.startswith("sha256="):
        raise SignatureError("missing X-Twitter-Webhooks-Signature header", 401)
    if not hmac.compare_digest(twitter_signature(body, secret).encode(), header.strip().encode()):
        raise SignatureError("X-Twitter-Webhooks-Signature does not match the body")


def twitter_signature(payload: bytes, consumer_secret: str) -> str:
    """Also the CRC answer: ``response_token`` for a ``crc_token``."""
    return "sha256=" + base64.b64encode(_hmac_sha256(consumer_secret, payload)).decode()


# The CRC answer is HMAC-SHA256(consumer secret, crc_token): the very signature a POST
# to /webhooks/twitter is checked against. Signing whatever a caller sends would make the
# GET a signing oracle for forged deliveries. X's tokens are short base64 strings
# (about 48 characters), so only the base64 alphabets (standard and URL-safe, with
# padding) are signed. No such string can contain `{`, `[` or `"`, so nothing signed
# here is a JSON object, and the Twitter adapter takes nothing else. The length bound leaves
# X room to grow its tokens while keeping the endpoint from hashing arbitrary data.
CRC_TOKEN_MAX_LENGTH = 128
CRC_TOKEN_PATTERN = rf"^[A-Za-z0-9+/_-]{{1,{CRC_TOKEN_MAX_LENGTH}}}={{0,2}}$"
_CRC_TOKEN = re.compile(CRC_TOKEN_PATTERN)


def twitter_crc_response(crc_token: str, consumer_secret: str) -> str:
    """The ``response_token`` for one of X's CRC challenges; ValueError for other input."""
    # fullmatch, not the pattern's $: that one also matches before a final newline.
    if not _CRC_TOKEN.fullmatch(crc_token):
        raise ValueError(
            f"crc_token must be base64 of at most {CRC_TOKEN_MAX_LENGTH} characters, as X sends it"
        )
    return twitter_signature(crc_token.encode(), consumer_secret)


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


def verify_api_key(header: str | None, api_keys: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The permissions of the key in the header (see ``IngestSettings.ingest_api_keys``)."""
    if not api_keys:
        raise SignatureError("SOCIALCARE_INGEST_API_KEYS is not configured", 401)
    if not header:
        raise SignatureError("missing X-API-Key header", 401)
    # Compare against every key so the time taken does not reveal which one matched.
    given = header.encode(errors="surrogateescape")
    granted = [perms for key, perms in api_keys.items() if hmac.compare_digest(given, key.encode())]
    if not granted:
        raise SignatureError("unknown API key")
    return granted[0]


def constant_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
