"""How the router treats the pipeline's own automated replies (acknowledgements and
satisfaction surveys, which come back as outbound events with ``sent_by``) and a
customer's answer to a survey."""

from datetime import timedelta

from socialcare.care import ACK_ACTOR, SURVEY_ACTOR
from socialcare.route.config import DEFAULT_CONFIG, parse_config
from socialcare.route.rules import route
from socialcare.schema import Actor, ActorKind
from tests.support.routing_rules import CONFIG, NOW, classified

MINUTE = timedelta(minutes=1)


def outbound(n, at, actor_id=None, kind=ActorKind.system):
    event = classified(n, direction="outbound", created=at, text="Thanks for writing")
    sent_by = None if actor_id is None else Actor(kind=kind, id=actor_id)
    return event.model_copy(update={"sent_by": sent_by})


def resolved_with_survey(survey_at=NOW + 30 * MINUTE):
    """A conversation an agent answered, then resolved: the survey went out."""
    first = route(classified(1), CONFIG, None, NOW)
    reply_at = NOW + 10 * MINUTE
    answered = route(outbound(2, reply_at, "maria", ActorKind.agent), CONFIG, first.state, reply_at)
    return route(outbound(3, survey_at, SURVEY_ACTOR), CONFIG, answered.state, survey_at)


def test_an_acknowledgement_does_not_stop_the_first_response_clock():
    first = route(classified(1), CONFIG, None, NOW)
    ack = route(outbound(2, NOW + MINUTE, ACK_ACTOR), CONFIG, first.state, NOW + MINUTE)
    assert ack.routing.first_response_due_at is None  # the reply itself is due nothing
    assert ack.state.awaiting_since == NOW
    assert ack.state.first_response_due_at == first.routing.first_response_due_at
    assert ack.state.first_response_at is None
    # The customer writes again: a follow-up on the first message's clock, not a new one.
    later = NOW + 20 * MINUTE
    follow_up = route(classified(3, created=later), CONFIG, ack.state, later)
    assert follow_up.routing.rule.endswith("+follow-up")
    assert follow_up.routing.first_response_due_at <= first.routing.first_response_due_at


def test_an_acknowledgement_stops_the_clock_where_the_rules_count_it_as_an_answer():
    config = parse_config(
        DEFAULT_CONFIG.read_text().replace(
            "counts_as_first_response: false", "counts_as_first_response: true"
        )
    )
    assert config.acknowledgements.counts_as_first_response
    first = route(classified(1), config, None, NOW)
    ack = route(outbound(2, NOW + MINUTE, ACK_ACTOR), config, first.state, NOW + MINUTE)
    assert ack.state.awaiting_since is None
    assert ack.state.first_response_at == NOW + MINUTE


def test_a_reply_without_a_sender_is_a_persons_answer():
    first = route(classified(1), CONFIG, None, NOW)
    echo = route(outbound(2, NOW + 5 * MINUTE), CONFIG, first.state, NOW + 5 * MINUTE)
    assert echo.state.awaiting_since is None
    assert echo.state.first_response_at == NOW + 5 * MINUTE


def test_a_rating_after_the_survey_is_routed_with_nothing_due():
    survey = resolved_with_survey()
    assert survey.state.survey_sent_at == NOW + 30 * MINUTE
    assert survey.state.first_response_at == NOW + 10 * MINUTE  # the agent's, not the survey's
    at = NOW + 40 * MINUTE
    answer = route(classified(4, text="5", created=at, language="und"), CONFIG, survey.state, at)
    assert answer.routing.rule == "survey/answer"
    assert answer.routing.first_response_due_at is None
    assert answer.routing.queue == survey.routing.queue
    assert answer.state.survey_sent_at is None
    assert answer.state.awaiting_since is None
    # Delivered again, the same decision.
    again = route(classified(4, text="5", created=at, language="und"), CONFIG, answer.state, at)
    assert again.repeat and again.routing == answer.routing


def test_only_the_first_message_after_the_survey_can_answer_it():
    survey = resolved_with_survey()
    first_at, second_at = NOW + 40 * MINUTE, NOW + 50 * MINUTE
    answer = route(classified(4, text="⭐⭐⭐⭐", created=first_at), CONFIG, survey.state, first_at)
    assert answer.routing.rule == "survey/answer"
    second = route(classified(5, text="5", created=second_at), CONFIG, answer.state, second_at)
    assert second.routing.rule != "survey/answer"
    assert second.routing.first_response_due_at is not None


def test_a_new_question_after_the_survey_gets_a_deadline_of_its_own():
    survey = resolved_with_survey()
    at = NOW + 40 * MINUTE
    question = route(
        classified(4, text="My order 12345 is still not here", created=at), CONFIG, survey.state, at
    )
    assert question.routing.rule != "survey/answer"
    assert "+follow-up" not in question.routing.rule  # nothing was awaited: a new clock
    assert question.routing.first_response_due_at > at
    assert question.state.survey_sent_at is None  # a later "5" is a message again


def test_a_rating_outside_the_survey_window_is_a_message():
    survey = resolved_with_survey()
    late = NOW + 30 * MINUTE + timedelta(minutes=CONFIG.surveys.window_minutes) + MINUTE
    answer = route(classified(4, text="5", created=late), CONFIG, survey.state, late)
    assert answer.routing.rule != "survey/answer"
    assert answer.routing.first_response_due_at is not None


def test_a_rating_without_a_survey_is_a_message():
    first = route(classified(1), CONFIG, None, NOW)
    at = NOW + 5 * MINUTE
    thumbs = route(classified(2, text="👍", created=at), CONFIG, first.state, at)
    assert thumbs.routing.rule != "survey/answer"
    assert thumbs.routing.first_response_due_at is not None


def test_a_survey_answer_is_not_counted_as_a_repeated_contact():
    # The shipped rules raise a third contact within a day to P2 ("repeated-contact").
    survey = resolved_with_survey()
    rated_at, again_at = NOW + 40 * MINUTE, NOW + 45 * MINUTE
    rated = route(classified(4, text="5", created=rated_at), CONFIG, survey.state, rated_at)
    again = route(classified(5, created=again_at), CONFIG, rated.state, again_at)
    assert "repeated-contact" not in again.routing.rule  # two contacts: the first and this
    # The same three messages without the survey: the third is a repeated contact.
    first = route(classified(1), CONFIG, None, NOW)
    second = route(classified(4, text="5", created=rated_at), CONFIG, first.state, rated_at)
    third = route(classified(5, created=again_at), CONFIG, second.state, again_at)
    assert "repeated-contact" in third.routing.rule
