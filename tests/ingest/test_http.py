"""The ingest endpoints with the real local Kafka: what is accepted is on the topic."""

import asyncio
import hashlib
import hmac
import json
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from socialcare.ingest.app import create_app
from socialcare.ingest.publisher import EventPublisher
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import twitter_signature
from socialcare.schema import Event
from socialcare.topics import RAW
from tests.support.kafka_tail import TopicTail
from tests.support.webhooks import API_KEY, SECRETS

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def unique_messenger_body() -> tuple[bytes, set[bytes]]:
    """The Messenger fixture with message ids of this test's own, and those event ids."""
    run = uuid.uuid4().hex[:8]
    document = json.loads((FIXTURES / "meta_messenger.json").read_text())
    ids = set()
    for entry in document["entry"]:
        for item in entry.get("messaging", []):
            if "message" in item:
                item["message"]["mid"] += f"-{run}"
                ids.add(f"messenger:{item['message']['mid']}".encode())
    return json.dumps(document).encode(), ids


def with_ids(ids: set[bytes]):
    return lambda record: dict(record.headers).get("event_id") in ids


@pytest.fixture
def ingest_settings(stack, settings) -> IngestSettings:
    return IngestSettings(**{**settings.model_dump(), **SECRETS})


@pytest.fixture
def client(ingest_settings):
    with TestClient(create_app(ingest_settings)) as test_client:
        yield test_client


@pytest.fixture
def raw(ingest_settings):
    topic = TopicTail(ingest_settings, RAW.name)
    yield topic
    topic.close()


def meta_post(client, body: bytes, secret="meta-secret", **headers):
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature, **headers},
    )


def test_signed_meta_delivery_is_on_kafka_keyed_by_conversation(client, raw):
    body = (FIXTURES / "meta_messenger.json").read_bytes()
    response = meta_post(client, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["duplicates"], result["ignored"]) == (3, 0, 1)

    records = raw.read(expect=3)
    events = [Event.model_validate_json(r.value) for r in records]
    assert sorted(e.event_id for e in events) == sorted(result["event_ids"])
    assert all(r.key == e.conversation_id.encode() for r, e in zip(records, events, strict=True))
    assert {e.conversation_id for e in events} == {"messenger:104729318201355:6912345678901234"}


@pytest.mark.parametrize(
    "headers,status",
    [({}, 401), ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 403)],
)
def test_unsigned_or_wrongly_signed_delivery_is_rejected_and_nothing_published(
    client, raw, headers, status
):
    body, ids = unique_messenger_body()
    response = client.post(
        "/webhooks/meta", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status
    assert "X-Hub-Signature-256" in response.json()["detail"]
    assert raw.read_to_end(match=with_ids(ids)) == []
    # The same body signed is published: the proof above looked at the right records.
    assert meta_post(client, body).status_code == 200
    assert len(raw.read_to_end(match=with_ids(ids))) == len(ids) == 3


def test_duplicate_delivery_gives_one_event(client, raw):
    body = (FIXTURES / "twitter_tweets.json").read_bytes()
    headers = {
        "Content-Type": "application/json",
        "X-Twitter-Webhooks-Signature": twitter_signature(body, "twitter-secret"),
    }
    first = client.post("/webhooks/twitter", content=body, headers=headers).json()
    again = client.post("/webhooks/twitter", content=body, headers=headers).json()
    assert (first["accepted"], first["duplicates"]) == (4, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    records = raw.read(expect=4)
    assert sorted(Event.model_validate_json(r.value).event_id for r in records) == sorted(
        first["event_ids"]
    )


def test_viber_and_telegram_signed_deliveries(client, raw):
    viber_body = (FIXTURES / "viber_message.json").read_bytes()
    signature = hmac.new(b"viber-token", viber_body, hashlib.sha256).hexdigest()
    viber = client.post(
        "/webhooks/viber",
        content=viber_body,
        headers={"Content-Type": "application/json", "X-Viber-Content-Signature": signature},
    )
    telegram = client.post(
        "/webhooks/telegram",
        content=(FIXTURES / "telegram_message.json").read_bytes(),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": "tg-secret",
        },
    )
    assert viber.json()["event_ids"] == ["viber:5741311803571721087"]
    assert telegram.json()["event_ids"] == ["telegram:5012345678:4412"]
    ids = {Event.model_validate_json(r.value).event_id for r in raw.read(expect=2)}
    assert ids == {"viber:5741311803571721087", "telegram:5012345678:4412"}


def test_status_callbacks_are_acknowledged_and_not_published(client, raw):
    token = f"{uuid.uuid4().int % 10**18}"
    document = json.loads((FIXTURES / "viber_delivered.json").read_text())
    document["message_token"] = int(token)
    body = json.dumps(document).encode()
    signature = hmac.new(b"viber-token", body, hashlib.sha256).hexdigest()
    response = client.post(
        "/webhooks/viber",
        content=body,
        headers={"Content-Type": "application/json", "X-Viber-Content-Signature": signature},
    )
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["ignored"]) == (0, 1)
    assert raw.read_to_end(match=lambda r: token.encode() in r.value) == []


