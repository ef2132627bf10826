"""Routing decisions, rule by rule, with the shipped default rules."""

from datetime import UTC, datetime, timedelta

import pytest

from socialcare.route.config import DEFAULT_CONFIG, parse_config
from socialcare.route.rules import route
from socialcare.schema import Priority
from tests.support.routing_rules import CONFIG, NOW, classified


def test_intent_maps_to_the_skill_queue_of_the_design():
    for intent, skill in [
        ("defect", "tech_support"),
        ("order_issue", "orders"),
        ("shipping", "logistics"),
        ("praise", "engagement"),
        ("other", "general"),
    ]:
        routing = route(classified(intent=intent), CONFIG, None, NOW).routing
        assert routing.skill == skill
        assert routing.queue == f"support.queue.en.{skill}"
        assert routing.rule.startswith("skill-map/")


def test_unstaffed_language_goes_to_the_fallback_needing_translation():
    routing = route(classified(language="it"), CONFIG, None, NOW).routing
    assert (routing.language_queue, routing.needs_translation) == ("en", True)
    assert routing.queue == "support.queue.en.logistics"
    und = route(classified(language="und"), CONFIG, None, NOW).routing
    assert (und.language_queue, und.needs_translation) == ("en", False)


def test_a_neighbour_language_is_served_by_its_staffed_neighbour_without_translation():
    # Croatian detected as Bosnian (issue 17: it went to the English team)
    for language in ("bs", "sr"):
        decision = route(classified(language=language), CONFIG, None, NOW)
        assert decision.routing.queue == "support.queue.hr.logistics"
        assert decision.routing.needs_translation is False
        assert f"language: {language} is not staffed; its neighbour hr serves it" in decision.trace


def test_an_accounts_market_language_decides_when_the_detector_cannot():
    config = CONFIG.model_copy(
        update={
            "languages": CONFIG.languages.model_copy(
                update={"accounts": {"brand-1": "hr"}, "min_confidence": 0.35}
            )
        }
    )
    sure = classified(language="sl")
    doubt = sure.classification.model_copy(update={"language_confidence": 0.2})
    unsure = sure.model_copy(update={"classification": doubt})
    assert route(unsure, config, None, NOW).routing.language_queue == "hr"
    assert route(classified(language="und"), config, None, NOW).routing.language_queue == "hr"
    # a confident detection is believed, and an account without a market changes nothing
    assert route(classified(language="sl"), config, None, NOW).routing.language_queue == "sl"
    assert route(unsure, CONFIG, None, NOW).routing.language_queue == "sl"


@pytest.mark.parametrize(
    "languages,error",
    [
        ("{staffed: [en], fallback: en, neighbours: {bs: hr}}", "neighbour of 'bs': 'hr'"),
        ("{staffed: [en], fallback: en, accounts: {'1': de}}", "account language of '1'"),
    ],
)
def test_a_mapping_to_a_language_nobody_staffs_is_refused(languages, error):
    text = DEFAULT_CONFIG.read_text().replace(
        DEFAULT_CONFIG.read_text().split("languages:")[1].split("\n\n")[0], ""
    )
    with pytest.raises(ValueError, match=error):
        parse_config(text.replace("languages:", f"languages: {languages}", 1))


def test_staffed_language_gets_its_own_queue():
    routing = route(classified(language="kk"), CONFIG, None, NOW).routing
    assert (routing.queue, routing.needs_translation) == ("support.queue.kk.logistics", False)


def test_low_confidence_goes_to_triage_for_a_person():
    decision = route(classified(score=0.31), CONFIG, None, NOW)
    assert decision.routing.skill == "triage"
    assert decision.routing.rule.startswith("triage/")
    assert any("below 0.50" in line for line in decision.trace)


@pytest.mark.parametrize(
    "kwargs,priority,rule",
    [
        (
            {"text": "I will call my LAWYER about this", "sentiment": "negative"},
            "P1",
            "legal-or-churn-threat",
        ),
        (
            {"text": "Quiero hablar con un abogado", "sentiment": "neutral"},
            "P1",
            "legal-or-churn-threat",
        ),
        (
            {"sentiment": "negative", "kind": "mention", "followers": 50_000},
            "P1",
            "public-complaint-wide-reach",
        ),
        ({"sentiment": "negative", "kind": "mention", "followers": 120}, "P2", "public-complaint"),
        ({"sentiment": "negative", "kind": "dm"}, "P3", "private-complaint"),
        ({"intent": "praise", "sentiment": "positive"}, "P4", "praise"),
        ({"sentiment": "neutral"}, "P3", "default"),
    ],
)
def test_priority_rules_first_match_wins(kwargs, priority, rule):
    routing = route(classified(**kwargs), CONFIG, None, NOW).routing
    assert routing.priority == priority
    assert routing.rule.endswith(f"/{rule}")


