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


class Share(BaseModel):
    """A share and what it is made of, so a dashboard can judge it."""

    share: float | None = Field(description="`count` / `of`; null when `of` is 0.")
    count: int
    of: int

    @classmethod
    def of_counts(cls, count: int, of: int) -> Share:
        return cls(share=count / of if of else None, count=count, of=of)


class Durations(BaseModel):
    p50_ms: float | None = Field(description="Median, in milliseconds; null when none.")
    p90_ms: float | None = Field(description="90th percentile, in milliseconds.")
    count: int = Field(description="How many conversations were measured.")


class Csat(BaseModel):
    """Satisfaction surveys' answers (1-5), over the conversations surveyed."""

    average: float | None = Field(description="Mean answer; null when none.")
    count: int = Field(description="Conversations whose survey was answered.")
    response_rate: Share = Field(
        description="Answered, of the conversations a survey was sent to (a conversation "
        "surveyed again after a reopening counts once, with its latest answer)."
    )


class CareFigures(BaseModel):
    opened: int = Field(description="Conversations opened (or reopened) in the window.")
    first_response: Durations = Field(
        description="Wall-clock time from the first customer message to the first human or "
        "help-desk answer, over the answered conversations never reopened (a reopening "
        "moves the opening, not the first response)."
    )
    first_response_business: Durations = Field(
        description="The same, counting only the hours the conversation's language queue "
        "is staffed (the routing file's business_hours; all hours for a queue without them)."
    )
    sentiment: dict[str, int] = Field(
        description="Conversations by the sentiment of their latest customer message."
    )
    within_deadline: Share = Field(
        description="Answered by the first-response deadline, of those with a deadline "
        "that were answered or are past it unanswered."
    )
    overdue_unanswered: int = Field(
        description="Not resolved, not answered, and past the deadline now."
    )
    resolved: Share = Field(description="Resolved now, of the conversations opened.")
    resolution_time: Durations = Field(
        description="Wall-clock time from the (latest) opening to the resolution."
    )
    reopened: Share = Field(description="Reopened at least once, of the conversations opened.")
    csat: Csat = Field(description="Customer satisfaction from the surveys sent on resolution.")


class CareGroup(CareFigures):
    key: str | None = Field(
        description="The group's value (the start of the day or hour, RFC 3339); null: none."
    )


class CareMetrics(BaseModel):
    since: datetime | None
    until: datetime | None
    group_by: str | None
    overall: CareFigures
    groups: list[CareGroup] = Field(
        description="One per value of `group_by`: largest first, or in time order by day or hour."
    )
    unavailable: dict[str, str] = Field(
        default_factory=dict,
        description="Figures of the care metrics this deployment cannot give, and why "
        "(none today; kept for clients that read it).",
    )
