"""Response bodies of the search API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from socialcare.schema import RoutedEvent


class BrandReply(BaseModel):
    """The brand's first answer to a customer's message, as the index worker records it
    on that message (its ``response`` field): when, and whether past the deadline."""

    model_config = ConfigDict(extra="forbid")

    answered_at: datetime
    answered_late: bool


class StoredEvent(RoutedEvent):
    """A routed event as the index holds it (embedding left out of API answers)."""

    indexed_at: datetime
    response: BrandReply | None = None


class SearchHit(BaseModel):
    event: StoredEvent
    score: float | None = None
    highlight: str | None = None

    @classmethod
    def from_hit(cls, hit: dict[str, Any]) -> SearchHit:
        """From an Elasticsearch hit (with its highlight of ``text``, if any)."""
        highlight = (hit.get("highlight") or {}).get("text")
        return cls(
            event=StoredEvent.model_validate(hit["_source"]),
            score=hit.get("_score"),
            highlight=highlight[0] if highlight else None,
        )


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    next_cursor: str | None


class Conversation(BaseModel):
    conversation_id: str
    events: list[StoredEvent]


class ConversationSummary(BaseModel):
    conversation_id: str
    messages: int
    last_at: datetime


class AuthorHistory(BaseModel):
    platform: str
    author_id: str
    total: int
    conversations: list[ConversationSummary]
    events: list[StoredEvent]


class Similar(BaseModel):
    event_id: str
    similar: list[SearchHit]


class StatsBucket(BaseModel):
    start: datetime
    total: int
    intent: dict[str, int]
    sentiment: dict[str, int]


class Stats(BaseModel):
    total: int
    interval: str = Field(
        description="Width of the `over_time` buckets: the one asked for, or a coarser one "
        "when that would have given too many."
    )
    over_time: list[StatsBucket]
    intent: dict[str, int]
    sentiment: dict[str, int]
    language: dict[str, int]
    platform: dict[str, int]
    queue: dict[str, int]
    sla_breached: int


class ErasureReport(BaseModel):
    platform: str
    author_id: str
    erasure_id: str = Field(description="Id of this erasure in the audit log and the logs.")
    deleted: int = Field(description="The customer's messages deleted, over all indices.")
    replies_deleted: int = Field(
        0, description="The brand's messages in the customer's own conversations deleted."
    )
    erased_at: datetime
    audit_id: str
