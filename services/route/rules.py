"""The routing decision: a pure function of the event, the rules, the conversation's
state and the clock. The worker, `route explain` and the tests all call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, model_validator

from socialcare.care import answers, customer_language, is_survey
from socialcare.ratings import rating
from socialcare.route.calendar import due_at
from socialcare.route.config import BusinessHours, Condition, PriorityRule, RoutingConfig
from socialcare.schema import UNDETERMINED, ClassifiedEvent, Direction, Kind, Priority, Routing
from socialcare.topics import queue_topic

_URGENCY = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]


# Events remembered per conversation by event_id, so a redelivered one is recognized
# (more when a rule counts more contacts). Each costs a few hundred bytes of state.
REMEMBERED_EVENTS = 64


class Contact(BaseModel):
    """One event of the conversation, as the router saw it."""

    model_config = ConfigDict(extra="ignore")

    created_at: datetime
    # A customer's message the repeated-contact rules count: not the brand's replies,
    # nor a customer's answer to a satisfaction survey.
    inbound: bool = True
    # The decision it got, given again when it is redelivered. None only for contacts
    # carried over from state written before event ids were kept.
    routing: Routing | None = None


class ConversationState(BaseModel):
    """What the router remembers per conversation (a faust table, changelog-backed)."""

    model_config = ConfigDict(extra="ignore")

    queue: str
    language_queue: str
    skill: str
    priority: Priority
    needs_translation: bool = False
    first_routed_at: datetime
    # The newest events by event_id (bounded, oldest first by created_at): repeats are
    # recognized and the repeated-contact rules count each event once.
    contacts: dict[str, Contact] = {}
    awaiting_since: datetime | None = None
    first_response_due_at: datetime | None = None
    first_response_at: datetime | None = None
    last_outbound_at: datetime | None = None
    # When a satisfaction survey went out, until the customer's next message: a rating
    # then answers the survey, and needs no answer itself.
    survey_sent_at: datetime | None = None
    # The customer's language (their latest message's; the queue's when undetermined),
    # in which a survey answer's number words are read, as the conversations worker does.
    customer_language: str | None = None
    # The router's clock when this state last changed: idle expiry runs from it.
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _contacts_from_inbound_at(cls, data: Any) -> Any:
        """State written before event ids were kept had only ``inbound_at`` times:
        keep counting them (a repeat of one of those events cannot be recognized)."""
        if isinstance(data, dict) and "inbound_at" in data and "contacts" not in data:
            times = data["inbound_at"] or []
            data = {k: v for k, v in data.items() if k != "inbound_at"}
            data["contacts"] = {
                f"before-event-ids-{n}": {"created_at": t} for n, t in enumerate(times)
            }
        return data

    def idle_since(self) -> datetime:
        """When the router last changed the conversation (by its own clock: event
        times may be skewed or replayed); for older state, its latest known time."""
        if self.updated_at is not None:
            return self.updated_at
        times = [self.first_routed_at, self.last_outbound_at]
        times += [c.created_at for c in self.contacts.values()]
        return max(t for t in times if t is not None)

    def expired(self, now: datetime, lifetime: timedelta) -> bool:
        return now - self.idle_since() > lifetime


@dataclass
class Decision:
    routing: Routing
    state: ConversationState
    trace: list[str] = field(default_factory=list)
    # A redelivered event: its first decision again, the state untouched.
    repeat: bool = False


def route(
    event: ClassifiedEvent,
    config: RoutingConfig,
    state: ConversationState | None,
    now: datetime,
) -> Decision:
    trace: list[str] = []
    seen = state.contacts.get(event.event_id) if state else None
    if state is not None and seen is not None and seen.routing is not None:
        # A redelivery (rebalance, restart, replay, an ingest dedup miss): the same
        # decision as the first time, and the state as it is, so nothing counts twice.
        trace.append(
            f"repeat: event {event.event_id} was already routed at "
            f"{seen.routing.routed_at.isoformat()}; same decision, state unchanged"
        )
        return Decision(seen.routing, state, trace, repeat=True)
    if event.direction == Direction.outbound:
        return _outbound(event, config, state, now, trace)
    if state is not None and (score := _survey_answer(event, config, state)) is not None:
        return _survey_answered(event, config, state, score, now, trace)

    rule, priority = _priority(event, config, _recent_contacts(event, config, state), trace)
    waiting = state is not None and state.awaiting_since is not None

    language_queue, skill, needs_translation, queue_reason = _queue_of(
        event, config, state, rule, trace
    )
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
        contacts=_remember(event, routing, state, config),
        awaiting_since=state.awaiting_since if waiting else event.created_at,
        first_response_due_at=due,
        survey_sent_at=None,
        customer_language=customer_language(event.classification.language, language_queue),
    )


def _survey_answer(
    event: ClassifiedEvent, config: RoutingConfig, state: ConversationState
) -> int | None:
    """The rating a customer message gives, if it is the first message after a survey,
    within the survey's window (the conversations worker records it as the CSAT)."""
    sent = state.survey_sent_at
    if sent is None or not sent <= event.created_at <= sent + config.surveys.window:
        return None
    return rating(event.text, state.customer_language or state.language_queue)


