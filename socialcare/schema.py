"""The event schema of DESIGN.md, version 1: the one source of truth.

Every Kafka message of the pipeline is one of these models serialized as UTF-8 JSON.
The JSON Schemas in ``docs/schemas/`` are generated from them (``socialcare schema
export``); downstream tools read those, the services import these.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

SCHEMA_VERSION = 1

# Platforms with a native adapter (each one's events come only through its signed
# webhook); the generic API accepts any other source name that matches
# PLATFORM_PATTERN and is not reserved.
KNOWN_PLATFORMS = (
    "twitter",
    "facebook",
    "messenger",
    "instagram",
    "whatsapp",
    "viber",
    "telegram",
)
# Names the generic API may not claim: the native platforms and the names people use
# for them, so no integration's events can pass for a native platform's.
RESERVED_PLATFORMS = frozenset({*KNOWN_PLATFORMS, "x", "meta"})
PLATFORM_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"
LANGUAGE_PATTERN = r"^[a-z]{2}$"
MARKET_PATTERN = r"^[A-Z]{2}$"
# ISO 639-2 "undetermined": emoji-only or too-short texts, where a guess would mislead.
UNDETERMINED = "und"


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalized to UTC; naive timestamps are rejected."""

Score = Annotated[float, Field(ge=0.0, le=1.0)]
Id = Annotated[str, Field(min_length=1, max_length=256)]


class Kind(StrEnum):
    dm = "dm"
    comment = "comment"
    mention = "mention"
    reply = "reply"
    listening = "listening"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class Enrichment(StrEnum):
    """Where an event whose platform notification carried only ids stands (an Instagram
    mention): ``pending`` until its text and author are fetched, then republished with
    the same event_id as ``done``, or as ``failed`` once every attempt failed."""

    pending = "pending"
    done = "done"
    failed = "failed"


class Intent(StrEnum):
    defect = "defect"
    order_issue = "order_issue"
    shipping = "shipping"
    praise = "praise"
    other = "other"


class Sentiment(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class _Model(BaseModel):
    # extra="forbid": a typo in a producer's field name is an error at the producer,
    # not a silently dropped field at every consumer.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_serialization_defaults_required=True,
    )


class _Record(_Model):
    """A message of a topic keyed by conversation: one conversation, one partition."""

    @property
    def key(self) -> bytes:
        """The Kafka message key: the conversation id."""
        return self.conversation_id.encode()  # type: ignore[attr-defined]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class Author(_Model):
    id: Id
    handle: str | None = None
    display_name: str | None = None
    follower_count: int | None = Field(None, ge=0)


class Attachment(_Model):
    type: str = Field(min_length=1, description="image, video, audio, file, sticker, location…")
    url: str | None = Field(None, description="Where the platform serves it, when it says.")


class ActorKind(StrEnum):
    agent = "agent"
    helpdesk = "helpdesk"
    bot = "bot"
    system = "system"


class Actor(_Model):
    """Who acted: an agent (the name its API key carries), a help desk or a bot.

    A bot's reply is an automated acknowledgement: a reply, not a first response."""

    kind: ActorKind
    id: Id


class Classification(_Model):
    intent: Intent
    intent_scores: dict[Intent, Score]
    sentiment: Sentiment
    sentiment_scores: dict[Sentiment, Score]
    language: str = Field(
        pattern=rf"{LANGUAGE_PATTERN}|^{UNDETERMINED}$",
        description="ISO 639-1 code of the text, or 'und' when it cannot be told.",
    )
    language_confidence: Score
    model_version: str
    embedding: list[float] | None = Field(
        None, description="Sentence embedding of the text, for similar-message search."
    )


class Routing(_Model):
    queue: str = Field(description="Topic of the queue: support.queue.<language>.<skill>.")
    language_queue: str = Field(pattern=LANGUAGE_PATTERN)
    skill: str
    priority: Priority = Field(description="P1 is the most urgent.")
    first_response_due_at: UtcDatetime | None = Field(
        None, description="When the first answer is due; null for outbound messages."
    )
    needs_translation: bool = False
    rule: str = Field(description="Name of the routing rule that decided.")
    routed_at: UtcDatetime


