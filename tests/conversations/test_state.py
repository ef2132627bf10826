"""The conversation state machine: every transition, idempotency, reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from socialcare.conversations.state import REMEMBERED_EARLY, REMEMBERED_INPUTS, Tracked, apply
from socialcare.schema import ConversationStatus, Priority
from tests.conversations.inputs import (
    CONVERSATION,
    T0,
    action,
    inbound,
    outbound,
    result,
)

OPEN, WAITING, RESOLVED = (
    ConversationStatus.open,
    ConversationStatus.waiting_customer,
    ConversationStatus.resolved,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fold(*items, tracked: Tracked | None = None) -> Tracked | None:
    for item in items:
        tracked = apply(tracked, item) or tracked
    return tracked


def opened() -> Tracked:
    tracked = apply(None, inbound(1, at(0)))
    assert tracked is not None
    return tracked


def test_a_customer_message_opens_the_conversation_with_its_routing():
    first = inbound(1, at(0), language="fa", priority="P2")
    tracked = apply(None, first)
    assert tracked is not None
    c = tracked.conversation
    assert (c.conversation_id, c.platform, c.brand_account_id) == (
        CONVERSATION,
        "twitter",
        "brand-1",
    )
    assert c.status == OPEN
    assert c.opened_at == c.last_inbound_at == c.last_activity_at == at(0)
    assert (c.queue, c.language, c.priority) == ("support.queue.en.logistics", "fa", Priority.P2)
    assert c.first_response_due_at == first.routing.first_response_due_at
    assert c.reply_to is not None and c.reply_to.event_id == first.event_id
    assert c.reply_to.recipient_id == first.author.id
    assert c.first_response_at is None and c.resolved_at is None and c.reopen_count == 0
    assert tracked.began_at == at(0)


def test_an_undetermined_language_is_the_queue_language():
    tracked = apply(None, inbound(1, at(0), language="und"))
    assert tracked is not None and tracked.conversation.language == "en"


def test_a_follow_up_moves_the_latest_message_and_the_routers_deadline():
    follow_up = inbound(2, at(5), priority="P1", due=at(20))
    c = fold(follow_up, tracked=opened()).conversation
    assert c.status == OPEN
    assert c.reply_to.event_id == follow_up.event_id
    assert (c.priority, c.first_response_due_at) == (Priority.P1, at(20))
    assert c.last_inbound_at == c.last_activity_at == at(5)
    assert c.opened_at == at(0)


def test_the_latest_customer_message_gives_the_topic_tone_and_market():
    first = inbound(1, at(0), market="HR")
    c = apply(None, first).conversation
    assert (c.intent, c.sentiment, c.market) == ("shipping", "negative", "HR")
    # A follow-up about something else, in another tone, from no known market.
    follow_up = inbound(2, at(5))
    verdict = follow_up.classification.model_copy(
        update={"intent": "order_issue", "sentiment": "positive"}
    )
    c = fold(follow_up.model_copy(update={"classification": verdict}), tracked=apply(None, first))
    assert (c.conversation.intent, c.conversation.sentiment) == ("order_issue", "positive")
    assert c.conversation.market == "HR"  # kept: the follow-up does not tell


def test_a_late_delivered_older_message_is_not_the_latest():
    c = fold(inbound(2, at(5)), inbound(3, at(2)), tracked=opened()).conversation
    assert c.reply_to.platform_message_id.endswith("-2")
    assert c.last_inbound_at == at(5)


def test_a_human_reply_answers_the_conversation():
    c = fold(outbound(10, at(7)), tracked=opened()).conversation
    assert c.status == WAITING
    assert c.first_response_at == c.last_outbound_at == c.last_activity_at == at(7)


def test_a_reply_action_changes_nothing_until_its_result():
    tracked = opened()
    assert apply(tracked, action("a1", "reply", at(3))) is None
    c = fold(result("a1", at(4)), tracked=tracked).conversation
    assert c.status == WAITING
    assert c.first_response_at == c.last_outbound_at == at(4)


def test_a_failed_reply_is_only_activity():
    c = fold(result("a1", at(4), outcome="failed"), tracked=opened()).conversation
    assert c.status == OPEN
    assert c.first_response_at is None and c.last_outbound_at is None
    assert c.last_activity_at == at(4)


def test_a_bots_reply_is_a_reply_but_not_an_answer():
    bot = result("a1", at(1), actor="bot", platform_message_id="ack-1")
    echo = outbound(10, at(1), platform_message_id="ack-1")
    c = fold(bot, echo, tracked=opened()).conversation
    assert c.status == OPEN
    assert c.first_response_at is None
    assert c.last_outbound_at == at(1)
    # The human who answers next is the first response.
    c = fold(outbound(11, at(9)), tracked=fold(bot, echo, tracked=opened())).conversation
    assert (c.status, c.first_response_at) == (WAITING, at(9))


def test_a_reply_older_than_the_latest_customer_message_leaves_it_open():
    c = fold(inbound(2, at(5)), result("a1", at(4)), tracked=opened()).conversation
    assert c.status == OPEN
    assert c.first_response_at == at(4)  # it was still the first response


def test_the_customer_writing_back_returns_it_to_open_without_a_reopening():
    c = fold(outbound(10, at(7)), inbound(2, at(9)), tracked=opened()).conversation
    assert c.status == OPEN
    assert c.reopen_count == 0
    assert c.first_response_at == at(7)


def test_assign_resolve_and_note():
    tracked = fold(
        action("a1", "assign", at(1), agent="maria"),
        action("a2", "note", at(2)),
        tracked=opened(),
    )
    assert tracked.conversation.assignee == "maria"
    assert tracked.conversation.last_activity_at == at(2)
    c = fold(action("a3", "resolve", at(3)), tracked=tracked).conversation
    assert (c.status, c.resolved_at, c.assignee) == (RESOLVED, at(3), "maria")
    # Resolving again keeps the first resolution.
    c = fold(
        action("a4", "resolve", at(8)),
        tracked=fold(action("a3", "resolve", at(3)), tracked=tracked),
    ).conversation
    assert c.resolved_at == at(3) and c.last_activity_at == at(8)


def test_a_new_customer_message_reopens_a_resolved_conversation():
    resolved = fold(outbound(10, at(1)), action("a1", "resolve", at(2)), tracked=opened())
    follow_up = inbound(2, at(30), due=at(90))
    c = fold(follow_up, tracked=resolved).conversation
    assert (c.status, c.reopen_count, c.resolved_at) == (OPEN, 1, None)
    assert c.opened_at == at(30)
    assert c.reply_to.event_id == follow_up.event_id
    # First response is per conversation: the first contact's stays.
    assert c.first_response_at == at(1)
    assert c.first_response_due_at == opened().conversation.first_response_due_at


def test_a_message_written_before_the_resolution_does_not_reopen():
    resolved = fold(action("a1", "resolve", at(10)), tracked=opened())
    c = fold(inbound(2, at(5)), tracked=resolved).conversation
    assert c.status == RESOLVED and c.reopen_count == 0


def test_an_agent_reopens_a_resolved_conversation():
    resolved = fold(action("a1", "resolve", at(2)), tracked=opened())
    c = fold(action("a2", "reopen", at(4)), tracked=resolved).conversation
    assert (c.status, c.reopen_count, c.resolved_at, c.opened_at) == (OPEN, 1, None, at(4))


def test_reopening_a_conversation_waiting_on_the_customer_puts_it_back_uncounted():
    waiting = fold(outbound(10, at(1)), tracked=opened())
    c = fold(action("a1", "reopen", at(4)), tracked=waiting).conversation
    assert (c.status, c.reopen_count) == (OPEN, 0)


def test_a_reply_to_a_resolved_conversation_leaves_it_resolved():
    resolved = fold(action("a1", "resolve", at(2)), tracked=opened())
    c = fold(outbound(10, at(3)), tracked=resolved).conversation
    assert c.status == RESOLVED and c.first_response_at == at(3)


def test_every_input_applies_once():
    tracked = opened()
    inputs = [
        inbound(1, at(0)),
        outbound(10, at(1)),
        action("a1", "reopen", at(2)),
        action("a2", "assign", at(3), agent="maria"),
        result("a3", at(4)),
    ]
    once = fold(*inputs, tracked=tracked)
    for item in inputs:
        assert apply(once, item) is None
    assert once.conversation.reopen_count == 0  # the reopen of a waiting one
    assert once.conversation.status == WAITING


def test_an_action_and_its_result_with_the_same_id_both_apply():
    tracked = fold(action("a1", "assign", at(1), agent="maria"), tracked=opened())
    assert apply(tracked, result("a1", at(2), type_="assign")) is not None


def test_the_remembered_ids_are_bounded():
    tracked = opened()
    for n in range(REMEMBERED_INPUTS + 10):
        tracked = fold(action(f"note-{n}", "note", at(n)), tracked=tracked)
    assert len(tracked.seen) == REMEMBERED_INPUTS
    assert tracked.seen[-1] == f"action:note-{REMEMBERED_INPUTS + 9}"


def test_a_brand_message_of_an_unknown_conversation_creates_nothing():
    assert apply(None, outbound(10, at(1))) is None
    assert apply(None, action("a1", "reply", at(1))) is None


def test_actions_before_the_first_customer_message_wait_for_it():
    # The routed event can lag behind actions and results (other topics, other agents).
    early = [
        action("a1", "assign", at(1), agent="maria"),
        result("a2", at(2)),
        action("a3", "resolve", at(3)),
    ]
    tracked = fold(*early)
    assert tracked is not None and tracked.conversation is None
    assert len(tracked.early) == 3
    assert Tracked.model_validate(tracked.model_dump(mode="json")) == tracked  # as stored
    assert apply(tracked, early[0]) is None  # a repeat while waiting
    c = fold(inbound(1, at(0)), tracked=tracked).conversation
    assert (c.assignee, c.status, c.first_response_at, c.resolved_at) == (
        "maria",
        RESOLVED,
        at(2),
        at(3),
    )
    opened_late = fold(inbound(1, at(0)), tracked=tracked)
    assert opened_late.early == ()
    for item in early:
        assert apply(opened_late, item) is None


def test_early_inputs_are_bounded():
    tracked = fold(*(action(f"n{n}", "note", at(n)) for n in range(REMEMBERED_EARLY + 5)))
    assert len(tracked.early) == REMEMBERED_EARLY


def test_the_state_survives_its_json_round_trip():
    tracked = fold(outbound(10, at(1)), action("a1", "assign", at(2), agent="m"), tracked=opened())
    stored = {**tracked.model_dump(mode="json"), "partition": 3, "updated_at": "x"}
    restored = Tracked.model_validate(stored)
    assert restored == tracked
    assert apply(restored, action("a1", "assign", at(2), agent="m")) is None
    assert restored.conversation.last_activity_at.tzinfo == UTC