def test_keywords_match_whole_words_only():
    # "sued" is not "sue", "refunding" is not "refund": no accidental P1.
    routing = route(classified(text="the suede is refunding nothing"), CONFIG, None, NOW).routing
    assert routing.priority == Priority.P3


def test_first_response_targets_by_priority_and_platform():
    public = route(classified(sentiment="negative", kind="mention"), CONFIG, None, NOW).routing
    assert public.first_response_due_at == NOW + timedelta(minutes=60)  # within the hour
    whatsapp = route(classified(platform="whatsapp"), CONFIG, None, NOW).routing
    assert whatsapp.first_response_due_at == NOW + timedelta(minutes=120)  # P3 override
    twitter = route(classified(), CONFIG, None, NOW).routing
    assert twitter.first_response_due_at == NOW + timedelta(minutes=240)


def test_a_deadline_outside_staffed_hours_moves_to_the_next_staffed_hours():
    # hr is staffed 08:00-20:00 Europe/Zagreb (UTC+1 in November), Monday to Friday.
    late = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Monday 23:00 in Zagreb
    routing = route(
        classified(language="hr", sentiment="negative", kind="mention", created=late),
        CONFIG,
        None,
        late,
    ).routing
    # P2: 60 staffed minutes from Tuesday 08:00 Zagreb = 07:00 UTC.
    assert routing.first_response_due_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)  # Friday 19:30 in Zagreb
    routing = route(
        classified(language="hr", sentiment="negative", kind="mention", created=friday),
        CONFIG,
        None,
        friday,
    ).routing
    # 30 minutes on Friday, the other 30 on Monday from 08:00.
    assert routing.first_response_due_at == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)


def test_conversation_stays_in_its_first_queue_and_a_waiting_follow_up_is_bumped():
    first = route(classified(1, intent="shipping"), CONFIG, None, NOW)
    later = NOW + timedelta(minutes=30)
    follow_up = route(classified(2, intent="defect", created=later), CONFIG, first.state, later)
    assert follow_up.routing.queue == first.routing.queue == "support.queue.en.logistics"
    assert follow_up.routing.rule == "sticky/default+follow-up"
    assert follow_up.routing.priority == Priority.P2  # P3 bumped one level
    # The clock runs from the first unanswered message; the bump shortens it to P2's hour.
    assert follow_up.routing.first_response_due_at == NOW + timedelta(minutes=60)
    assert follow_up.routing.first_response_due_at < first.routing.first_response_due_at


def test_repeated_contact_within_the_window_raises_priority():
    config = parse_config(
        DEFAULT_CONFIG.read_text().replace("follow_up_bump: true", "follow_up_bump: false")
    )
    state = None
    for n, minutes in enumerate([0, 60, 120]):
        at = NOW + timedelta(minutes=minutes)
        decision = route(classified(n, created=at), config, state, at)
        state = decision.state
    assert decision.routing.rule == "sticky/repeated-contact"
    assert decision.routing.priority == Priority.P2


def test_outbound_reply_stops_the_clock_and_is_recorded():
    first = route(classified(1, sentiment="negative"), CONFIG, None, NOW)
    reply_at = NOW + timedelta(minutes=12)
    reply = route(
        classified(2, direction="outbound", created=reply_at), CONFIG, first.state, reply_at
    )
    assert reply.routing.first_response_due_at is None
    assert reply.routing.queue == first.routing.queue
    assert reply.routing.rule == "outbound/reply"
    assert reply.state.awaiting_since is None
    assert reply.state.first_response_at == reply_at
    # The customer writes again after the answer: a new clock, no follow-up bump.
    again_at = NOW + timedelta(minutes=40)
    again = route(classified(3, created=again_at), CONFIG, reply.state, again_at)
    assert "+follow-up" not in again.routing.rule
    assert again.routing.first_response_due_at == again_at + timedelta(minutes=240)


def test_escalation_rule_moves_a_sticky_conversation():
    text = DEFAULT_CONFIG.read_text().replace(
        "      priority: P1\n    - name: public-complaint-wide-reach",
        "      priority: P1\n      escalate_to_skill: escalations\n"
        "    - name: public-complaint-wide-reach",
    )
    config = parse_config(text)
    assert "escalations" in config.all_skills()
    first = route(classified(1), config, None, NOW)
    threat = route(
        classified(2, text="my attorney will hear about this"),
        config,
        first.state,
        NOW + timedelta(minutes=5),
    )
    assert threat.routing.queue == "support.queue.en.escalations"
    assert threat.routing.rule.startswith("escalation/legal-or-churn-threat")