class Event(_Record):
    """A platform message as ingest publishes it to ``social.events.raw``."""

    event_id: Id = Field(
        description="<platform>:<platform_message_id>; the same message always has the same id."
    )
    schema_version: Literal[1] = SCHEMA_VERSION
    platform: str = Field(pattern=PLATFORM_PATTERN)
    kind: Kind
    direction: Direction = Direction.inbound
    brand_account_id: Id
    platform_message_id: Id
    conversation_id: Id = Field(description="Kafka message key: one conversation, one partition.")
    parent_id: Id | None = None
    author: Author
    text: str = Field("", max_length=65536, description="Empty when there are only attachments.")
    attachments: list[Attachment] = Field(default_factory=list)
    created_at: UtcDatetime = Field(description="When the platform says it was written.")
    received_at: UtcDatetime = Field(description="When ingest received it.")
    market: str | None = Field(
        None,
        pattern=MARKET_PATTERN,
        description="The customer's market (ISO 3166-1 alpha-2) where the platform or the "
        "brand account tells it: the phone number's country (WhatsApp), the platform's "
        "country (Viber), the account's market in the routing config.",
    )
    enrichment: Enrichment | None = Field(
        None,
        description="Null when the platform sent the whole message; otherwise whether its "
        "text and author were fetched yet (docs/ingest.md).",
    )
    sent_by: Actor | None = Field(
        None,
        description="On a reply the respond service sent: who asked for it (an agent, a "
        "help desk, a bot, or `system` for the automatic acknowledgements and surveys). "
        "Null on every other event, a platform's echo of a reply included.",
    )
    classification: Classification | None = None
    routing: Routing | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_event_id(cls, data: object) -> object:
        if isinstance(data, dict) and "event_id" not in data:
            platform, message_id = data.get("platform"), data.get("platform_message_id")
            if isinstance(platform, str) and isinstance(message_id, str):
                return {**data, "event_id": event_id_for(platform, message_id)}
        return data

    @model_validator(mode="after")
    def _check_event_id(self) -> Self:
        expected = event_id_for(self.platform, self.platform_message_id)
        if self.event_id != expected:
            raise ValueError(f"event_id must be {expected!r}, got {self.event_id!r}")
        return self


class ClassifiedEvent(Event):
    """An event with the classifier's verdict, on ``social.events.classified``."""

    classification: Classification


class RoutedEvent(ClassifiedEvent):
    """An event with its queue and deadline, on ``social.events.routed`` and the queues."""

    routing: Routing


