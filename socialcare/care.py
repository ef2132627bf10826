"""Rules of the care loop that more than one service applies: whether a reply may go
out now (the search API refuses it before it is queued, the respond service before it
is sent), and whether the customer it answers has been erased."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from socialcare.schema import Author, ReplyTarget

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
