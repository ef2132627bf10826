"""What the respond worker records and publishes for an action: pure functions.

A reply's outcome is recorded once (`ReplyRecord`, the ``replies`` table's value)
and every output is derived from the action and that record alone, so a replay
after a crash publishes the very same records again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from socialcare.schema import (
    Action,
    ActionOutcome,
    ActionResult,
    Author,
    Direction,
    Event,
)


class ReplyRecord(BaseModel):
    """A reply's outcome, kept per action_id so it is sent once."""

    outcome: ActionOutcome
    platform_message_id: str | None = None
    reason: str | None = None
    completed_at: datetime


def result(action: Action, record: ReplyRecord) -> ActionResult:
    return ActionResult(
        action_id=action.action_id,
        conversation_id=action.conversation_id,
        type=action.type,
        actor=action.actor,
        outcome=record.outcome,
        platform_message_id=record.platform_message_id,
        reason=record.reason,
        completed_at=record.completed_at,
    )


def outbound_event(action: Action, record: ReplyRecord) -> Event:
    """The sent reply as the pipeline's event: a later echo of it from the platform
    (Meta's) has the same event_id and changes nothing."""
    target = action.reply_to
    if target is None or record.platform_message_id is None:
        raise ValueError("only a sent reply has an outbound event")
    return Event(
        platform=target.platform,
        kind=target.kind,
        direction=Direction.outbound,
        brand_account_id=target.brand_account_id,
        platform_message_id=record.platform_message_id,
        conversation_id=action.conversation_id,
        parent_id=target.platform_message_id,
        author=Author(id=target.brand_account_id),
        sent_by=action.actor,
        text=action.text or "",
        created_at=record.completed_at,
        received_at=record.completed_at,
    )
