"""The respond worker as a process on the real Kafka, sending to the platform
emulator (a process too): one platform request per reply, the sent reply into the
pipeline, the result, retries, refusals and a crash between send and publish."""

from datetime import datetime

import pytest

from socialcare.schema import ActionOutcome, ActionResult, DeadLetter, Direction, Event, Kind
from socialcare.topics import ACTION_RESULTS, DLQ, RAW
from tests.support.kafka_tail import TopicTail
from tests.support.respond_worker import (
    add_fault,
    emulator_calls,
    emulator_process,
    publish_actions,
    reply,
    respond_worker,
)
from tests.support.worker_process import SHORT_SESSION

pytestmark = pytest.mark.integration

# (platform, kind, the customer's message id, the emulator's endpoint)
ONE_PER_PLATFORM = [
    ("messenger", Kind.dm, "m_cust1", "messages"),
    ("instagram", Kind.comment, "17900001", "replies"),
    ("facebook", Kind.comment, "1001_2002", "comments"),
    ("whatsapp", Kind.dm, "wamid.cust1", "messages"),
    ("telegram", Kind.dm, "1500:42", "sendMessage"),
    ("viber", Kind.dm, "5098034272017990000", "send_message"),
    ("twitter", Kind.mention, "1790000000000000001", "tweets"),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("respond")


@pytest.fixture(scope="module")
def emulator(workdir):
    process, base = emulator_process(workdir)
    process.start()
    yield base
    process.stop()


@pytest.fixture(scope="module")
def worker(stack, settings, workdir, emulator):
    process, _ = respond_worker(settings, workdir, "main", emulator)
    process.start()
    yield process
    process.stop()


def outputs(settings, actions, topics=(RAW.name, ACTION_RESULTS.name)):
    """A tail of what the worker publishes from now on, and ``actions``' keys."""
    keys = {a.key for a in actions}
    tail = TopicTail(settings, *topics)
    return tail, keys


def read(tail, keys, expect: int, timeout: float = 60.0, until=None):
    try:
        return tail.read(expect=expect, timeout=timeout, match=lambda r: r.key in keys, until=until)
    finally:
        tail.close()


def one_of_each_topic(records) -> bool:
    return {r.topic for r in records} >= {RAW.name, ACTION_RESULTS.name}


def done_results(records, action_id: str) -> list[ActionResult]:
    results = [
        ActionResult.model_validate_json(r.value) for r in records if r.topic == ACTION_RESULTS.name
    ]
    return [r for r in results if r.action_id == action_id]


def test_a_reply_on_each_platform_is_one_request_one_outbound_event_one_result(
    worker, emulator, settings
):
    actions = [reply(p, kind, message) for p, kind, message, _ in ONE_PER_PLATFORM]
    tail, keys = outputs(settings, actions)
    publish_actions(settings, *actions)
    records = read(tail, keys, 2 * len(actions))
    for action, (platform, _, message, endpoint) in zip(actions, ONE_PER_PLATFORM, strict=True):
        [call] = emulator_calls(emulator, action.text)
        assert (call["platform"], call["endpoint"], call["status"] < 300) == (
            platform,
            endpoint,
            True,
        )
        mine = [r for r in records if r.key == action.key]
        events = [Event.model_validate_json(r.value) for r in mine if r.topic == RAW.name]
        [result] = done_results(mine, action.action_id)
        assert result.outcome is ActionOutcome.done
        [event] = events
        assert event.platform_message_id == result.platform_message_id
        assert event.direction is Direction.outbound
        assert (event.platform, event.kind, event.parent_id) == (
            platform,
            action.reply_to.kind,
            message,
        )
        assert event.author.id == event.brand_account_id == "1001"
        assert event.text == action.text
        assert event.conversation_id == action.conversation_id


def test_the_same_action_id_twice_sends_once(worker, emulator, settings):
    action = reply("telegram", Kind.dm, "1500:43")
    tail, keys = outputs(settings, [action])
    publish_actions(settings, action, action)
    records = read(tail, keys, 4)
    assert len(emulator_calls(emulator, action.text)) == 1
    results = done_results(records, action.action_id)
    # The second delivery publishes the recorded outcome again: the same reply id.
    assert len(results) == 2
    assert len({r.platform_message_id for r in results}) == 1
    assert len({r.value for r in records if r.topic == RAW.name}) == 1


def test_a_rate_limit_is_waited_out_as_the_platform_asks(worker, emulator, settings):
    add_fault(emulator, platform="twitter", kind="rate_limit", retry_after=3)
    action = reply("twitter", Kind.dm, "1790000000000000002")
    tail, keys = outputs(settings, [action])
    publish_actions(settings, action)
    records = read(tail, keys, 2)
    first, second = emulator_calls(emulator, action.text)
    assert (first["status"], second["status"]) == (429, 201)
    waited = datetime.fromisoformat(second["received_at"]) - datetime.fromisoformat(
        first["received_at"]
    )
    assert waited.total_seconds() >= 2.5  # x-rate-limit-reset is in whole seconds
    [result] = done_results(records, action.action_id)
    assert result.outcome is ActionOutcome.done


def test_a_policy_refusal_fails_the_action_with_the_reason_and_a_dead_letter(
    worker, emulator, settings
):
    add_fault(emulator, platform="whatsapp", kind="policy")
    refused = reply("whatsapp", Kind.dm, "wamid.cust2")
    after = reply("whatsapp", Kind.dm, "wamid.cust3")
    # One after the other: the two conversations are on different partitions, and the
    # fault is for whichever WhatsApp call comes first.
    tail, keys = outputs(settings, [refused], (ACTION_RESULTS.name, DLQ.name))
    publish_actions(settings, refused)
    records = read(tail, keys, 2)
    tail, keys = outputs(settings, [after], (ACTION_RESULTS.name,))
    publish_actions(settings, after)
    records += read(tail, keys, 1)
    [call] = emulator_calls(emulator, refused.text)
    platform_reason = call["response"]["error"]["message"]
    [result] = done_results(records, refused.action_id)
    assert result.outcome is ActionOutcome.failed
    assert platform_reason in result.reason
    letters = [
        DeadLetter.model_validate_json(r.value)
        for r in records
        if r.topic == DLQ.name and DeadLetter.model_validate_json(r.value).service == "respond"
    ]
    assert [platform_reason in letter.error for letter in letters] == [True]
    # The stream went on: the next reply was sent.
    [next_result] = done_results(records, after.action_id)
    assert next_result.outcome is ActionOutcome.done


def test_a_worker_killed_between_send_and_publish_sends_once_and_publishes_after_restart(
    worker, emulator, settings, workdir
):
    worker.stop()  # this test's actions are for the crashing worker alone
    crashing, group = respond_worker(
        settings,
        workdir,
        "crash",
        emulator,
        SOCIALCARE_TEST_HOOK_RESPOND_EXIT_AFTER_RECORD="1",
        **SHORT_SESSION,
    )
    action = reply("messenger", Kind.dm, "m_cust9")
    tail, keys = outputs(settings, [action])
    crashing.start()
    try:
        publish_actions(settings, action)
        crashing.child.wait(timeout=60)  # it exits right after recording the outcome
        assert len(emulator_calls(emulator, action.text)) == 1
        assert not tail.read_to_end(match=lambda r: r.key in keys)  # nothing published
        restarted, _ = respond_worker(
            settings, workdir, "crash-restarted", emulator, group, **SHORT_SESSION
        )
        restarted.start()
        try:
            # The restarted worker gets the partition once the dead member's session
            # expires, and a replay may publish the outbound event twice before the
            # result: wait for both topics, not for any two records.
            records = read(tail, keys, 2, timeout=120.0, until=one_of_each_topic)
        finally:
            restarted.stop()
    finally:
        crashing.stop()
    assert len(emulator_calls(emulator, action.text)) == 1
    # The replay publishes the recorded outcome; a second replay (a rebalance when the
    # dead worker's membership expires, before the offset is committed) publishes it
    # again, as the module says: copies of one result and one event, never a new send.
    results = done_results(records, action.action_id)
    events = [Event.model_validate_json(r.value) for r in records if r.topic == RAW.name]
    assert results and events
    assert {r.outcome for r in results} == {ActionOutcome.done}
    assert {r.platform_message_id for r in results} == {e.platform_message_id for e in events}
    assert len({r.platform_message_id for r in results}) == 1
    assert len({e.event_id for e in events}) == 1