class DeadLetter(_Model):
    """A record a consumer could not process, on ``social.events.dlq``.

    The original bytes are kept whole so the record can be replayed after a fix.
    """

    service: str = Field(description="The consumer that gave up on the record.")
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key_b64: str | None = Field(None, description="Original message key, base64.")
    value_b64: str = Field(description="Original message value, base64.")
    error_type: str
    error: str = Field(description="Why it was rejected, for a person to read.")
    failed_at: UtcDatetime

    @classmethod
    def for_record(
        cls,
        *,
        service: str,
        source_topic: str,
        value: bytes,
        error: BaseException,
        key: bytes | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        return cls(
            service=service,
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key_b64=base64.b64encode(key).decode() if key is not None else None,
            value_b64=base64.b64encode(value).decode(),
            error_type=type(error).__name__,
            error=str(error)[:4000],
            failed_at=datetime.now(UTC),
        )

    def original_value(self) -> bytes:
        return base64.b64decode(self.value_b64)


class ActionType(StrEnum):
    reply = "reply"
    assign = "assign"
    resolve = "resolve"
    reopen = "reopen"
    note = "note"


class ReplyTarget(_Model):
    """The customer message a reply answers, as the platform needs it to send: every
    field comes from the inbound event (a queue topic's record has them all)."""

    event_id: Id
    platform: str = Field(pattern=PLATFORM_PATTERN)
    brand_account_id: Id
    kind: Kind
    platform_message_id: Id = Field(description="The customer's message, answered in place.")
    parent_id: Id | None = Field(
        None,
        description="The inbound event's parent_id: the media an Instagram comment mention "
        "is on (its reply names both), absent for a mention in a caption.",
    )
    recipient_id: Id = Field(description="The customer: the inbound event's author.id.")
    customer_wrote_at: UtcDatetime = Field(
        description="The inbound message's created_at (WhatsApp's 24-hour window runs from it)."
    )

    @classmethod
    def of(cls, event: Event) -> ReplyTarget:
        return cls(
            event_id=event.event_id,
            platform=event.platform,
            brand_account_id=event.brand_account_id,
            kind=event.kind,
            platform_message_id=event.platform_message_id,
            parent_id=event.parent_id,
            recipient_id=event.author.id,
            customer_wrote_at=event.created_at,
        )


class Action(_Record):
    """An action on a conversation, on ``support.actions`` (key ``conversation_id``).

    ``action_id`` makes it idempotent: the same action delivered or posted twice takes
    effect once (a reply is sent once)."""

    action_id: Id = Field(description="Chosen by the sender; the same id twice acts once.")
    schema_version: Literal[1] = SCHEMA_VERSION
    type: ActionType
    conversation_id: Id = Field(description="Kafka message key.")
    actor: Actor
    requested_at: UtcDatetime
    text: str | None = Field(
        None, min_length=1, max_length=4096, description="The reply or the note (reply, note)."
    )
    agent: Id | None = Field(None, description="Whom the conversation goes to (assign).")
    reply_to: ReplyTarget | None = Field(None, description="The message answered (reply).")

    @model_validator(mode="after")
    def _fields_of_its_type(self) -> Self:
        needs = {
            ActionType.reply: ("text", "reply_to"),
            ActionType.note: ("text",),
            ActionType.assign: ("agent",),
        }.get(self.type, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type.value!r} action needs {', '.join(missing)}")
        return self


class ActionOutcome(StrEnum):
    done = "done"
    failed = "failed"


class ActionResult(_Record):
    """What became of an action, on ``support.action-results`` (key ``conversation_id``):
    for a reply, the platform's message id or the platform's reason it was refused."""

    action_id: Id
    schema_version: Literal[1] = SCHEMA_VERSION
    conversation_id: Id
    type: ActionType
    actor: Actor
    outcome: ActionOutcome
    platform_message_id: Id | None = Field(None, description="The sent reply's id (reply).")
    reason: str | None = Field(None, description="Why it failed, for the agent to read.")
    completed_at: UtcDatetime


class ConversationStatus(StrEnum):
    open = "open"
    waiting_customer = "waiting_customer"
    resolved = "resolved"


class Conversation(_Record):
    """One conversation's state, on the compacted ``support.conversations`` (key
    ``conversation_id``): ``open`` while the customer waits for us, ``waiting_customer``
    once a human or a help desk answered, ``resolved`` when closed; a new customer
    message reopens it."""

    conversation_id: Id
    schema_version: Literal[1] = SCHEMA_VERSION
    platform: str = Field(pattern=PLATFORM_PATTERN)
    brand_account_id: Id
    status: ConversationStatus
    assignee: Id | None = None
    queue: str | None = None
    language: str | None = None
    priority: Priority | None = None
    intent: Intent | None = Field(None, description="Of the customer's latest message.")
    sentiment: Sentiment | None = Field(None, description="Of the customer's latest message.")
    market: str | None = Field(
        None, pattern=MARKET_PATTERN, description="The customer's market, when known."
    )
    opened_at: UtcDatetime = Field(description="The first customer message (or the reopening).")
    first_response_due_at: UtcDatetime | None = None
    first_response_at: UtcDatetime | None = Field(
        None, description="The first human or help-desk reply (not a bot's acknowledgement)."
    )
    resolved_at: UtcDatetime | None = None
    reopen_count: int = Field(0, ge=0)
    last_inbound_at: UtcDatetime | None = None
    last_outbound_at: UtcDatetime | None = None
    last_activity_at: UtcDatetime
    reply_to: ReplyTarget | None = Field(
        None, description="The customer's latest message: what a reply answers by default."
    )
    survey_sent_at: UtcDatetime | None = Field(
        None, description="When the latest satisfaction survey was sent (its result)."
    )
    csat: int | None = Field(
        None, ge=1, le=5, description="The customer's answer to the latest survey answered."
    )
    csat_at: UtcDatetime | None = Field(None, description="When the customer gave `csat`.")


class AlertStatus(StrEnum):
    open = "open"
    updated = "updated"
    cleared = "cleared"


class Alert(_Model):
    """A spike in the inbound stream, on the compacted ``social.alerts`` (key
    ``alert_id``): ``open`` when first raised, ``updated`` as it grows, ``cleared``
    once the rate falls back. One alert per spike: every message of it has the same
    ``alert_id``, and the latest is its state."""

    alert_id: Id = Field(description="Stable for the life of the spike; the Kafka key.")
    schema_version: Literal[1] = SCHEMA_VERSION
    status: AlertStatus
    intent: Intent | None = Field(None, description="The intent most of the spike's events have.")
    terms: list[str] = Field(
        default_factory=list,
        description="Salient terms (casefolded words or word pairs) over-represented in the "
        "window against the baseline, most frequent first; empty for a volume spike of "
        "one intent, language or platform.",
    )
    dimensions: list[str] = Field(
        default_factory=list,
        description="Counts that spiked besides terms, e.g. 'intent=defect' or "
        "'intent=defect,language=kk,platform=telegram'.",
    )
    languages: list[str] = Field(
        default_factory=list, description="Languages of the spike's events, most frequent first."
    )
    platforms: list[str] = Field(
        default_factory=list, description="Platforms of the spike's events, most frequent first."
    )
    since: UtcDatetime = Field(description="Start of the window in which it first spiked.")
    opened_at: UtcDatetime | None = Field(
        None, description="When it was first published (event time): since + detection."
    )
    window_seconds: float = Field(gt=0, description="Length of the counting window.")
    count: int = Field(ge=0, description="The spike's events in the latest window.")
    baseline: float = Field(ge=0, description="What the baseline expects in such a window.")
    factor: float = Field(ge=0, description="count / baseline.")
    events: int = Field(ge=0, description="The spike's events since it began.")
    example_event_ids: list[Id] = Field(
        default_factory=list, description="A few of the spike's events, first seen first."
    )
    updated_at: UtcDatetime
    cleared_at: UtcDatetime | None = None

    @property
    def key(self) -> bytes:
        """The Kafka message key: the alert id."""
        return self.alert_id.encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def event_id_for(platform: str, platform_message_id: str) -> str:
    return f"{platform}:{platform_message_id}"
