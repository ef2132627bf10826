"""Response bodies of the search API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from socialcare import schema
from socialcare.schema import Id, RoutedEvent


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


class ConversationState(schema.Conversation):
    """A conversation's state as the index holds it (the latest of support.conversations)."""

    indexed_at: datetime


class Conversation(BaseModel):
    conversation_id: str
    events: list[StoredEvent]
    state: ConversationState | None = Field(
        None, description="Status, assignee, deadlines; null while no state is known yet."
    )


class Inbox(BaseModel):
    total: int
    conversations: list[ConversationState]
    next_cursor: str | None


class ActionRequest(BaseModel):
    """An action on a conversation; ``action_id`` makes retrying it safe."""

    model_config = ConfigDict(extra="forbid")

    action_id: Id | None = Field(
        None,
        description="Your id of the action: the same id twice acts once (a reply is sent "
        "once). A new one (a UUID) when absent.",
    )


Text = Annotated[str, Field(min_length=1, max_length=4096)]


class ReplyRequest(ActionRequest):
    text: Text = Field(description="The reply, sent to the customer on their platform.")


class NoteRequest(ActionRequest):
    text: Text = Field(description="An internal note for other agents (never sent).")


class AssignRequest(ActionRequest):
    agent: Id = Field(description="Whom the conversation goes to (an agent name).")


class ActionAccepted(BaseModel):
    action_id: str = Field(description="The action's id, to follow on support.action-results.")


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
