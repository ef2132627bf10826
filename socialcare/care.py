"""Rules of the care loop that more than one service applies: whether a reply may go
out now (the search API refuses it before it is queued, the respond service before it
is sent), whether the customer it answers has been erased, and whether it answers the
customer (the conversations worker stops the first-response clock, the index worker
marks the customer's messages answered, the router stops its deadline clock), and
what the router and the conversations worker both read a survey's answer by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from socialcare.schema import UNDETERMINED, Actor, ActorKind, Author, ReplyTarget

AUTOMATED = frozenset({ActorKind.bot, ActorKind.system})
# The ``system`` actors of the replies the conversations worker sends.
ACK_ACTOR = "auto-acknowledgement"
SURVEY_ACTOR = "csat-survey"

# WhatsApp Cloud API: outside the customer service window only a template may be sent.
WHATSAPP_WINDOW = timedelta(hours=24)
WHATSAPP_WINDOW_CLOSED = (
    "WhatsApp allows free-form replies only within 24 h of the customer's last message; "
    "use a template"
)


def reply_refusal(target: ReplyTarget, now: datetime) -> str | None:
    """Why a free-form reply to ``target`` cannot be sent at ``now``, if it cannot."""
    if target.platform == "whatsapp" and now - target.customer_wrote_at > WHATSAPP_WINDOW:
        return WHATSAPP_WINDOW_CLOSED
    return None


def answers(actor: Actor, acks_answer: bool) -> bool:
    """Whether a reply ``actor`` asked for answers the customer: a person's or a help
    desk's does; an automated one (a bot's, an acknowledgement, a survey) does not,
    except an acknowledgement where the routing file counts it as a first response
    (``acks_answer``)."""
    return actor.kind not in AUTOMATED or (acks_answer and actor.id == ACK_ACTOR)


def is_survey(actor: Actor) -> bool:
    """Whether a reply ``actor`` asked for is the satisfaction survey (which opens the
    window in which the customer's rating answers it)."""
    return actor.kind in AUTOMATED and actor.id == SURVEY_ACTOR


def customer_language(detected: str, language_queue: str) -> str:
    """The customer's language: the detected one, the queue's when the classifier could
    not tell (what a survey answer's number words are read in)."""
    return language_queue if detected == UNDETERMINED else detected


CUSTOMER_ERASED = "the customer asked to be erased"


class Erasures(Protocol):
    """What socialcare.erasure's ErasureSet and ErasureFollower both answer."""

    def covers(self, event: _Probe) -> bool: ...


@dataclass(frozen=True)
class _Probe:
    """The customer's message a reply answers, as an erasure check sees an event."""

    platform: str
    conversation_id: str
    author: Author
    created_at: datetime
    parent_id: str | None = None


def target_erased(erasures: Erasures, conversation_id: str, target: ReplyTarget) -> bool:
    """Whether an erasure covers the customer message ``target`` (its author, or the
    conversation): then nothing may be sent to them."""
    return erasures.covers(
        _Probe(
            platform=target.platform,
            conversation_id=conversation_id,
            author=Author(id=target.recipient_id),
            created_at=target.customer_wrote_at,
        )
    )
