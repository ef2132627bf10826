"""The replies the conversations worker sends itself, decided from a conversation's
state before and after one input (docs/routing.md, "acknowledgements", "surveys"):

- an automatic acknowledgement when a customer message opens or reopens a
  conversation that an acknowledgement rule matches, at most one per window;
- a satisfaction survey when a conversation on a surveyed platform becomes resolved.

Both are reply actions on support.actions, sent by the respond service like an
agent's. Their ``action_id`` is derived from the conversation and the moment that
caused them, so a redelivered input, or a second worker folding the same input,
asks for the same reply, which respond sends once. Nothing is sent for a moment
long past (a replay): an acknowledgement whose deadline has passed, or a survey
whose answer window has closed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from socialcare.care import ACK_ACTOR, SURVEY_ACTOR
from socialcare.conversations.state import FoldOptions, Tracked
from socialcare.route.automation import AckRule, locale_of, template_for
from socialcare.route.calendar import staffed
from socialcare.route.config import RoutingConfig
from socialcare.schema import (
    Action,
    ActionType,
    Actor,
    ActorKind,
    Conversation,
    ConversationStatus,
    Kind,
)
from socialcare.topics import QUEUE_PREFIX


def fold_options(config: RoutingConfig) -> FoldOptions:
    return FoldOptions(
        acks_answer=config.acknowledgements.counts_as_first_response,
        survey_window=config.surveys.window,
    )


def automate(
    before: Conversation | None, tracked: Tracked, config: RoutingConfig, now: datetime
) -> tuple[Tracked, list[Action]]:
    """The state to keep and the replies to send after an input moved a conversation
    from ``before`` to ``tracked``."""
    conversation = tracked.conversation
    if conversation is None:
        return tracked, []
    actions: list[Action] = []
    ack = acknowledgement(before, tracked, config, now)
    if ack is not None:
        actions.append(ack)
        tracked = tracked.model_copy(update={"acknowledged_at": conversation.opened_at})
    survey_action = survey(before, conversation, config, now)
    if survey_action is not None:
        actions.append(survey_action)
    return tracked, actions


def acknowledgement(
    before: Conversation | None, tracked: Tracked, config: RoutingConfig, now: datetime
) -> Action | None:
    """The acknowledgement of a conversation a customer message just opened or
    reopened, when a rule matches and none was sent within the window."""
    c = tracked.conversation
    acks = config.acknowledgements
    if c is None or c.reply_to is None or c.first_response_due_at is None:
        return None
    reopened = before is not None and c.reopen_count > before.reopen_count
    if not (before is None or reopened) or c.last_inbound_at != c.opened_at:
        return None  # not a customer's opening (an agent's reopen action, a follow-up)
    if c.status != ConversationStatus.open or c.first_response_due_at <= now:
        return None
    last = tracked.acknowledged_at
    if last is not None and c.opened_at - last < timedelta(minutes=acks.window_minutes):
        return None
    if not any(_matches(rule, c, config) for rule in acks.rules):
        return None
    language, template = template_for(acks.templates, c.language, config.languages.fallback)
    text = template.format(due=_due(c, config, language))
    return _reply(c, ACK_ACTOR, "ack", c.opened_at, text, now)


def survey(
    before: Conversation | None, c: Conversation, config: RoutingConfig, now: datetime
) -> Action | None:
    """The survey of a conversation that just became resolved on a surveyed platform."""
    surveys = config.surveys
    if before is None or before.status == ConversationStatus.resolved:
        return None
    if c.status != ConversationStatus.resolved or c.resolved_at is None or c.reply_to is None:
        return None
    if c.platform not in surveys.platforms or (surveys.skills and _skill(c) not in surveys.skills):
        return None
    if _public(c) and not surveys.public:
        return None
    if now - c.resolved_at > surveys.window:
        return None
    _, text = template_for(surveys.templates, c.language, config.languages.fallback)
    return _reply(c, SURVEY_ACTOR, "survey", c.resolved_at, text, now)


def _matches(rule: AckRule, c: Conversation, config: RoutingConfig) -> bool:
    when = rule.when
    hours = config.business_hours.get(_language_queue(c))
    checks = (
        when.platforms is None or c.platform in when.platforms,
        when.skills is None or _skill(c) in when.skills,
        when.languages is None or c.language in when.languages,
        when.outside_business_hours is None
        or when.outside_business_hours != staffed(c.opened_at, hours),
        rule.public or not _public(c),
    )
    return all(checks)


def _due(c: Conversation, config: RoutingConfig, language: str) -> str:
    """The deadline as the customer reads it: in their language, in the brand's time
    zone (the language queue's business hours, else ``acknowledgements.timezone``),
    day and time (a time alone would not fit every template's grammar)."""
    assert c.first_response_due_at is not None
    hours = config.business_hours.get(_language_queue(c))
    zone = ZoneInfo(hours.timezone if hours else config.acknowledgements.timezone)
    locale = locale_of(language)
    due = c.first_response_due_at
    time = format_time(due, "short", tzinfo=zone, locale=locale)
    day = format_skeleton("MMMEd", due, tzinfo=zone, locale=locale)
    return str(locale.datetime_formats["short"]).format(time, day)


def _reply(
    c: Conversation, actor: str, kind: str, moment: datetime, text: str, now: datetime
) -> Action:
    assert c.reply_to is not None
    return Action(
        action_id=_action_id(kind, c.conversation_id, moment),
        type=ActionType.reply,
        conversation_id=c.conversation_id,
        actor=Actor(kind=ActorKind.system, id=actor),
        requested_at=now,
        text=text,
        reply_to=c.reply_to,
    )


def _action_id(kind: str, conversation_id: str, moment: datetime) -> str:
    """``<kind>:<conversation>:<moment>``; a long conversation id is hashed (ids are
    at most 256 characters)."""
    name = conversation_id
    if len(name) > 200:
        name = hashlib.sha256(name.encode()).hexdigest()
    return f"{kind}:{name}:{moment.isoformat()}"


def _public(c: Conversation) -> bool:
    return c.reply_to is not None and c.reply_to.kind != Kind.dm


def _queue_parts(c: Conversation) -> list[str]:
    """``[language, skill]`` of ``support.queue.<language>.<skill>``, or []."""
    queue = c.queue or ""
    prefix = f"{QUEUE_PREFIX}."
    return queue.removeprefix(prefix).split(".", 1) if queue.startswith(prefix) else []


def _language_queue(c: Conversation) -> str | None:
    parts = _queue_parts(c)
    return parts[0] if parts else c.language


def _skill(c: Conversation) -> str | None:
    parts = _queue_parts(c)
    return parts[1] if len(parts) == 2 else None
