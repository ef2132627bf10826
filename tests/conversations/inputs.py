"""Inputs of the conversations worker for one conversation: routed customer and brand
messages, actions and their results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socialcare.schema import Action, ActionResult, RoutedEvent
from tests.support.events import ROUTING, event_data

CONVERSATION = "twitter:conv-state"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def inbound(
    n: int,
    created_at: datetime,
    conversation: str = CONVERSATION,
    language: str = "en",
    priority: str = "P3",
    due: datetime | None = None,
    **extra: Any,
) -> RoutedEvent:
    """Customer message ``n`` of the conversation, routed."""
    return _routed(
        n,
        created_at,
        conversation,
        direction="inbound",
        author={"id": "customer-1", "handle": "customer"},
        language=language,
        routing={
            **ROUTING,
            "priority": priority,
            "first_response_due_at": (due or created_at.replace(hour=13)).isoformat(),
        },
        **extra,
    )


def outbound(
    n: int, created_at: datetime, conversation: str = CONVERSATION, **extra: Any
) -> RoutedEvent:
    """The brand's message ``n`` in the conversation (a reply), routed."""
    return _routed(
        n,
        created_at,
        conversation,
        direction="outbound",
        author={"id": "brand-1", "handle": "brand"},
        routing={**ROUTING, "first_response_due_at": None},
        **extra,
    )


def _routed(
    n: int, created_at: datetime, conversation: str, language: str = "en", **fields: Any
) -> RoutedEvent:
    fields.setdefault("platform_message_id", f"{conversation}-{n}")
    return RoutedEvent.model_validate(
        event_data(
            n,
            conversation_id=conversation,
            created_at=created_at.isoformat(),
            received_at=created_at.isoformat(),
            classification={
                "intent": "shipping",
                "intent_scores": {"shipping": 0.9},
                "sentiment": "negative",
                "sentiment_scores": {"negative": 0.9},
                "language": language,
                "language_confidence": 0.95,
                "model_version": "test",
            },
            **fields,
        )
    )


def action(
    action_id: str,
    type_: str,
    requested_at: datetime,
    conversation: str = CONVERSATION,
    agent: str | None = None,
) -> Action:
    fields: dict[str, Any] = {}
    if type_ == "assign":
        fields["agent"] = agent or "agent-1"
    if type_ in ("reply", "note"):
        fields["text"] = "Sorry about that, we are on it."
    if type_ == "reply":
        fields["reply_to"] = {
            "event_id": f"twitter:{conversation}-1",
            "platform": "twitter",
            "brand_account_id": "brand-1",
            "kind": "mention",
            "platform_message_id": f"{conversation}-1",
            "recipient_id": "customer-1",
            "customer_wrote_at": requested_at.isoformat(),
        }
    return Action(
        action_id=action_id,
        type=type_,
        conversation_id=conversation,
        actor={"kind": "agent", "id": "agent-1"},
        requested_at=requested_at,
        **fields,
    )


def result(
    action_id: str,
    completed_at: datetime,
    conversation: str = CONVERSATION,
    type_: str = "reply",
    outcome: str = "done",
    actor: str = "agent",
    platform_message_id: str | None = None,
) -> ActionResult:
    done = outcome == "done"
    sent = platform_message_id or f"sent-{action_id}"
    return ActionResult(
        action_id=action_id,
        conversation_id=conversation,
        type=type_,
        actor={"kind": actor, "id": f"{actor}-1"},
        outcome=outcome,
        platform_message_id=sent if done and type_ == "reply" else None,
        reason=None if done else "window closed",
        completed_at=completed_at,
    )
