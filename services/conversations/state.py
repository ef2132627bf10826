"""A conversation's state as a pure fold of what happened to it: routed events,
actions and their results. The worker, and the tests, call `apply`.

Decisions (DESIGN.md, "The care loop"):

- A conversation begins with a customer message; nothing is published before it.
  Actions and results that come first are kept (the routed event can lag behind
  them: another topic, another agent) and applied, in order, when it comes; a brand
  message that comes first (same topic and partition as the customer's, so never a
  reply to a message not yet seen) creates nothing.
- First response is per conversation: ``first_response_at`` and
  ``first_response_due_at`` stay those of the first contact after a reopening, so a
  conversation's first response is measured once. Until it is answered, the due time
  follows the router (a follow-up can bump the priority and shorten it).
- ``waiting_customer`` means a human or a help desk answered. An automated reply (a
  bot's or a rule's, ``ActorKind.bot`` / ``system``) is a reply but not an answer: it
  moves ``last_outbound_at`` only, and its outbound event (same ``event_id`` as the
  platform message id of its result) is recognized as automated too. The respond
  service writes the result before the outbound event can pass through the pipeline,
  so the result comes first.
- A message or reply older than the latest move of the other side changes no status
  (a late delivery neither reopens a conversation answered after it nor marks a newer
  customer message answered).
- A reply action changes nothing until its result; a failed result only counts as
  activity.
- Every input is applied once: the ids of the latest inputs are kept in the state.
- Automated replies the conversations worker sends itself (socialcare.conversations
  .automation): an acknowledgement answers only when the routing file says
  ``counts_as_first_response``; a survey's result sets ``survey_sent_at``, and the
  customer's next message within the survey window that is a rating
  (socialcare.ratings) is recorded as ``csat`` without reopening; any other
  message reopens as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from socialcare.care import answers, customer_language, is_survey
from socialcare.ratings import rating
from socialcare.schema import (
    Action,
    ActionOutcome,
    ActionResult,
    ActionType,
    Conversation,
    ConversationStatus,
    Direction,
    ReplyTarget,
    RoutedEvent,
    event_id_for,
)

# Inputs remembered per conversation by id, so a redelivered one is recognized. Each
# costs about 60 bytes of state; redeliveries come within the last few inputs.
REMEMBERED_INPUTS = 128

Input = RoutedEvent | Action | ActionResult


# Actions and results kept for a conversation whose first customer message has not
# come yet.
REMEMBERED_EARLY = 32


@dataclass(frozen=True)
class FoldOptions:
    """What the routing file decides about the fold (acknowledgements, surveys)."""

    acks_answer: bool = False
    survey_window: timedelta = timedelta(days=1)


DEFAULTS = FoldOptions()


class Tracked(BaseModel):
    """What the worker keeps per conversation (a faust table, changelog-backed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # None until the first customer message.
    conversation: Conversation | None = None
    # When the customer first wrote: an erasure covers state begun at or before it.
    began_at: datetime | None = None
    # Ids of the latest inputs (``event:``, ``action:``, ``result:``) and of automated
    # replies (``automated:<event_id>``), oldest first.
    seen: tuple[str, ...] = ()
    # Actions and results that came before the first customer message, oldest first.
    early: tuple[Action | ActionResult, ...] = ()
    # When the latest automatic acknowledgement was sent for (the opening it answered).
    acknowledged_at: datetime | None = None


def apply(tracked: Tracked | None, item: Input, options: FoldOptions = DEFAULTS) -> Tracked | None:
    """The state after ``item``, or None when it changes nothing (a repeat, a brand
    message of an unknown conversation, a reply not yet sent)."""
    key = input_key(item)
    if tracked is not None and key in tracked.seen:
        return None
    if tracked is None or tracked.conversation is None:
        return _unopened(tracked or Tracked(), item, key, options)
    return _applied(tracked, item, key, options)


def _applied(tracked: Tracked, item: Input, key: str, options: FoldOptions) -> Tracked | None:
    if isinstance(item, RoutedEvent):
        return _event(tracked, item, key, options)
    if isinstance(item, Action):
        return _action(tracked, item, key)
    return _result(tracked, item, key, options)


def _unopened(tracked: Tracked, item: Input, key: str, options: FoldOptions) -> Tracked | None:
    """Before the first customer message: it opens the conversation, and what came
    before it is applied; an action or result waits for it."""
    if isinstance(item, RoutedEvent):
        if item.direction != Direction.inbound:
            return None
        opened = Tracked(conversation=_opened(item), began_at=item.created_at, seen=tracked.seen)
        opened = _remember(opened, opened.conversation, key)
        for early in tracked.early:
            opened = _applied(opened, early, input_key(early), options) or opened
        return opened
    if isinstance(item, Action) and item.type == ActionType.reply:
        return None
    return tracked.model_copy(
        update={
            "early": (*tracked.early, item)[-REMEMBERED_EARLY:],
            "seen": (*tracked.seen, key)[-REMEMBERED_INPUTS:],
        }
    )


def input_key(item: Input) -> str:
    if isinstance(item, RoutedEvent):
        return f"event:{item.event_id}"
    if isinstance(item, Action):
        return f"action:{item.action_id}"
    return f"result:{item.action_id}"


def _event(tracked: Tracked, event: RoutedEvent, key: str, options: FoldOptions) -> Tracked:
    conversation = _opened_of(tracked)
    if event.direction == Direction.inbound:
        score = _survey_answer(conversation, event, options)
        if score is not None:
            return _remember(tracked, _rated(conversation, event, score), key)
        return _remember(tracked, _inbound(conversation, event), key)
    update = _activity(conversation, event.created_at)
    update["last_outbound_at"] = _latest(conversation.last_outbound_at, event.created_at)
    if f"automated:{event.event_id}" not in tracked.seen:
        update |= _answered(conversation, event.created_at)
    return _remember(tracked, conversation.model_copy(update=update), key)


def _action(tracked: Tracked, action: Action, key: str) -> Tracked | None:
    if action.type == ActionType.reply:
        return None
    conversation = _opened_of(tracked)
    at = action.requested_at
    update = _activity(conversation, at)
    if action.type == ActionType.assign:
        update["assignee"] = action.agent
    elif action.type == ActionType.resolve and conversation.status != ConversationStatus.resolved:
        update |= {"status": ConversationStatus.resolved, "resolved_at": at}
    elif action.type == ActionType.reopen:
        update |= _reopened(conversation, at)
    return _remember(tracked, conversation.model_copy(update=update), key)


def _result(tracked: Tracked, result: ActionResult, key: str, options: FoldOptions) -> Tracked:
    conversation = _opened_of(tracked)
    at = result.completed_at
    update = _activity(conversation, at)
    keys = [key]
    if result.type == ActionType.reply and result.outcome == ActionOutcome.done:
        update["last_outbound_at"] = _latest(conversation.last_outbound_at, at)
        actor = result.actor
        if answers(actor, options.acks_answer):
            update |= _answered(conversation, at)
        elif result.platform_message_id is not None:
            reply = event_id_for(conversation.platform, result.platform_message_id)
            keys.append(f"automated:{reply}")
        if is_survey(actor):
            update["survey_sent_at"] = at
    return _remember(tracked, conversation.model_copy(update=update), *keys)


def _survey_answer(
    conversation: Conversation, event: RoutedEvent, options: FoldOptions
) -> int | None:
    """The rating a customer message gives, if it answers the survey sent last: the
    conversation is resolved, the survey unanswered, and the message within its window."""
    sent, at = conversation.survey_sent_at, event.created_at
    if conversation.status != ConversationStatus.resolved or sent is None:
        return None
    if not sent <= at <= sent + options.survey_window:
        return None
    if conversation.csat_at is not None and conversation.csat_at >= sent:
        return None  # answered already: the next message is a new contact
    return rating(event.text, conversation.language)


def _rated(conversation: Conversation, event: RoutedEvent, score: int) -> Conversation:
    """The survey's answer: recorded, and the conversation stays resolved."""
    at = event.created_at
    update = _activity(conversation, at)
    update |= {
        "last_inbound_at": _latest(conversation.last_inbound_at, at),
        "csat": score,
        "csat_at": at,
    }
    return conversation.model_copy(update=update)


def _opened(event: RoutedEvent) -> Conversation:
    at = event.created_at
    return Conversation(
        conversation_id=event.conversation_id,
        platform=event.platform,
        brand_account_id=event.brand_account_id,
        status=ConversationStatus.open,
        queue=event.routing.queue,
        language=_language(event),
        priority=event.routing.priority,
        **_about(event),
        opened_at=at,
        first_response_due_at=event.routing.first_response_due_at,
        last_inbound_at=at,
        last_activity_at=at,
        reply_to=ReplyTarget.of(event),
    )


def _inbound(conversation: Conversation, event: RoutedEvent) -> Conversation:
    at = event.created_at
    update = _activity(conversation, at)
    update |= {
        "last_inbound_at": _latest(conversation.last_inbound_at, at),
        # The router's latest word: a follow-up may be bumped or moved.
        "queue": event.routing.queue,
        "priority": event.routing.priority,
    }
    if conversation.first_response_at is None:
        update["first_response_due_at"] = event.routing.first_response_due_at
    if _after(at, conversation.last_inbound_at, inclusive=True):
        update |= {"reply_to": ReplyTarget.of(event), "language": _language(event)}
        update |= _about(event, known=conversation.market)
    status = conversation.status
    if status == ConversationStatus.resolved and _after(at, conversation.resolved_at):
        update |= _reopened(conversation, at)
    elif status == ConversationStatus.waiting_customer and _after(
        at, conversation.last_outbound_at
    ):
        update["status"] = ConversationStatus.open
    return conversation.model_copy(update=update)


def _reopened(conversation: Conversation, at: datetime) -> dict[str, Any]:
    """A resolved conversation opened again (counted), or one waiting on the customer
    put back in the inbox."""
    if conversation.status == ConversationStatus.resolved:
        return {
            "status": ConversationStatus.open,
            "reopen_count": conversation.reopen_count + 1,
            "resolved_at": None,
            "opened_at": at,
        }
    return {"status": ConversationStatus.open}


def _answered(conversation: Conversation, at: datetime) -> dict[str, Any]:
    """What a human's or help desk's reply at ``at`` changes."""
    update: dict[str, Any] = {}
    if conversation.first_response_at is None:
        update["first_response_at"] = at
    if conversation.status == ConversationStatus.open and _after(
        at, conversation.last_inbound_at, inclusive=True
    ):
        update["status"] = ConversationStatus.waiting_customer
    return update


def _activity(conversation: Conversation, at: datetime) -> dict[str, Any]:
    return {"last_activity_at": max(conversation.last_activity_at, at)}


def _opened_of(tracked: Tracked) -> Conversation:
    assert tracked.conversation is not None, "folded before its first customer message"
    return tracked.conversation


def _remember(tracked: Tracked, conversation: Conversation, *keys: str) -> Tracked:
    new = [k for k in keys if k not in tracked.seen]  # early inputs are remembered already
    seen = (*tracked.seen, *new)[-REMEMBERED_INPUTS:]
    return tracked.model_copy(update={"conversation": conversation, "seen": seen, "early": ()})


def _latest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None else max(current, at)


def _after(at: datetime, reference: datetime | None, *, inclusive: bool = False) -> bool:
    if reference is None:
        return True
    return at >= reference if inclusive else at > reference


def _about(event: RoutedEvent, known: str | None = None) -> dict[str, Any]:
    """What the customer's latest message says about the conversation: its topic and
    tone, and the customer's market (kept when this message does not tell)."""
    return {
        "intent": event.classification.intent,
        "sentiment": event.classification.sentiment,
        "market": event.market or known,
    }


def _language(event: RoutedEvent) -> str:
    return customer_language(event.classification.language, event.routing.language_queue)