def test_generic_api_needs_a_key_and_publishes_batches(client, raw):
    run = uuid.uuid4().hex[:8]
    batch = [
        {
            "platform": "trustpilot",
            "platform_message_id": f"{run}-{n}",
            "kind": "comment",
            "brand_account_id": "norda",
            "conversation_id": f"trustpilot:{run}",
            "author": {"id": "reviewer-1"},
            "text": "Delivery took three weeks",
            "created_at": "2026-11-20T08:00:00Z",
        }
        for n in range(3)
    ]
    ids = {f"trustpilot:{run}-{n}".encode() for n in range(3)}
    assert client.post("/v1/events", json=batch).status_code == 401
    assert client.post("/v1/events", json=batch, headers={"X-API-Key": "nope"}).status_code == 403
    assert raw.read_to_end(match=with_ids(ids)) == []
    response = client.post("/v1/events", json=batch, headers={"X-API-Key": API_KEY})
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    assert len(raw.read_to_end(match=with_ids(ids))) == 3


def test_concurrent_duplicate_deliveries_publish_once(ingest_settings, raw):
    """Two retries of one delivery in flight at once (the platform timed out on the
    first): the check and the reservation of the ids are one step, so one publishes
    and the other answers duplicates once Kafka acknowledged the first."""
    run = uuid.uuid4().hex[:8]
    document = json.loads((FIXTURES / "twitter_tweets.json").read_text())
    for tweet in document["tweet_create_events"]:
        tweet["id_str"] += run
    body = json.dumps(document).encode()
    ids = {f"twitter:{t['id_str']}".encode() for t in document["tweet_create_events"]}
    headers = {
        "Content-Type": "application/json",
        "X-Twitter-Webhooks-Signature": twitter_signature(body, "twitter-secret"),
    }
    publisher = EventPublisher(ingest_settings, ingest_settings.ingest_publish_timeout_seconds)
    app = create_app(ingest_settings, publisher)

    async def deliver_twice() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            return await asyncio.gather(
                *(client.post("/webhooks/twitter", content=body, headers=headers) for _ in range(2))
            )

    try:
        responses = asyncio.run(deliver_twice())
    finally:
        publisher.close()
    assert [r.status_code for r in responses] == [200, 200]
    outcomes = sorted((r.json()["accepted"], r.json()["duplicates"]) for r in responses)
    assert outcomes == [(0, len(ids)), (len(ids), 0)]
    published = raw.read_to_end(match=with_ids(ids))
    assert sorted(dict(r.headers)["event_id"] for r in published) == sorted(ids)


@pytest.mark.parametrize(
    "body,content_type,status,reason",
    [
        (b'{"object": "page", "entry": [', "application/json", 400, "not valid JSON"),
        (b'{"object": "user", "entry": []}', "application/json", 400, "unknown Meta object"),
        (b'{"object": "page", "entry": []}', "text/plain", 415, "application/json"),
        (b'{"pad": "' + b"x" * 3000 + b'"}', "application/json", 413, "larger than"),
    ],
)
def test_bad_input_gets_a_4xx_with_the_reason(ingest_settings, body, content_type, status, reason):
    small = ingest_settings.model_copy(update={"ingest_max_body_bytes": 2048})
    with TestClient(create_app(small)) as client:
        response = meta_post(client, body, **{"Content-Type": content_type})
    assert response.status_code == status
    assert reason in response.json()["detail"]


def test_kafka_down_answers_503_never_200(ingest_settings):
    down = ingest_settings.model_copy(
        update={"kafka_bootstrap_servers": "127.0.0.1:1", "ingest_publish_timeout_seconds": 2.0}
    )
    with TestClient(create_app(down)) as client:
        response = meta_post(client, (FIXTURES / "meta_messenger.json").read_bytes())
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_subscription_handshakes(client):
    ok = client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"},
    )
    assert (ok.status_code, ok.text) == (200, "42")
    bad = client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
    )
    assert bad.status_code == 403
    crc = client.get("/webhooks/twitter", params={"crc_token": "abc"})
    assert crc.json() == {"response_token": twitter_signature(b"abc", "twitter-secret")}
    oracle = client.get("/webhooks/twitter", params={"crc_token": '{"for_user_id": "1"}'})
    assert oracle.status_code == 400


def test_ready_with_kafka_and_metrics_count_outcomes(client):
    assert client.get("/readyz").json() == {"status": "ready"}
    meta_post(client, b'{"object": "page", "entry": [')
    metrics = client.get("/metrics/").text
    assert 'socialcare_ingest_requests_total{platform="meta",status="400"}' in metrics
