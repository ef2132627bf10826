"""Settings of the ingest service: platform secrets, limits and listening rules.

Operators script against these exact variable names (SOCIALCARE_META_APP_SECRET, ...);
a renamed one keeps its old name as an alias (SOCIALCARE_X_CONSUMER_SECRET).
A platform whose secret is unset rejects every request: unsigned traffic is never
published.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from socialcare.settings import Settings

CommaList = Annotated[list[str], NoDecode]

# What a key of POST /v1/events may do. Every key posts inbound events of sources
# that have no native webhook; `outbound` also lets it post the brand's own answers,
# which stop SLA clocks, so it is granted per key, never by default.
API_KEY_PERMISSIONS = frozenset({"inbound", "outbound"})
MIN_API_KEY_LENGTH = 12


def renamed(name: str, was: str) -> AliasChoices:
    """The variables of a renamed setting: its name, then the old one it still accepts.

    An alias is the whole variable name (pydantic-settings adds no prefix to it).
    """
    return AliasChoices(f"SOCIALCARE_{name.upper()}", f"SOCIALCARE_{was.upper()}")


def parse_api_keys(entries: Iterable[str]) -> dict[str, frozenset[str]]:
    """``key`` or ``key:perm+perm`` entries -> {key: permissions}; errors never echo a key."""
    keys: dict[str, frozenset[str]] = {}
    for number, entry in enumerate(entries, start=1):
        key, colon, perms = entry.strip().partition(":")
        where = f"SOCIALCARE_INGEST_API_KEYS entry {number}"
        if len(key) < MIN_API_KEY_LENGTH or any(c.isspace() for c in key):
            raise ValueError(
                f"{where}: a key needs at least {MIN_API_KEY_LENGTH} characters and no spaces"
            )
        granted = frozenset(p.strip() for p in perms.split("+")) if colon else frozenset()
        if unknown := granted - API_KEY_PERMISSIONS:
            raise ValueError(
                f"{where}: unknown permission {', '.join(sorted(unknown))!s} (known: "
                f"{', '.join(sorted(API_KEY_PERMISSIONS))}; format key:perm+perm)"
            )
        if key in keys:
            raise ValueError(f"{where}: the same key is listed twice")
        keys[key] = granted | {"inbound"}
    return keys


class IngestSettings(Settings):
    # A configuration error must not print the secrets it is about. By name: the
    # renamed settings' aliases are environment variables, the fields stay keywords.
    model_config = SettingsConfigDict(hide_input_in_errors=True, validate_by_name=True)

    meta_app_secret: str | None = Field(
        None,
        description="Meta app secret: verifies X-Hub-Signature-256 (Messenger, Pages, "
        "Instagram, WhatsApp).",
    )
    meta_verify_token: str | None = Field(
        None, description="Token Meta echoes in the GET /webhooks/meta subscription handshake."
    )
    twitter_consumer_secret: str | None = Field(
        None,
        description="X/Twitter app consumer secret: CRC challenge and "
        "X-Twitter-Webhooks-Signature.",
        validation_alias=renamed("twitter_consumer_secret", was="x_consumer_secret"),
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
    ingest_api_keys: Annotated[dict[str, frozenset[str]], NoDecode] = Field(
        default_factory=dict,
        description="API keys of POST /v1/events (X-API-Key header), comma-separated: "
        "`key` posts inbound events, `key:outbound` also the brand's answers. At least "
        f"{MIN_API_KEY_LENGTH} characters each.",
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
        description="Older form of the listening rules, still read: comma-separated terms "
        "of one brand `default`, matched in every language (replace the shipped rules unless "
        "SOCIALCARE_LISTENING_CONFIG is set).",
    )
    brand_handles: CommaList = Field(
        default_factory=list,
        description="Comma-separated brand handles (without @) whose tag makes a post a mention.",
    )

    ingest_graph_base_url: str = Field(
        "https://graph.facebook.com/v21.0",
        description="Meta Graph API base URL, with its version, where ingest fetches the "
        "caption or comment of an Instagram mention.",
    )
    ingest_graph_access_token: SecretStr | None = Field(
        None,
        description="Access token of the Instagram business accounts (instagram_basic, "
        "instagram_manage_comments) for fetching mentions. Secret: never logged; unset, "
        "every mention is published marked enrichment=failed.",
    )
    ingest_graph_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for the Graph API's answer to one fetch."
    )
    ingest_enrichment_attempts: int = Field(
        5,
        ge=1,
        description="Fetches of a mention's text before it is republished marked "
        "enrichment=failed.",
    )
    ingest_enrichment_backoff_seconds: float = Field(
        2.0,
        ge=0,
        description="Wait after a mention's first failed fetch; it doubles after each "
        "(or the Graph API's Retry-After, when longer).",
    )

    ingest_enrichment_retry_hours: float = Field(
        24.0,
        gt=0,
        description="How long after ingest received an Instagram mention the enrichment "
        "sweep still fetches it when its enrichment failed; older ones stay failed.",
    )
    ingest_enrichment_retry_grace_seconds: float = Field(
        120.0,
        ge=0,
        description="Age at which the enrichment sweep takes over a mention still "
        "enrichment=pending (ingest's own fetches are over by then).",
    )
    ingest_enrichment_sweep_page_size: int = Field(
        100,
        gt=0,
        le=10_000,
        description="Most mentions one enrichment sweep fetches again.",
    )
    ingest_enrichment_sweep_interval_seconds: float = Field(
        600.0,
        gt=0,
        description="Wait between two enrichment sweeps of `socialcare ingest "
        "enrichment-sweep` (without --once).",
    )

    @field_validator("ingest_api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return parse_api_keys(value)
        if isinstance(value, dict):
            granted = [f"{k}:{'+'.join(sorted(v))}" for k, v in value.items()]
            return parse_api_keys(granted)
        return value

    @field_validator("listening_keywords", "brand_handles", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
