"""Every Kafka topic of the pipeline, with its partitions, config and message model.

This is the one place topic names and partition counts are written down; the
services, ``socialcare stack up``, the JSON Schema export and the Kubernetes
``KafkaTopic`` resources all read them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from socialcare.schema import ClassifiedEvent, DeadLetter, Event, RoutedEvent

WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    model: type[BaseModel]
    description: str
    config: dict[str, str] = field(default_factory=dict)


RAW = TopicSpec(
    "social.events.raw",
    partitions=6,
    model=Event,
    description="Normalized platform events as ingest accepted them.",
    config={"retention.ms": str(WEEK_MS)},
)
CLASSIFIED = TopicSpec(
    "social.events.classified",
    partitions=6,
    model=ClassifiedEvent,
    description="Events with intent, sentiment, language and embedding.",
    config={"retention.ms": str(WEEK_MS)},
)
ROUTED = TopicSpec(
    "social.events.routed",
    partitions=6,
    model=RoutedEvent,
    description="Every event with its queue, priority and first-response deadline.",
    config={"retention.ms": str(WEEK_MS)},
)
DLQ = TopicSpec(
    "social.events.dlq",
    partitions=1,
    model=DeadLetter,
    description="Records a consumer rejected, with the reason and the original bytes.",
    # Kept a month: long enough for someone to notice, fix and replay.
    config={"retention.ms": str(4 * WEEK_MS)},
)

PIPELINE_TOPICS: tuple[TopicSpec, ...] = (RAW, CLASSIFIED, ROUTED, DLQ)

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
        config={"retention.ms": str(WEEK_MS)},
    )
