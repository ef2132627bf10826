"""Through the real services: a signed webhook comes out classified, routed and
searchable; a follow-up stays in its conversation's queue; bad webhooks publish nothing."""

import json
import time
import uuid

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from socialcare.schema import ClassifiedEvent, Event, RoutedEvent
from socialcare.topics import CLASSIFIED, RAW, ROUTED
from socialcare_dev.isolation import API_KEY
from socialcare_dev.traffic import Secrets
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration
JSON = {"Content-Type": "application/json"}
TELEGRAM = JSON | {"X-Telegram-Bot-Api-Secret-Token": Secrets().telegram}


def telegram(chat: int, text: str) -> bytes:
    update = int(uuid.uuid4().int % 2**31)
    user = {"id": chat, "is_bot": False, "first_name": "Jonas"}
    message = {"message_id": update, "from": user, "chat": {**user, "type": "private"}}
    return json.dumps(
        {"update_id": update, "message": {**message, "date": int(time.time()), "text": text}}
    ).encode()


def deliver(pipeline, body: bytes, headers=TELEGRAM) -> httpx.Response:
    return httpx.post(f"{pipeline.ingest_url}/webhooks/telegram", content=body, headers=headers)


def tails(settings) -> dict[str, TopicTail]:
    """Started before a delivery: they read only what comes after."""
    return {topic: TopicTail(settings, topic) for topic in (CLASSIFIED.name, ROUTED.name)}


def values(tail: TopicTail, ids: list[str]) -> dict[str, bytes]:
    """The records of ``ids`` on the tail's topic, by event id."""
    wanted = {i.encode() for i in ids}
    records = tail.read(
        len(ids), timeout=60, settle=0, match=lambda r: dict(r.headers).get("event_id") in wanted
    )
    found = {dict(r.headers)["event_id"].decode(): r.value for r in records}
    assert set(found) == set(ids), f"missing on {tail.partitions[0].topic}: {set(ids) - set(found)}"
    return found


