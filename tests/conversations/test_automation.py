"""Acknowledgements and surveys decided from a conversation's state before and after
each input, and the survey's answer folded into the state (CSAT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from socialcare.care import ACK_ACTOR, SURVEY_ACTOR
from socialcare.conversations.automation import automate, fold_options
from socialcare.conversations.state import Input, Tracked, apply
from socialcare.route.config import load_config
from socialcare.schema import Action, ActorKind, ConversationStatus
from tests.conversations.care_inputs import customer_dm, sent
from tests.conversations.inputs import action

CONFIG = load_config()
OPEN, WAITING, RESOLVED = (
    ConversationStatus.open,
    ConversationStatus.waiting_customer,
    ConversationStatus.resolved,
)
# Saturday 23:00 in Zagreb: the Croatian queue (Mon-Fri 08-20) is closed.
NIGHT = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
# Monday 10:00 in Zagreb: open; the deadline of a Saturday-night message.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CONVERSATION = "telegram:777"


class Loop:
    """One conversation folded as the worker folds it: the state and the replies."""

    def __init__(self, config=CONFIG) -> None:
        self.config, self.options = config, fold_options(config)
        self.tracked: Tracked | None = None
        self.sent: list[Action] = []

    def __call__(self, item: Input, now: datetime) -> list[Action]:
        before = self.tracked
        after = apply(before, item, self.options)
        if after is None:
            return []
        previous = before.conversation if before else None
        self.tracked, replies = automate(previous, after, self.config, now)
        self.sent += replies
        return replies

    @property
    def state(self):
        assert self.tracked is not None and self.tracked.conversation is not None
        return self.tracked.conversation


def at(base: datetime, minutes: float) -> datetime:
    return base + timedelta(minutes=minutes)


def night_message(loop: Loop, n: int = 1, minutes: float = 0, **fields) -> list[Action]:
    when = at(NIGHT, minutes)
    return loop(customer_dm(n, when, CONVERSATION, due=MONDAY, **fields), when)


def resolve(loop: Loop, minutes: float, base: datetime = MONDAY) -> list[Action]:
    when = at(base, minutes)
    return loop(action(f"resolve-{when.isoformat()}", "resolve", when, CONVERSATION), when)


def test_a_night_message_is_acknowledged_in_its_language_with_the_deadline():
    loop = Loop()
    (ack,) = night_message(loop)
    assert ack.actor.kind == ActorKind.system and ack.actor.id == ACK_ACTOR
    assert ack.action_id == f"ack:{CONVERSATION}:{NIGHT.isoformat()}"
    assert ack.reply_to == loop.state.reply_to
    # Monday 09:00 UTC is 10:00 in Zagreb, written the Croatian way.
    assert ack.text.startswith("Hvala na poruci!") and "pon, 7. pro 10:00" in ack.text


def test_a_language_without_a_template_gets_the_fallbacks_in_the_queues_zone():
    (ack,) = night_message(Loop(), language="sq", queue_language="hr")
    assert (
        ack.text.startswith("Thanks for your message!") and "Mon, Dec 7, 10:00\u202fAM" in ack.text
    )


def test_an_acknowledgement_is_a_reply_not_the_first_response():
    loop = Loop()
    (ack,) = night_message(loop)
    loop(sent(ack, at(NIGHT, 1)), at(NIGHT, 1))
    c = loop.state
    assert (c.status, c.first_response_at, c.last_outbound_at) == (OPEN, None, at(NIGHT, 1))


def test_an_acknowledgement_answers_when_the_routing_file_says_so():
    acks = CONFIG.acknowledgements.model_copy(update={"counts_as_first_response": True})
    loop = Loop(CONFIG.model_copy(update={"acknowledgements": acks}))
    (ack,) = night_message(loop)
    loop(sent(ack, at(NIGHT, 1)), at(NIGHT, 1))
    assert (loop.state.status, loop.state.first_response_at) == (WAITING, at(NIGHT, 1))


def test_no_acknowledgement_in_business_hours_on_a_public_post_or_for_a_follow_up():
    assert Loop()(customer_dm(1, MONDAY, CONVERSATION, due=at(MONDAY, 60)), MONDAY) == []
    assert night_message(Loop(), platform="instagram", kind="comment") == []
    assert night_message(Loop(), platform="twitter") == []
    loop = Loop()
    night_message(loop)
    assert night_message(loop, 2, minutes=5) == []


def test_a_replayed_message_past_its_deadline_is_not_acknowledged():
    loop = Loop()
    assert loop(customer_dm(1, NIGHT, CONVERSATION, due=MONDAY), at(MONDAY, 1)) == []


def test_one_acknowledgement_per_conversation_per_window():
    loop = Loop()
    assert len(night_message(loop)) == 1
    resolve(loop, 0, base=at(NIGHT, 10))
    # Reopened within the day: no second acknowledgement.
    assert night_message(loop, 2, minutes=60, text="And another thing") == []
    assert loop.state.reopen_count == 1
    resolve(loop, 0, base=at(NIGHT, 70))
    # An agent's reopen action is no customer opening.
    agent_reopen = action("reopen-1", "reopen", at(NIGHT, 80), CONVERSATION)
    assert loop(agent_reopen, at(NIGHT, 80)) == []
    resolve(loop, 0, base=at(NIGHT, 90))
    # A week later (a Saturday night again) the window has passed.
    week = 7 * 24 * 60
    later = at(NIGHT, week)
    replies = loop(customer_dm(3, later, CONVERSATION, due=at(MONDAY, week)), later)
    assert [r.action_id for r in replies] == [f"ack:{CONVERSATION}:{later.isoformat()}"]


def surveyed(loop: Loop) -> Action:
    """A conversation answered and resolved on Monday; its survey sent."""
    night_message(loop)
    (survey,) = resolve(loop, 30)
    loop(sent(survey, at(MONDAY, 31)), at(MONDAY, 31))
    return survey


def test_a_resolved_conversation_gets_one_survey_in_its_language():
    loop = Loop()
    survey = surveyed(loop)
    assert survey.actor.id == SURVEY_ACTOR and survey.actor.kind == ActorKind.system
    assert survey.action_id == f"survey:{CONVERSATION}:{at(MONDAY, 30).isoformat()}"
    assert survey.text == CONFIG.surveys.templates["hr"]
    c = loop.state
    assert (c.status, c.survey_sent_at, c.first_response_at) == (RESOLVED, at(MONDAY, 31), None)
    # Resolving again, or the same input again, sends nothing more.
    assert resolve(loop, 30) == [] and resolve(loop, 40) == []


def test_no_survey_on_other_platforms_or_for_a_stale_resolution():
    loop = Loop()
    night_message(loop, platform="twitter")
    assert resolve(loop, 30) == []
    loop = Loop()
    night_message(loop)
    stale = action("resolve-old", "resolve", MONDAY, CONVERSATION)
    assert loop(stale, at(MONDAY, 2 * 24 * 60)) == []


def test_a_rating_is_recorded_and_does_not_reopen():
    loop = Loop()
    surveyed(loop)
    answer = at(MONDAY, 40)
    assert loop(customer_dm(2, answer, CONVERSATION, text="5"), answer) == []
    c = loop.state
    assert (c.status, c.csat, c.csat_at, c.reopen_count) == (RESOLVED, 5, answer, 0)
    assert c.reply_to.platform_message_id.endswith(":1")  # the rating is no new contact
    # The next message is a new contact: it reopens, even if it looks like a rating.
    again = at(MONDAY, 50)
    loop(customer_dm(3, again, CONVERSATION, text="4"), again)
    assert (loop.state.status, loop.state.csat, loop.state.reopen_count) == (OPEN, 5, 1)


def test_a_word_rating_in_the_conversations_language():
    loop = Loop()
    surveyed(loop)
    loop(customer_dm(2, at(MONDAY, 40), CONVERSATION, text="Odlično!"), at(MONDAY, 40))
    assert (loop.state.status, loop.state.csat) == (RESOLVED, 5)


def test_anything_else_reopens():
    loop = Loop()
    surveyed(loop)
    text = "my order 12345 still not here"
    loop(customer_dm(2, at(MONDAY, 40), CONVERSATION, text=text), at(MONDAY, 40))
    c = loop.state
    assert (c.status, c.csat, c.reopen_count) == (OPEN, None, 1)


def test_a_rating_after_the_window_reopens():
    loop = Loop()
    surveyed(loop)
    late = at(MONDAY, 31 + 24 * 60 + 1)
    loop(customer_dm(2, late, CONVERSATION, text="5"), late)
    c = loop.state
    assert (c.status, c.csat, c.reopen_count) == (OPEN, None, 1)
