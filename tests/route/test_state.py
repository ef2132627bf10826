"""The conversation state of the pure rules: idempotent by event_id, bounded, expiring;
and the keyword regex on customer text stays linear on hostile input."""

import time
from datetime import timedelta

import pytest

from socialcare.route.config import DEFAULT_CONFIG, parse_config
from socialcare.route.rules import (
    REMEMBERED_EVENTS,
    ConversationState,
    conversation_lifetime,
    route,
)
from socialcare.schema import Priority
from tests.support.linear_time import LINEAR_BOUND_SECONDS
from tests.support.routing_rules import CONFIG, NOW, classified

# Without the follow-up bump a repeat counted as a contact shows in the priority only
# through the repeated-contact rule (3 contacts within 24 h -> P2).
NO_BUMP_TEXT = DEFAULT_CONFIG.read_text().replace("follow_up_bump: true", "follow_up_bump: false")
NO_BUMP = parse_config(NO_BUMP_TEXT)


def at(minutes):
    return NOW + timedelta(minutes=minutes)


def test_the_same_event_routed_twice_gets_the_same_decision_and_state():
    first = route(classified(1), NO_BUMP, None, NOW)
    # Redelivered a minute later (a rebalance): the router's clock moved on.
    again = route(classified(1), NO_BUMP, first.state, at(1))
    assert again.routing == first.routing  # routed_at included: the very same decision
    assert again.state == first.state
    assert again.repeat and not first.repeat
    assert any("already routed" in line for line in again.trace)


def test_a_repeat_is_not_counted_as_a_contact():
    state = None
    for n, minutes in [(1, 0), (1, 5), (1, 6), (2, 60)]:
        state = route(classified(n, created=at(minutes)), NO_BUMP, state, at(minutes)).state
    assert [c for c in state.contacts] == [classified(1).event_id, classified(2).event_id]
    # Two distinct contacts: the repeated-contact rule (3 within 24 h) does not fire.
    second = route(classified(2, created=at(60)), NO_BUMP, state, at(61)).routing
    assert second.rule == "sticky/default"
    third = route(classified(3, created=at(120)), NO_BUMP, state, at(120)).routing
    assert (third.rule, third.priority) == ("sticky/repeated-contact", Priority.P2)


def test_a_late_replay_gets_its_first_decision_not_one_from_the_later_state():
    first = route(classified(1), CONFIG, None, NOW)
    follow_up = route(classified(2, created=at(30)), CONFIG, first.state, at(30))
    assert follow_up.routing.priority == Priority.P2  # bumped while waiting
    replay = route(classified(1), CONFIG, follow_up.state, at(90))
    assert replay.routing == first.routing
    assert replay.state == follow_up.state
    # The deadline was not shortened by the replay.
    assert replay.state.first_response_due_at == follow_up.state.first_response_due_at


def test_a_replayed_reply_does_not_stop_a_later_clock():
    first = route(classified(1, sentiment="negative"), CONFIG, None, NOW)
    reply = route(classified(2, direction="outbound", created=at(10)), CONFIG, first.state, at(10))
    again = route(classified(3, created=at(20)), CONFIG, reply.state, at(20))
    assert again.state.awaiting_since == at(20)
    replayed_reply = route(
        classified(2, direction="outbound", created=at(10)), CONFIG, again.state, at(25)
    )
    assert replayed_reply.routing == reply.routing
    assert replayed_reply.state == again.state  # the customer still waits since 20 min
    assert replayed_reply.state.awaiting_since == at(20)


def test_remembered_events_are_bounded_and_the_newest_kept():
    state = None
    for n in range(REMEMBERED_EVENTS + 40):
        decision = route(classified(n, created=at(n)), NO_BUMP, state, at(n))
        state = decision.state
    assert len(state.contacts) == REMEMBERED_EVENTS
    newest = classified(REMEMBERED_EVENTS + 39).event_id
    assert newest in state.contacts and classified(0).event_id not in state.contacts
    assert decision.routing.rule == "sticky/repeated-contact"
    # The state a faust table stores stays small: a few hundred bytes per event.
    assert len(state.model_dump_json()) < REMEMBERED_EVENTS * 600


