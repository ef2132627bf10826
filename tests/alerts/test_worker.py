"""The alerts worker as its own process on the real Kafka and Elasticsearch: the demo's
traffic at the demo's pace raises exactly one alert, naming VoltBuds, for the spike
and none for the steady traffic before it; the alert clears once the spike is over."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialcare import elastic, kafka
from socialcare.alerts.store import alerts_index
from socialcare.schema import Alert, AlertStatus, ClassifiedEvent
from socialcare.topics import ALERTS, CLASSIFIED
from socialcare_dev.isolation import fresh_group
from tests.alerts.demo_traffic import Message, demo_messages
from tests.support.classified_stream import classified
from tests.support.kafka_tail import TopicTail
from tests.support.worker_process import worker_process


@pytest.fixture
def alias(stack, settings):
    alias = f"test-alerts-{uuid.uuid4().hex[:8]}"
    yield alias
    elastic.client(settings).indices.delete(index=f"{alias}-alerts", ignore_unavailable=True)


@pytest.fixture
def worker(stack, settings, tmp_path, alias):
    kafka.ensure_topics(settings, [CLASSIFIED, ALERTS])
    group = fresh_group(settings, "socialcare-alerts-it", CLASSIFIED.name)
    process = worker_process("alerts", group, tmp_path, "alerts", {"SOCIALCARE_INDEX_ALIAS": alias})
    process.start()
    yield process
    process.stop()


def event(conversation: str, m: Message, at: datetime, **extra) -> ClassifiedEvent:
    return classified(
        conversation,
        m.n,
        intent=m.intent,
        language=m.language,
        platform=m.platform,
        text=m.text,
        created_at=at.isoformat(),
        received_at=at.isoformat(),
        **extra,
    )


def send_at_demo_pace(settings, run: str, messages: list[Message]) -> datetime:
    """Publish each message when the demo would (40/s), received now; the spike's start."""
    producer = kafka.producer(settings)
    started, spike_start = time.monotonic(), None
    first = messages[0].at
    for m in messages:
        time.sleep(max(0.0, started + (m.at - first).total_seconds() - time.monotonic()))
        at = datetime.now(UTC)
        if m.spike and spike_start is None:
            spike_start = at
        e = event(f"{run}-{m.n}", m, at)
        producer.send(CLASSIFIED.name, key=e.key, value=e.to_bytes())
        if m.n % 50 == 0:  # a reply now and then: outbound, never counted
            reply = event(f"{run}-{m.n}-reply", m, at, direction="outbound")
            producer.send(CLASSIFIED.name, key=reply.key, value=reply.to_bytes())
    producer.flush(timeout=30)
    producer.close()
    assert spike_start is not None
    return spike_start


def test_the_demo_spike_raises_one_alert_naming_voltbuds_then_clears(worker, settings, alias):
    tail = TopicTail(settings, ALERTS.name)
    run = uuid.uuid4().hex[:8]
    spike_start = send_at_demo_pace(settings, run, demo_messages(seed=0))

    def ours(record) -> bool:
        return any(run in e for e in json.loads(record.value)["example_event_ids"])

    records = tail.read(expect=10_000, timeout=30, settle=0, match=ours)
    alerts = [Alert.model_validate_json(r.value) for r in records]
    assert len({a.alert_id for a in alerts}) == 1, [(a.status, a.terms) for a in alerts]
    first, last = alerts[0], alerts[-1]
    assert first.status == AlertStatus.open and "voltbuds" in first.terms + alerts[1].terms
    assert first.updated_at - spike_start < timedelta(minutes=2)
    assert first.since >= spike_start - timedelta(seconds=first.window_seconds + 1)
    assert last.status == AlertStatus.cleared
    assert len(last.languages) >= 12 and first.intent == "defect"
    stored = elastic.client(settings).get(
        index=alerts_index(settings.model_copy(update={"index_alias": alias})), id=first.alert_id
    )["_source"]
    assert stored["status"] == "cleared" and "voltbuds" in stored["terms"]


def test_a_restart_during_the_spike_continues_its_alert(stack, settings, tmp_path, alias):
    """The worker stops late in the spike and a new one takes over its group:
    it counts again what its predecessor had counted (the baseline before the spike),
    so the spike goes on as the same alert and clears once."""
    kafka.ensure_topics(settings, [CLASSIFIED, ALERTS])
    group = fresh_group(settings, "socialcare-alerts-it", CLASSIFIED.name)
    tail = TopicTail(settings, ALERTS.name)
    begun = time.monotonic()
    run = uuid.uuid4().hex[:8]
    messages = demo_messages(seed=0)
    spike = [i for i, m in enumerate(messages) if m.spike]
    cut = spike[3 * len(spike) // 4]  # the alert opens about a third into the spike

    def ours(record) -> bool:
        return any(run in e for e in json.loads(record.value)["example_event_ids"])

    env = {"SOCIALCARE_INDEX_ALIAS": alias}
    first = worker_process("alerts", group, tmp_path, "alerts-1", env)
    first.start()
    try:
        send_at_demo_pace(settings, run, messages[:cut])
        opened = Alert.model_validate_json(tail.read(1, 30, 0, ours)[0].value)
    finally:
        first.stop()
    assert opened.status == AlertStatus.open
    # It counts again what the first one counted: this test's traffic, not the shared
    # topic's earlier tests' (their idle gap before it would look like a surge).
    env["SOCIALCARE_ALERTS_RECOUNT_SECONDS"] = str(time.monotonic() - begun + 5)
    second = worker_process("alerts", group, tmp_path, "alerts-2", env)
    second.start()
    try:
        send_at_demo_pace(settings, run, messages[cut:])
        records = tail.read(expect=10_000, timeout=30, settle=0, match=ours)
    finally:
        second.stop()
    alerts = [Alert.model_validate_json(r.value) for r in records]
    assert {a.alert_id for a in alerts} == {opened.alert_id}, [(a.status, a.terms) for a in alerts]
    assert alerts[-1].status == AlertStatus.cleared
    assert [a.status for a in alerts].count(AlertStatus.open) == 1  # never raised again
