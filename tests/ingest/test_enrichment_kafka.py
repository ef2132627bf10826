"""An Instagram mention through the real ingest, Kafka and the emulator's Graph API:
published at once, then again with its caption and author, or marked failed."""

import json
import urllib.request
import uuid

import pytest
from fastapi.testclient import TestClient

from socialcare.ingest.app import create_app
from socialcare.ingest.settings import IngestSettings
from socialcare.schema import Enrichment, Event
from socialcare.topics import RAW
from tests.support.kafka_tail import TopicTail
from tests.support.respond_worker import add_fault
from tests.support.webhooks import SECRETS, signed_headers

pytestmark = pytest.mark.integration

ACCOUNT = "17841400000000001"


@pytest.fixture
def client(stack, settings, emulator):
    ingest_settings = IngestSettings(
        **{
            **settings.model_dump(),
            **SECRETS,
            "ingest_graph_base_url": f"{emulator}/instagram/v21.0",
            "ingest_graph_access_token": "ig-token",
            "ingest_enrichment_attempts": 3,
            "ingest_enrichment_backoff_seconds": 0.2,
        }
    )
    with TestClient(create_app(ingest_settings)) as test_client:
        yield test_client
    control(emulator, "DELETE", "/_emulator/faults")


def control(base: str, method: str, path: str, body: object = None) -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def mention_delivered(client, settings, media_id: str) -> TopicTail:
    """Post Meta's mention notification for ``media_id``; a tail of RAW from before it."""
    tail = TopicTail(settings, RAW.name)
    change = {"field": "mentions", "value": {"media_id": media_id}}
    body = json.dumps(
        {"object": "instagram", "entry": [{"id": ACCOUNT, "time": 1795422000, "changes": [change]}]}
    ).encode()
    answer = client.post(
        "/webhooks/meta", content=body, headers=signed_headers("/webhooks/meta", body)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    return tail


def copies(tail: TopicTail, media_id: str, expect: int = 2) -> list:
    wanted = f"instagram:{media_id}".encode()
    records = tail.read(expect, timeout=60, match=lambda r: dict(r.headers)["event_id"] == wanted)
    tail.close()
    return records


def graph_calls(base: str, media_id: str) -> list[dict]:
    records = control(base, "GET", "/_emulator/requests?platform=instagram")["requests"]
    return [r for r in records if media_id in json.dumps(r["query"])]


def test_a_mention_is_published_then_republished_with_its_caption(client, settings, emulator):
    media_id = str(uuid.uuid4().int)[:17]
    caption = f"@voltmobile punjač ne radi {media_id}"
    control(
        emulator,
        "POST",
        "/_emulator/instagram/media",
        {"id": media_id, "caption": caption, "username": "ana.k"},
    )
    pending, done = copies(mention_delivered(client, settings, media_id), media_id)
    first, second = (Event.model_validate_json(r.value) for r in (pending, done))
    assert (first.enrichment, first.text, first.author.id) == (Enrichment.pending, "", "unknown")
    assert (second.enrichment, second.text) == (Enrichment.done, caption)
    assert (second.author.id, second.author.handle) == ("ana.k", "ana.k")
    # The same key, so the same partition, after the first: the later copy wins.
    assert (done.key, done.partition) == (pending.key, pending.partition)
    assert done.offset > pending.offset


def test_a_failing_graph_api_is_retried_later_and_the_event_is_already_published(
    client, settings, emulator
):
    media_id = str(uuid.uuid4().int)[:17]
    control(
        emulator,
        "POST",
        "/_emulator/instagram/media",
        {"id": media_id, "caption": "kasni", "username": "ivo_p"},
    )
    add_fault(emulator, platform="instagram", kind="server_error", count=2, status=503)
    pending, done = copies(mention_delivered(client, settings, media_id), media_id)
    assert Event.model_validate_json(pending.value).enrichment == Enrichment.pending
    assert Event.model_validate_json(done.value).text == "kasni"
    assert [c["status"] for c in graph_calls(emulator, media_id)] == [503, 503, 200]


def test_when_every_attempt_fails_the_event_is_republished_marked_failed(
    client, settings, emulator
):
    media_id = str(uuid.uuid4().int)[:17]
    add_fault(emulator, platform="instagram", kind="server_error", count=3)
    pending, failed = copies(mention_delivered(client, settings, media_id), media_id)
    first, last = (Event.model_validate_json(r.value) for r in (pending, failed))
    assert last.enrichment == Enrichment.failed
    assert last == first.model_copy(update={"enrichment": Enrichment.failed})
    assert len(graph_calls(emulator, media_id)) == 3