def _survey_answered(
    event: ClassifiedEvent,
    config: RoutingConfig,
    state: ConversationState,
    score: int,
    now: datetime,
    trace: list[str],
) -> Decision:
    """A survey's answer: in the conversation's queue with nothing due, so it neither
    asks an agent for a reply nor shows as a breached deadline."""
    trace.append(
        f"survey: the first message since the survey is a rating ({score}); nothing is due"
    )
    routing = _routing(
        state.language_queue,
        state.skill,
        state.priority,
        None,
        state.needs_translation,
        "survey/answer",
        now,
    )
    return _decision(
        routing,
        state,
        trace,
        survey_sent_at=None,
        contacts=_remember(event, routing, state, config, contact=False),
    )


def _recent_contacts(
    event: ClassifiedEvent, config: RoutingConfig, state: ConversationState | None
) -> list[datetime]:
    """When the customer wrote inside the longest window any rule looks at, this
    event included."""
    window = _longest_rule_window(config)
    recent = [
        c.created_at
        for c in (state.contacts.values() if state else [])
        if c.inbound and c.created_at > event.created_at - window
    ]
    recent.append(event.created_at)
    return recent


def _queue_of(
    event: ClassifiedEvent,
    config: RoutingConfig,
    state: ConversationState | None,
    rule: PriorityRule | None,
    trace: list[str],
) -> tuple[str, str, bool, str]:
    """(language queue, skill, needs translation, why) of an inbound event: a rule's
    escalation, else the conversation's queue (sticky), else by language and intent."""
    language_queue, needs_translation = _language_queue(event, config, trace)
    if rule is not None and rule.escalate_to_skill:
        skill = rule.escalate_to_skill
        trace.append(f"queue: rule {rule.name} escalates to skill {skill}")
        return language_queue, skill, needs_translation, "escalation"
    if state is not None:
        trace.append(f"queue: conversation already routed to {state.queue}; it stays there")
        return state.language_queue, state.skill, state.needs_translation, "sticky"
    skill, queue_reason = _skill(event, config, trace)
    return language_queue, skill, needs_translation, queue_reason


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
    routing = _routing(
        language_queue, skill, priority, None, needs_translation, "outbound/reply", now
    )
    sender = event.sent_by
    clock: dict[str, object]
    if sender is None or answers(sender, config.acknowledgements.counts_as_first_response):
        # A person's reply, or one written in the platform's own tools (its echo).
        trace.append("outbound: the brand answered; the first-response clock stops")
        clock = {
            "awaiting_since": None,
            "first_response_due_at": None,
            "first_response_at": (state.first_response_at if state else None) or event.created_at,
        }
    elif is_survey(sender):
        # Surveys go out when a conversation is resolved: nothing is awaited any more,
        # and the customer's next message may be its answer.
        trace.append("outbound: a satisfaction survey; the conversation was resolved")
        clock = {
            "awaiting_since": None,
            "first_response_due_at": None,
            "survey_sent_at": event.created_at,
        }
    else:
        trace.append(f"outbound: automated ({sender.id}), not an answer; the clock runs on")
        clock = {}
    return _decision(
        routing,
        state,
        trace,
        **clock,
        last_outbound_at=event.created_at,
        contacts=_remember(event, routing, state, config),
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
    changed = {**before, **queue, **clock, "updated_at": routing.routed_at}
    return Decision(routing, ConversationState.model_validate(changed), trace)


def _remember(
    event: ClassifiedEvent,
    routing: Routing,
    state: ConversationState | None,
    config: RoutingConfig,
    *,
    contact: bool = True,
) -> dict[str, Contact]:
    """The contacts with this event added (counted by the repeated-contact rules if it
    is the customer's and ``contact``): the newest by created_at, bounded, but never
    fewer than the largest number of contacts a rule counts."""
    contacts = dict(state.contacts) if state else {}
    contacts[event.event_id] = Contact(
        created_at=event.created_at,
        inbound=contact and event.direction == Direction.inbound,
        routing=routing,
    )
    keep = max([REMEMBERED_EVENTS, *(r.when.min_contacts or 0 for r in config.priority.rules)])
    newest = sorted(contacts.items(), key=lambda item: item[1].created_at)[-keep:]
    return dict(newest)


def _longest_rule_window(config: RoutingConfig) -> timedelta:
    minutes = max((r.when.within_minutes or 0 for r in config.priority.rules), default=0)
    return timedelta(minutes=minutes)


def conversation_lifetime(config: RoutingConfig) -> timedelta:
    """How long a conversation must be remembered after its last event: the longest
    window a rule counts contacts in, or the longest a first-response clock can run
    on the wall clock (staffed minutes stretch over closed nights and weekends).
    After that, forgetting it changes no decision a rule or deadline could make."""
    targets = [*config.first_response.minutes.values()]
    for overrides in config.first_response.platforms.values():
        targets += overrides.values()
    longest = timedelta(minutes=max(targets))
    clocks = [longest] + [
        _longest_clock(max(targets), hours) for hours in config.business_hours.values()
    ]
    return max(_longest_rule_window(config), *clocks)


# A week without daylight-saving changes in either hemisphere's usual zones; starts
# every 15 minutes of it cover every opening and closing time on a quarter hour.
_REFERENCE_WEEK = datetime(2026, 1, 12)
_STEP = timedelta(minutes=15)


def _longest_clock(minutes: float, hours: BusinessHours) -> timedelta:
    """The longest wall-clock time ``minutes`` of staffed time can take."""
    zone = ZoneInfo(hours.timezone)
    monday = _REFERENCE_WEEK.replace(tzinfo=zone)
    starts = (monday + n * _STEP for n in range(int(timedelta(days=7) / _STEP)))
    return max(due_at(start, minutes, hours) - start for start in starts)


def _language_queue(
    event: ClassifiedEvent, config: RoutingConfig, trace: list[str]
) -> tuple[str, bool]:
    """(language queue, needs translation): the detected language if staffed, else
    its staffed neighbour, else the fallback; the account's market language when the
    detector could not tell."""
    languages = config.languages
    c = event.classification
    language = c.language
    market = languages.accounts.get(event.brand_account_id)
    if market and (language == UNDETERMINED or c.language_confidence < languages.min_confidence):
        trace.append(
            f"language: {language} ({c.language_confidence:.2f}) is no answer; account "
            f"{event.brand_account_id} writes {market}"
        )
        language = market
    if language in languages.staffed:
        trace.append(f"language: {language} is staffed")
        return language, False
    if neighbour := languages.neighbours.get(language):
        trace.append(f"language: {language} is not staffed; its neighbour {neighbour} serves it")
        return neighbour, False
    fallback = languages.fallback
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
            lambda: when.keyword_matcher.search(event.text),
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
