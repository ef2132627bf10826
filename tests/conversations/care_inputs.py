"""Inputs of the care loop's automated replies: a customer's private message on a
messaging platform, routed to a language queue, and the worker's own reply results."""

from __future__ import annotations

from datetime import datetime, timedelta

from socialcare.schema import Action, ActionResult, RoutedEvent
from tests.conversations.inputs import _routed as routed


def customer_dm(
    n: int,
    at: datetime,
    conversation: str,
    text: str = "Where is my parcel? It has been a week.",
    language: str = "hr",
    queue_language: str | None = None,
    due: datetime | None = None,
    platform: str = "telegram",
    kind: str = "dm",
) -> RoutedEvent:
    """Customer message ``n`` of ``conversation`` on ``platform``, routed to the
    logistics queue of ``queue_language`` (default: its language)."""
    queue = queue_language or language
    return routed(
        n,
        at,
        conversation,
        language=language,
        platform=platform,
        kind=kind,
        direction="inbound",
        platform_message_id=f"{conversation.split(':')[-1]}:{n}",  # chat:message
        author={"id": "4242", "handle": "customer"},
        text=text,
        routing={
            "queue": f"support.queue.{queue}.logistics",
            "language_queue": queue,
            "skill": "logistics",
            "priority": "P3",
            "first_response_due_at": (due or at + timedelta(hours=4)).isoformat(),
            "rule": "skill-map/private-complaint",
            "routed_at": at.isoformat(),
        },
    )


def sent(reply: Action, at: datetime, message_id: str | None = None) -> ActionResult:
    """The respond service's result for one of the worker's own replies: sent."""
    return ActionResult(
        action_id=reply.action_id,
        conversation_id=reply.conversation_id,
        type=reply.type,
        actor=reply.actor,
        outcome="done",
        platform_message_id=message_id or f"sent-{reply.action_id}",
        completed_at=at,
    )
