"""Webhook secrets, signed requests and a recording publisher, for the ingest tests."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import meta_signature, twitter_signature, viber_signature
from socialcare.schema import Event

API_KEY = "integration-key-1"
OUTBOUND_KEY = "agent-desk-key-1"
SECRETS = {
    "meta_app_secret": "meta-secret",
    "meta_verify_token": "verify-me",
    "twitter_consumer_secret": "twitter-secret",
    "viber_auth_token": "viber-token",
    "telegram_secret_token": "tg-secret",
    "ingest_api_keys": f"{API_KEY},{OUTBOUND_KEY}:outbound",
}

# path -> the headers that authenticate a body there, as each platform computes them.
SIGNERS: dict[str, Callable[[bytes], dict[str, str]]] = {
    "/webhooks/meta": lambda body: {"X-Hub-Signature-256": meta_signature(body, "meta-secret")},
    "/webhooks/twitter": lambda body: {
        "X-Twitter-Webhooks-Signature": twitter_signature(body, "twitter-secret")
    },
    "/webhooks/viber": lambda body: {
        "X-Viber-Content-Signature": viber_signature(body, "viber-token")
    },
    "/webhooks/telegram": lambda _: {"X-Telegram-Bot-Api-Secret-Token": "tg-secret"},
    "/v1/events": lambda _: {"X-API-Key": API_KEY},
}
# The old path of the Twitter webhook, kept for the registrations that point at it.
SIGNERS["/webhooks/x"] = SIGNERS["/webhooks/twitter"]


def signed_headers(path: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", **SIGNERS[path](body)}


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def unit_settings(**overrides: object) -> IngestSettings:
    """Settings for tests with a RecordingPublisher: Kafka is never contacted."""
    return IngestSettings(**{**SECRETS, **overrides})


class RecordingPublisher:
    """Stands in for EventPublisher in tests of pure request handling (no Kafka)."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish_async(self, events: list[Event]) -> None:
        self.published.extend(events)

    def is_ready(self) -> bool:
        return True

    def close(self) -> None:
        pass
