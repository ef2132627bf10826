"""Settings of the ingest service: platform secrets, limits and listening rules.

Operators script against these exact variable names (SOCIALCARE_META_APP_SECRET, ...).
A platform whose secret is unset rejects every request: unsigned traffic is never
published.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from socialcare.settings import Settings

CommaList = Annotated[list[str], NoDecode]


class IngestSettings(Settings):
    meta_app_secret: str | None = Field(
        None,
        description="Meta app secret: verifies X-Hub-Signature-256 (Messenger, Pages, "
        "Instagram, WhatsApp).",
    )
    meta_verify_token: str | None = Field(
        None, description="Token Meta echoes in the GET /webhooks/meta subscription handshake."
    )
    x_consumer_secret: str | None = Field(
        None, description="X app consumer secret: CRC challenge and X-Twitter-Webhooks-Signature."
    )
    viber_auth_token: str | None = Field(
        None, description="Viber bot auth token: verifies X-Viber-Content-Signature."
    )
    viber_account_id: str = Field(
        "viber-bot", description="brand_account_id given to Viber events (the bot's name)."
    )
    telegram_secret_token: str | None = Field(
        None, description="secret_token set with setWebhook: X-Telegram-Bot-Api-Secret-Token."
    )
    telegram_account_id: str = Field(
        "telegram-bot", description="brand_account_id given to Telegram events (the bot)."
    )
    ingest_api_keys: CommaList = Field(
        default_factory=list,
        description="Comma-separated API keys accepted by POST /v1/events (X-API-Key header).",
    )
    ingest_max_body_bytes: int = Field(
        1_048_576, gt=0, description="Largest webhook body accepted; larger gets 413."
    )
    ingest_dedup_window_seconds: float = Field(
        600.0,
        ge=0,
        description="Repeated deliveries of an event_id within this window are "
        "dropped at the edge (0 disables).",
    )
    ingest_dedup_max_entries: int = Field(
        200_000, gt=0, description="Most event ids the dedup window remembers."
    )
    ingest_publish_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a request waits for Kafka's acknowledgement before answering 503.",
    )
    listening_keywords: CommaList = Field(
        default_factory=list,
        description="Comma-separated brand keywords; a public post that matches one without "
        "tagging the brand becomes kind=listening.",
    )
    brand_handles: CommaList = Field(
        default_factory=list,
        description="Comma-separated brand handles (without @) whose tag makes a post a mention.",
    )

    @field_validator("ingest_api_keys", "listening_keywords", "brand_handles", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
