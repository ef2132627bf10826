"""Every Kafka topic of the pipeline, with its partitions, config and message model.

This is the one place topic names and partition counts are written down; the
services, ``socialcare stack up``, the JSON Schema export and the Kubernetes
``KafkaTopic`` resources all read them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from socialcare.erasure import DEFAULT_TOPIC as ERASURES_TOPIC
from socialcare.erasure import ErasureRecord
from socialcare.listening_positions import ListeningPosition
from socialcare.schema import (
    Action,
    ActionResult,
    Alert,
    ClassifiedEvent,
    Conversation,
    DeadLetter,
    Event,
    RoutedEvent,
)

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS


class Retention(BaseSettings):
    """How long each class of store keeps personal data (``SOCIALCARE_RETENTION_*``).

    Read once at import: the topics are created (``stack up``, the route worker,
    the Kubernetes KafkaTopics generated from here) with these values. The defaults
    are what a privacy review can accept for customer care: a week in the stream, two
    in the dead-letter queue, a month of conversation state, six months of history.
    """

    model_config = SettingsConfigDict(env_prefix="SOCIALCARE_RETENTION_", extra="ignore")

    events_days: float = Field(7, gt=0, description="Raw, classified and routed event topics.")
    queues_days: float = Field(7, gt=0, description="The support.queue.* topics.")
    dlq_days: float = Field(
        14, gt=0, description="The dead-letter queue (original bytes of rejected records)."
    )
    conversations_days: float = Field(
        30,
        gt=0,
        description="The router's conversation changelog (compacted, and deleted once a "
        "conversation has been idle this long); at least the longest rule or SLA window.",
    )
    index_days: float = Field(
        180, gt=0, description="Events in Elasticsearch older than this are deleted."
    )


RETENTION = Retention()


def _retention_ms(days: float) -> str:
    return str(int(days * DAY_MS))


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    model: type[BaseModel]
    description: str
    config: dict[str, str] = field(default_factory=dict)
    key: str = "conversation_id"  # what each message's Kafka key is


RAW = TopicSpec(
    "social.events.raw",
    partitions=6,
    model=Event,
    description="Normalized platform events as ingest accepted them.",
    config={"retention.ms": _retention_ms(RETENTION.events_days)},
)
CLASSIFIED = TopicSpec(
    "social.events.classified",
    partitions=6,
    model=ClassifiedEvent,
    description="Events with intent, sentiment, language and embedding.",
    config={"retention.ms": _retention_ms(RETENTION.events_days)},
)
ROUTED = TopicSpec(
    "social.events.routed",
    partitions=6,
    model=RoutedEvent,
    description="Every event with its queue, priority and first-response deadline.",
    config={"retention.ms": _retention_ms(RETENTION.events_days)},
)
DLQ = TopicSpec(
    "social.events.dlq",
    partitions=1,
    model=DeadLetter,
    description="Records a consumer rejected, with the reason and the original bytes.",
    # Long enough for someone to notice, fix and replay; short because it keeps the
    # original bytes, which an erasure cannot reach.
    config={"retention.ms": _retention_ms(RETENTION.dlq_days)},
)
ERASURES = TopicSpec(
    ERASURES_TOPIC,
    partitions=1,
    model=ErasureRecord,
    description="Erased customers (hashes only), one record per person; every store honours them.",
    key="subject",
    # Compacted and never deleted: forgetting an erasure would let a replay bring the
    # person back.
    config={"cleanup.policy": "compact", "retention.ms": "-1"},
)

# The care loop. Keyed by conversation_id and partitioned like the event topics, so
# one conversation's events, actions and state meet on the same partition number.
ACTIONS = TopicSpec(
    "support.actions",
    partitions=6,
    model=Action,
    description="Agents' and help desks' actions: reply, assign, resolve, reopen, note.",
    config={"retention.ms": _retention_ms(RETENTION.events_days)},
)
ACTION_RESULTS = TopicSpec(
    "support.action-results",
    partitions=6,
    model=ActionResult,
    description="What became of each action: done (with the sent reply's id) or failed (why).",
    config={"retention.ms": _retention_ms(RETENTION.events_days)},
)
CONVERSATIONS = TopicSpec(
    "support.conversations",
    partitions=6,
    model=Conversation,
    description="The latest state of every conversation (compacted).",
    # Compacted (latest state per conversation) and deleted once idle, like the
    # router's table: a conversation id can be a phone number.
    config={
        "cleanup.policy": "compact,delete",
        "retention.ms": _retention_ms(RETENTION.conversations_days),
    },
)
# Stream analytics: one record per spike and change, keyed by alert_id.
ALERTS = TopicSpec(
    "social.alerts",
    partitions=1,
    model=Alert,
    description="Spikes in the inbound stream (terms, intent, languages, platforms), "
    "opened, updated and cleared (compacted: the latest state per alert).",
    # Compacted, and deleted after the conversations' retention: an alert names no
    # customer, but its example event ids point at their messages.
    config={
        "cleanup.policy": "compact,delete",
        "retention.ms": _retention_ms(RETENTION.conversations_days),
    },
    key="alert_id",
)

# Where the listening poller's search stands per brand: tiny, compacted, kept (no
# customer data, and forgetting it would search the last 7 days again).
LISTENING_POSITIONS = TopicSpec(
    "social.listening.positions",
    partitions=1,
    model=ListeningPosition,
    description="The listening poller's newest published post id per brand (compacted).",
    key="brand",
    config={"cleanup.policy": "compact", "retention.ms": "-1"},
)

PIPELINE_TOPICS: tuple[TopicSpec, ...] = (
    RAW,
    CLASSIFIED,
    ROUTED,
    DLQ,
    ERASURES,
    ACTIONS,
    ACTION_RESULTS,
    CONVERSATIONS,
    ALERTS,
    LISTENING_POSITIONS,
)

# The router's conversation table: compacted (latest state per conversation) and
# deleted once idle, so no conversation id (a phone number on WhatsApp) stays forever.
CONVERSATIONS_CHANGELOG_CONFIG = {
    "cleanup.policy": "compact,delete",
    "retention.ms": _retention_ms(RETENTION.conversations_days),
}

QUEUE_PREFIX = "support.queue"
QUEUE_PARTITIONS = 3
_QUEUE_PART = re.compile(r"^[a-z][a-z0-9_]*$")


def queue_topic(language: str, skill: str) -> TopicSpec:
    """The topic of one language + skill queue, ``support.queue.<language>.<skill>``."""
    for part in (language, skill):
        if not _QUEUE_PART.match(part):
            raise ValueError(f"invalid queue name part {part!r}: use lowercase letters, _")
    return TopicSpec(
        f"{QUEUE_PREFIX}.{language}.{skill}",
        partitions=QUEUE_PARTITIONS,
        model=RoutedEvent,
        description=f"Routed events for the {language} {skill} queue.",
        config={"retention.ms": _retention_ms(RETENTION.queues_days)},
    )


def queue_language(topic: str) -> str | None:
    """The language queue of a queue topic (``support.queue.hr.orders`` -> ``hr``)."""
    prefix = f"{QUEUE_PREFIX}."
    if not topic.startswith(prefix):
        return None
    language, _, skill = topic.removeprefix(prefix).partition(".")
    return language if skill else None