def test_a_rule_counting_more_contacts_than_remembered_keeps_enough():
    many = REMEMBERED_EVENTS + 10
    config = parse_config(NO_BUMP_TEXT.replace("min_contacts: 3,", f"min_contacts: {many},"))
    state = None
    for n in range(many):
        decision = route(classified(n, created=at(n)), config, state, at(n))
        state = decision.state
    assert len(state.contacts) == many
    assert decision.routing.rule == "sticky/repeated-contact"


def test_state_stored_before_event_ids_were_kept_still_counts_its_contacts():
    legacy = {
        "queue": "support.queue.en.logistics",
        "language_queue": "en",
        "skill": "logistics",
        "priority": "P3",
        "first_routed_at": NOW.isoformat(),
        "inbound_at": [NOW.isoformat(), at(10).isoformat()],
        "awaiting_since": NOW.isoformat(),
    }
    state = ConversationState.model_validate(legacy)
    decision = route(classified(7, created=at(20)), NO_BUMP, state, at(20))
    assert decision.routing.rule == "sticky/repeated-contact"


def test_lifetime_is_the_longest_rule_window_or_first_response_clock():
    # Shipped rules: P4 has 1440 staffed minutes; fa is staffed 09-18 Saturday to
    # Wednesday, so a P4 message on Wednesday 18:00 is due Monday 15:00: 4 d 21 h,
    # longer than the 24 h repeated-contact window and the other queues' clocks.
    assert conversation_lifetime(CONFIG) == timedelta(days=4, hours=21)
    around_the_clock = parse_config(
        "version: 1\nlanguages: {staffed: [en], fallback: en}\n"
        "skills: {defect: a, order_issue: a, shipping: a, praise: a, other: a}\n"
        "priority: {rules: [{name: r, when: {min_contacts: 2, within_minutes: 4320}, "
        "priority: P1}]}\n"
        "first_response: {minutes: {P1: 15, P2: 60, P3: 240, P4: 600}, "
        "platforms: {x: {P4: 2000}}}\n"
    )
    assert conversation_lifetime(around_the_clock) == timedelta(minutes=4320)
    no_rules = parse_config(
        "version: 1\nlanguages: {staffed: [en], fallback: en}\n"
        "skills: {defect: a, order_issue: a, shipping: a, praise: a, other: a}\n"
        "first_response: {minutes: {P1: 15, P2: 60, P3: 240, P4: 600}, "
        "platforms: {x: {P4: 2000}}}\n"
    )
    assert conversation_lifetime(no_rules) == timedelta(minutes=2000)


def test_a_conversation_is_idle_from_its_last_change():
    first = route(classified(1), CONFIG, None, NOW)
    assert first.state.idle_since() == NOW
    later = route(classified(2, created=at(30)), CONFIG, first.state, at(31))
    assert later.state.idle_since() == at(31)
    assert later.state.expired(at(31) + timedelta(hours=2), timedelta(hours=1))
    assert not later.state.expired(at(31) + timedelta(minutes=59), timedelta(hours=1))


@pytest.mark.parametrize(
    "text",
    [
        "@" * 10_000,
        "a@" * 5_000,
        "." * 65_536,
        "#" * 65_536,
        "lawye" * 13_000,
        ("x" * 50 + " ") * 1_200,
    ],
    ids=["at", "a-at", "dots", "hashes", "near-keyword", "words"],
)
def test_keyword_rules_stay_linear_on_hostile_text(text):
    event = classified(1, text=text[:65_536], sentiment="negative")
    started = time.perf_counter()
    routing = route(event, CONFIG, None, NOW).routing
    took = time.perf_counter() - started
    assert routing.rule == "skill-map/private-complaint"  # no keyword in there
    # Linear: tens of milliseconds for 64 KiB on a loaded machine.
    assert took < LINEAR_BOUND_SECONDS, f"{took:.2f} s"
