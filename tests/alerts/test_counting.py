"""What the alerts worker counts: customers' messages, not the brand's replies and
not answers to a satisfaction survey (a burst of them follows every round of
resolutions: the demo's once raised "praise x und" as a spike)."""

from socialcare.alerts.worker import counted
from tests.support.classified_stream import classified


def test_customer_messages_count():
    assert counted(classified("c-1", 1, text="My VoltBuds Pro stopped charging"))


def test_our_replies_and_survey_answers_do_not():
    assert not counted(classified("c-1", 2, text="Sorry to hear that", direction="outbound"))
    for answer in ("5", "👍", "⭐⭐⭐⭐⭐", "4/5", "пять"):
        assert not counted(classified("c-1", 3, intent="praise", language="und", text=answer))