def on_topic(settings, topic: str, event_id: str, timeout: float = 60) -> bytes:
    """The record of ``event_id`` on ``topic``, read from the beginning (a queue topic
    may not exist before the router creates it)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                break
            time.sleep(0.5)
        consumer.assign([TopicPartition(topic, p) for p in partitions or ()])
        consumer.seek_to_beginning()
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    if dict(record.headers).get("event_id") == event_id.encode():
                        return record.value
    finally:
        consumer.close()
    raise AssertionError(f"{event_id} not on {topic} within {timeout} s")


def searchable(pipeline, conversation_id: str, count: int, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{pipeline.search_url}/v1/conversations/{conversation_id}",
            headers={"X-API-Key": API_KEY},
        )
        if response.status_code == 200 and len(response.json()["events"]) >= count:
            return response.json()["events"]
        time.sleep(0.5)
    raise AssertionError(f"{conversation_id} has not {count} searchable events")


def test_a_signed_webhook_comes_out_classified_routed_and_searchable(pipeline, settings):
    running, _ = pipeline
    chat = uuid.uuid4().int % 10**12
    text = (
        "Mein Paket ist seit zwei Wochen unterwegs, die Sendungsverfolgung zeigt "
        "nichts an. Wann wird endlich geliefert? Eine Frechheit! 😡"
    )
    tail = tails(settings)
    response = deliver(running, telegram(chat, text))
    assert response.status_code == 200, response.text
    (event_id,) = response.json()["event_ids"]

    classified = ClassifiedEvent.model_validate_json(
        values(tail[CLASSIFIED.name], [event_id])[event_id]
    )
    assert classified.text == text
    assert classified.classification.language == "de"
    assert classified.classification.intent == "shipping"
    assert classified.classification.sentiment == "negative"
    assert len(classified.classification.embedding) == 384

    routed = RoutedEvent.model_validate_json(values(tail[ROUTED.name], [event_id])[event_id])
    assert routed.routing.queue == "support.queue.de.logistics"
    queued = RoutedEvent.model_validate_json(on_topic(settings, routed.routing.queue, event_id))
    assert queued.event_id == event_id

    (stored,) = searchable(running, f"telegram:{chat}", 1)
    assert stored["event_id"] == event_id
    assert stored["classification"]["intent"] == "shipping"
    assert stored["routing"]["queue"] == "support.queue.de.logistics"
    assert stored["routing"]["first_response_due_at"]


def test_a_follow_up_lands_in_its_conversations_queue(pipeline, settings):
    running, _ = pipeline
    chat = uuid.uuid4().int % 10**12
    tail = tails(settings)
    first = deliver(running, telegram(chat, "Il caricabatterie si è rotto dopo due giorni 😡"))
    again = deliver(running, telegram(chat, "Grazie comunque per la risposta veloce!"))
    ids = [r.json()["event_ids"][0] for r in (first, again)]
    routed = values(tail[ROUTED.name], ids)
    queues = [RoutedEvent.model_validate_json(routed[i]).routing.queue for i in ids]
    # The thanks would go to engagement on its own; its open conversation decides.
    # (Italian is not staffed in the default rules: the English queue, for translation.)
    assert queues[0] == queues[1] == "support.queue.en.tech_support"
    events = searchable(running, f"telegram:{chat}", 2)
    assert {e["event_id"] for e in events} == set(ids)
    assert {e["routing"]["queue"] for e in events} == {queues[0]}


def test_malformed_or_unsigned_webhooks_are_rejected_and_publish_nothing(pipeline, settings):
    running, _ = pipeline
    # Every request carries this test's marker: other traffic on the shared raw topic
    # (other tests, other sessions) never counts, and nothing is waited out by sleeping.
    marker = uuid.uuid4().hex
    chat = uuid.uuid4().int % 10**12
    tail = TopicTail(settings, RAW.name)  # end offsets before the first request
    body = telegram(chat, f"hello {marker}")
    cases = [
        (f"{{not json {marker}".encode(), TELEGRAM, 400),
        (f'["{marker}", 2]'.encode(), TELEGRAM, 400),
        (body, JSON, 401),
        (body, JSON | {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, 403),
        (body, {"X-Telegram-Bot-Api-Secret-Token": Secrets().telegram}, 415),
    ]
    for payload, headers, status in cases:
        response = deliver(running, payload, headers)
        assert response.status_code == status, (status, response.text)
        assert response.json()["detail"]
    meta = httpx.post(
        f"{running.ingest_url}/webhooks/meta",
        content=json.dumps({"object": "page", "entry": [], "marker": marker}).encode(),
        headers=JSON | {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    )
    assert meta.status_code == 403
    # A fence: one accepted delivery after the rejected ones. Ingest answers only once
    # Kafka has acknowledged what it publishes, so once the fence is on the topic,
    # the end offsets include anything the rejected requests could have published.
    fence = deliver(running, telegram(chat, f"fence {marker}"))
    assert fence.status_code == 200, fence.text
    ours = marker.encode()
    tail.read(1, timeout=60, settle=0, match=lambda r: ours in r.value)
    tail.read_to_end(match=lambda r: ours in r.value)
    published = [Event.model_validate_json(r.value).event_id for r in tail.records]
    tail.close()
    assert published == fence.json()["event_ids"]


def test_every_worker_reports_its_consumer_lag(pipeline):
    running, _ = pipeline
    for name, topic in (("classify", RAW), ("route", CLASSIFIED), ("index", ROUTED)):
        group = running.services[name].env[f"SOCIALCARE_{name.upper()}_APP_ID"]
        wanted = {"service": name, "group": group, "topic": topic.name}
        deadline = time.monotonic() + 30
        while True:
            page = httpx.get(f"http://127.0.0.1:{running.ports[name]}/metrics").text
            partitions = {
                sample.labels["partition"]
                for family in text_string_to_metric_families(page)
                if family.name == "socialcare_consumer_lag"
                for sample in family.samples
                if wanted.items() <= sample.labels.items()
            }
            # The group's lag on every partition of its source, not only its own.
            if len(partitions) == topic.partitions:
                break
            assert time.monotonic() < deadline, f"{name}: lag of {sorted(partitions)} only"
            time.sleep(0.5)
