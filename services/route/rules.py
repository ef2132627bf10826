"""The routing decision: a pure function of the event, the rules, the conversation's
state and the clock. The worker, `route explain` and the tests all call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from services.route.calendar import due_at
from services.route.config import Condition, PriorityRule, RoutingConfig
from socialcare.schema import UNDETERMINED, ClassifiedEvent, Direction, Kind, Priority, Routing
from socialcare.topics import queue_topic

_URGENCY = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]


class ConversationState(BaseModel):
    """What the router remembers per conversation (a faust table, changelog-backed)."""

    model_config = ConfigDict(extra="ignore")

    queue: str
    language_queue: str
    skill: str
    priority: Priority
    needs_translation: bool = False
    first_routed_at: datetime
    inbound_at: list[datetime] = []
    awaiting_since: datetime | None = None
    first_response_due_at: datetime | None = None
    first_response_at: datetime | None = None
    last_outbound_at: datetime | None = None


@dataclass
class Decision:
    routing: Routing
    state: ConversationState
    trace: list[str] = field(default_factory=list)


def route(
    event: ClassifiedEvent,
    config: RoutingConfig,
    state: ConversationState | None,
    now: datetime,
) -> Decision:
    trace: list[str] = []
    if event.direction == Direction.outbound:
        return _outbound(event, config, state, now, trace)

    # Contacts inside the longest window any rule looks at; older ones are dropped.
    window = max((r.when.within_minutes or 0 for r in config.priority.rules), default=0)
    recent = [
        t
        for t in (state.inbound_at if state else [])
        if t > event.created_at - timedelta(minutes=window)
    ]
    recent.append(event.created_at)

    rule, priority = _priority(event, config, recent, trace)
    waiting = state is not None and state.awaiting_since is not None

    language_queue, needs_translation = _language_queue(event, config, trace)
    if rule is not None and rule.escalate_to_skill:
        skill, queue_reason = rule.escalate_to_skill, "escalation"
        trace.append(f"queue: rule {rule.name} escalates to skill {skill}")
    elif state is not None:
        skill, language_queue = state.skill, state.language_queue
        needs_translation = state.needs_translation
        queue_reason = "sticky"
        trace.append(f"queue: conversation already routed to {state.queue}; it stays there")
    else:
        skill, queue_reason = _skill(event, config, trace)

    priority_reason = rule.name if rule else "default"
    if waiting and config.conversations.follow_up_bump:
        before = _more_urgent(priority, state.priority)
        priority = _URGENCY[max(0, _URGENCY.index(before) - 1)]
        priority_reason += "+follow-up"
        trace.append(f"priority: follow-up while the customer waits: {before} -> {priority}")

    target = config.first_response.target(priority, event.platform)
    # The clock runs from the first unanswered message: a follow-up never restarts
    # it, and a bumped priority shortens it.
    clock_start = state.awaiting_since if waiting else event.created_at
    due = due_at(clock_start, target, config.business_hours.get(language_queue))
    trace.append(f"due: {target:g} min for {priority} on {event.platform} -> {due.isoformat()}")

    routing = _routing(
        language_queue,
        skill,
        priority,
        due,
        needs_translation,
        f"{queue_reason}/{priority_reason}",
        now,
    )
    return _decision(
        routing,
        state,
        trace,
        inbound_at=recent,
        awaiting_since=state.awaiting_since if waiting else event.created_at,
        first_response_due_at=due,
    )


def _outbound(
    event: ClassifiedEvent,
    config: RoutingConfig,
    state: ConversationState | None,
    now: datetime,
    trace: list[str],
) -> Decision:
    if state is None:
        language_queue, needs_translation = _language_queue(event, config, trace)
        skill, _ = _skill(event, config, trace)
        priority = config.priority.default
    else:
        language_queue, skill = state.language_queue, state.skill
        needs_translation, priority = state.needs_translation, state.priority
    trace.append("outbound: the brand answered; the first-response clock stops")
    routing = _routing(
        language_queue, skill, priority, None, needs_translation, "outbound/reply", now
    )
    return _decision(
        routing,
        state,
        trace,
        awaiting_since=None,
        first_response_due_at=None,
        first_response_at=(state.first_response_at if state else None) or event.created_at,
        last_outbound_at=event.created_at,
    )


def _routing(
    language_queue: str,
    skill: str,
    priority: Priority,
    due: datetime | None,
    needs_translation: bool,
    rule: str,
    now: datetime,
) -> Routing:
    return Routing(
        queue=queue_topic(language_queue, skill).name,
        language_queue=language_queue,
        skill=skill,
        priority=priority,
        first_response_due_at=due,
        needs_translation=needs_translation,
        rule=rule,
        routed_at=now,
    )


def _decision(
    routing: Routing, state: ConversationState | None, trace: list[str], **clock: object
) -> Decision:
    """The decision, and the conversation state it leaves: the queue as routed now,
    the clock fields as given, everything else as it was."""
    before = state.model_dump() if state else {"first_routed_at": routing.routed_at}
    queue = routing.model_dump(
        include={"queue", "language_queue", "skill", "priority", "needs_translation"}
    )
    return Decision(routing, ConversationState.model_validate({**before, **queue, **clock}), trace)


def _language_queue(
    event: ClassifiedEvent, config: RoutingConfig, trace: list[str]
) -> tuple[str, bool]:
    language = event.classification.language
    if language in config.languages.staffed:
        trace.append(f"language: {language} is staffed")
        return language, False
    fallback = config.languages.fallback
    if language == UNDETERMINED:
        trace.append(f"language: undetermined; fallback {fallback}, nothing to translate")
        return fallback, False
    trace.append(f"language: {language} is not staffed; fallback {fallback}, needs translation")
    return fallback, True


def _skill(event: ClassifiedEvent, config: RoutingConfig, trace: list[str]) -> tuple[str, str]:
    c = event.classification
    confidence = c.intent_scores.get(c.intent, 0.0)
    if confidence < config.triage.min_intent_confidence:
        trace.append(
            f"skill: intent {c.intent} at {confidence:.2f} is below "
            f"{config.triage.min_intent_confidence:.2f}; a person triages it"
        )
        return config.triage.skill, "triage"
    skill = config.skills[c.intent]
    trace.append(f"skill: intent {c.intent} ({confidence:.2f}) -> {skill}")
    return skill, "skill-map"


def _priority(
    event: ClassifiedEvent, config: RoutingConfig, recent: list[datetime], trace: list[str]
) -> tuple[PriorityRule | None, Priority]:
    for rule in config.priority.rules:
        failed = _first_unmet(rule.when, event, recent)
        if failed is None:
            trace.append(f"priority: rule {rule.name} fires -> {rule.priority}")
            return rule, rule.priority
        trace.append(f"priority: rule {rule.name} does not fire ({failed})")
    trace.append(f"priority: no rule fires -> default {config.priority.default}")
    return None, config.priority.default


def _first_unmet(when: Condition, event: ClassifiedEvent, recent: list[datetime]) -> str | None:
    """Why the condition does not hold, or None when it holds."""
    c = event.classification
    checks = [
        (when.intent, lambda: c.intent in when.intent, f"intent is {c.intent}"),
        (when.sentiment, lambda: c.sentiment in when.sentiment, f"sentiment is {c.sentiment}"),
        (when.kind, lambda: event.kind in when.kind, f"kind is {event.kind}"),
        (when.platform, lambda: event.platform in when.platform, f"platform is {event.platform}"),
        (when.language, lambda: c.language in when.language, f"language is {c.language}"),
        (
            when.public,
            lambda: (event.kind != Kind.dm) == when.public,
            f"{'a DM' if event.kind == Kind.dm else 'public'}",
        ),
        (
            when.min_followers,
            lambda: (event.author.follower_count or 0) >= when.min_followers,
            f"author has {event.author.follower_count or 0} followers",
        ),
        (
            when.keywords,
            lambda: bool(when.keyword_pattern.search(event.text)),
            "no keyword in the text",
        ),
        (
            when.min_contacts,
            lambda: _contacts(recent, event, when) >= when.min_contacts,
            f"{_contacts(recent, event, when)} contact(s) within {when.within_minutes or 0:g} min",
        ),
    ]
    for configured, holds, why in checks:
        if configured is not None and not holds():
            return why
    return None


def _contacts(recent: list[datetime], event: ClassifiedEvent, when: Condition) -> int:
    since = event.created_at - timedelta(minutes=when.within_minutes or 0)
    return sum(1 for t in recent if t > since)


def _more_urgent(a: Priority, b: Priority) -> Priority:
    return a if _URGENCY.index(a) <= _URGENCY.index(b) else b
