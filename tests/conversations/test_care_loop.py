"""The care loop's automated replies end to end on the real Kafka: the conversations
worker and the respond worker as processes, the platform emulator as Telegram. A
customer writes at night: one acknowledgement in their language naming the deadline;
the agent resolves: one survey; the customer answers "5": CSAT 5, still resolved."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time

from socialcare.route.config import DAYS, DEFAULT_CONFIG, parse_config
from socialcare.schema import Conversation, ConversationStatus
from socialcare.topics import CONVERSATIONS
from tests.conversations.care_inputs import customer_dm
from tests.conversations.inputs import action
from tests.conversations.worker_process import conversations_worker, publish
from tests.support.kafka_tail import TopicTail
from tests.support.respond_worker import emulator_calls, emulator_process, respond_worker

pytestmark = pytest.mark.integration
ZAGREB = ZoneInfo("Europe/Zagreb")


def closed_today_rules(path) -> None:
    """The shipped rules, with the Croatian queue staffed only tomorrow: whenever the
    test runs, a message now comes outside business hours."""
    tomorrow = DAYS[(datetime.now(ZAGREB).weekday() + 1) % 7]
    text = DEFAULT_CONFIG.read_text()
    old = "hr: {timezone: Europe/Zagreb, days: [mon, tue, wed, thu, fri],"
    assert old in text
    text = text.replace(old, f"hr: {{timezone: Europe/Zagreb, days: [{tomorrow}],")
    parse_config(text)  # valid
    path.write_text(text)


def calls(base: str, chat: str, text: str, expect: int, settle: float = 3.0) -> list:
    """The emulator's sendMessage calls to ``chat`` carrying ``text``, once ``expect``
    came (or 60 s passed) and ``settle`` seconds more showed no extra one."""
    deadline = time.monotonic() + 60
    found: list = []
    while time.monotonic() < deadline:
        found = [c for c in emulator_calls(base, text) if str(c["body"].get("chat_id")) == chat]
        if len(found) >= expect:
            break
        time.sleep(0.5)
    time.sleep(settle)
    return [c for c in emulator_calls(base, text) if str(c["body"].get("chat_id")) == chat]


def state_where(tail: TopicTail, key: bytes, holds) -> Conversation:
    """The first state of ``key`` published since the tail began for which ``holds``
    is true (each condition here is one no earlier state meets)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for record in tail.records:
            state = Conversation.model_validate_json(record.value)
            if holds(state):
                return state
        tail.read(expect=len(tail.records) + 1, timeout=2, settle=0, match=lambda r: r.key == key)
    raise AssertionError(f"no state of {key!r} as expected")


def test_acknowledgement_survey_and_rating(stack, settings, tmp_path):
    rules = tmp_path / "routing.yaml"
    closed_today_rules(rules)
    emulator, base = emulator_process(tmp_path)
    emulator.start()
    respond, _ = respond_worker(settings, tmp_path, "care-respond", base)
    worker, _ = conversations_worker(
        settings, tmp_path, "care", SOCIALCARE_ROUTING_CONFIG=str(rules)
    )
    chat = str(random.randint(10**9, 10**10))
    conversation = f"telegram:{chat}"
    key = conversation.encode()
    now = datetime.now(UTC).replace(microsecond=0)
    due = now + timedelta(days=2)
    tail = TopicTail(settings, CONVERSATIONS.name)
    try:
        respond.start()
        worker.start()
        publish(settings, customer_dm(1, now, conversation, due=due))

        (ack,) = calls(base, chat, "Hvala na poruci!", expect=1)
        text = ack["body"]["text"]
        assert format_time(due, "short", tzinfo=ZAGREB, locale="hr") in text
        assert ack["body"]["reply_parameters"] == {"message_id": 1}
        c = state_where(tail, key, lambda s: s.last_outbound_at is not None)
        assert (c.status, c.first_response_at) == (ConversationStatus.open, None)

        publish(settings, action("resolve-1", "resolve", now + timedelta(seconds=5), conversation))
        survey_text = parse_config(rules.read_text()).surveys.templates["hr"]
        assert len(calls(base, chat, survey_text, expect=1)) == 1
        c = state_where(tail, key, lambda s: s.survey_sent_at is not None)
        assert c.status == ConversationStatus.resolved

        answer = datetime.now(UTC) + timedelta(seconds=1)
        publish(settings, customer_dm(2, answer, conversation, text="5", due=due))
        c = state_where(tail, key, lambda s: s.csat is not None)
        assert (c.csat, c.status, c.reopen_count) == (5, ConversationStatus.resolved, 0)
        # Still one acknowledgement and one survey: nothing sent again.
        assert len(calls(base, chat, "Hvala na poruci!", expect=1, settle=0)) == 1
        assert len(calls(base, chat, survey_text, expect=1, settle=0)) == 1
    finally:
        tail.close()
        worker.stop()
        respond.stop()
        emulator.stop()
