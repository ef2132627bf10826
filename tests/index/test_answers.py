"""Which outbound events answer the customer's messages before them (the index worker
marks those messages answered): the same rule the conversation state applies."""

import pytest

from socialcare.care import ACK_ACTOR, SURVEY_ACTOR
from socialcare.index.documents import answers_customer
from socialcare.schema import Actor, ActorKind, Direction
from tests.support.search_index import EVENTS

INBOUND, REPLY = EVENTS[0], EVENTS[1]


def by(actor: Actor | None):
    return REPLY.model_copy(update={"sent_by": actor})


@pytest.mark.parametrize("acks_answer", [False, True])
def test_a_customer_message_answers_nobody(acks_answer):
    assert INBOUND.direction is Direction.inbound
    assert not answers_customer(INBOUND, acks_answer)


@pytest.mark.parametrize("kind", [ActorKind.agent, ActorKind.helpdesk])
def test_a_persons_or_a_help_desks_reply_answers(kind):
    assert answers_customer(by(Actor(kind=kind, id="ana")), acks_answer=False)


def test_a_reply_without_its_sender_is_taken_for_a_persons():
    # written in the platform's own tools, seen through the platform's echo
    assert answers_customer(by(None), acks_answer=False)


@pytest.mark.parametrize(
    "actor",
    [
        Actor(kind=ActorKind.system, id=ACK_ACTOR),
        Actor(kind=ActorKind.system, id=SURVEY_ACTOR),
        Actor(kind=ActorKind.bot, id="faq-bot"),
    ],
)
def test_an_automated_reply_does_not_answer(actor):
    assert not answers_customer(by(actor), acks_answer=False)


def test_an_acknowledgement_answers_only_where_the_rules_count_it():
    ack = by(Actor(kind=ActorKind.system, id=ACK_ACTOR))
    survey = by(Actor(kind=ActorKind.system, id=SURVEY_ACTOR))
    assert answers_customer(ack, acks_answer=True)
    assert not answers_customer(survey, acks_answer=True)
