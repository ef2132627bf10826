"""What the worker publishes for a reply, and whom the erasure filter refuses: pure."""

from datetime import UTC, datetime, timedelta

from socialcare.care import target_erased
from socialcare.erasure import ErasureRecord, ErasureSet, subject_hash
from socialcare.respond.outputs import ReplyRecord, outbound_event, result
from socialcare.schema import ActionOutcome, Direction, Kind
from tests.support.respond_worker import reply

SENT = ReplyRecord(
    outcome=ActionOutcome.done, platform_message_id="m_out", completed_at=datetime.now(UTC)
)


def test_the_sent_reply_is_an_outbound_event_answering_the_customer():
    action = reply("messenger", Kind.dm, "m_in")
    event = outbound_event(action, SENT)
    assert event.event_id == "messenger:m_out"
    assert event.direction is Direction.outbound
    assert (event.parent_id, event.author.id, event.text) == ("m_in", "1001", action.text)
    # who asked for it: the index worker tells an agent's answer from an acknowledgement
    assert event.sent_by == action.actor
    assert result(action, SENT).platform_message_id == "m_out"


def test_a_customer_erased_after_writing_is_refused_a_new_contact_is_not():
    action = reply("whatsapp", Kind.dm, "wamid.1")
    target = action.reply_to
    erasures = ErasureSet()
    erasures.apply(
        ErasureRecord(
            erasure_id="e1",
            subject=subject_hash(erasures.key, "whatsapp", target.recipient_id),
            erased_at=target.customer_wrote_at + timedelta(seconds=1),
        )
    )
    assert target_erased(erasures, action.conversation_id, target)
    later = target.model_copy(update={"customer_wrote_at": datetime.now(UTC) + timedelta(1)})
    assert not target_erased(erasures, action.conversation_id, later)
