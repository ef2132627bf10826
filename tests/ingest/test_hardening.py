"""The holes of issue 13 in ingest, each closed: request handling with a recording
publisher (pure logic; what reaches the real Kafka is in test_http.py)."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from structlog.testing import capture_logs

from socialcare.ingest.adapters import Context
from socialcare.ingest.adapters.base import MAX_DEPTH
from socialcare.ingest.app import create_app
from socialcare.ingest.publisher import PublishError
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import twitter_signature
from socialcare.listening import ListeningRules
from socialcare.schema import KNOWN_PLATFORMS
from tests.support.linear_time import LINEAR_BOUND_SECONDS
from tests.support.webhooks import (
    API_KEY,
    OUTBOUND_KEY,
    SIGNERS,
    RecordingPublisher,
    signed_headers,
    unit_settings,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
WEBHOOKS = ["/webhooks/meta", "/webhooks/twitter", "/webhooks/viber", "/webhooks/telegram"]


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(publisher):
    settings = unit_settings(brand_handles=["voltmobile"], listening_keywords=["voltmobile"])
    with TestClient(create_app(settings, publisher)) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: bytes | dict | list, **headers: str):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=raw, headers={**signed_headers(path, raw), **headers})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# --- 1. the X CRC endpoint is no signing oracle ------------------------------------


def test_crc_refuses_to_sign_a_delivery_body(client, publisher):
    forged = json.dumps({"for_user_id": "1", "tweet_create_events": []})
    response = client.get("/webhooks/twitter", params={"crc_token": forged})
    assert response.status_code == 400
    assert "crc_token must be base64" in response.json()["detail"]
    assert "response_token" not in response.text


def test_crc_signs_an_x_shaped_token(client):
    token = "ODI3ZDUzMDctMjI3MC00MmE2LWJkNWQtNTQ1NzkxZjE3Yzdi"
    response = client.get("/webhooks/twitter", params={"crc_token": token})
    assert response.status_code == 200
    assert response.json() == {
        "response_token": twitter_signature(token.encode(), "twitter-secret")
    }


# --- 5. the generic API cannot pass for a native platform ---------------------------


def generic_event(**overrides: Any) -> dict[str, Any]:
    return {
        "platform": "trustpilot",
        "platform_message_id": uuid.uuid4().hex,
        "kind": "comment",
        "brand_account_id": "norda",
        "conversation_id": "trustpilot:thread-1",
        "author": {"id": "reviewer-1"},
        "text": "Delivery took three weeks",
        "created_at": "2026-11-20T08:00:00Z",
        **overrides,
    }


@pytest.mark.parametrize("platform", [*KNOWN_PLATFORMS, "meta"])
def test_generic_api_cannot_claim_a_native_platform(client, publisher, platform):
    overwrite = generic_event(platform=platform, platform_message_id="wamid.REAL")
    response = post(client, "/v1/events", [generic_event(), overwrite])
    assert response.status_code == 422
    assert f"event 1: platform '{platform}' has a native webhook" in response.json()["detail"]
    assert publisher.published == []


def test_outbound_events_need_a_key_granted_outbound(client, publisher):
    answer = generic_event(direction="outbound")
    refused = post(client, "/v1/events", answer)
    assert refused.status_code == 403
    assert "may not post outbound events" in refused.json()["detail"]
    assert publisher.published == []

    granted = post(client, "/v1/events", answer, **{"X-API-Key": OUTBOUND_KEY})
    assert granted.status_code == 200, granted.text
    assert [e.direction for e in publisher.published] == ["outbound"]


def test_generic_api_takes_its_own_sources_inbound(client, publisher):
    response = post(client, "/v1/events", generic_event(), **{"X-API-Key": API_KEY})
    assert response.status_code == 200
    assert [e.platform for e in publisher.published] == ["trustpilot"]


@pytest.mark.parametrize(
    "value,error",
    [
        ("short", "entry 1: a key needs at least 12 characters"),
        ("integration-key-1:read,erase", "entry 1: unknown permission read"),
        ("integration-key-1:outbound+admin", "entry 1: unknown permission admin"),
        ("integration-key-1, integration-key-1", "entry 2: the same key is listed twice"),
    ],
)
def test_api_key_setting_says_what_is_wrong_without_echoing_keys(value, error):
    with pytest.raises(ValidationError) as invalid:
        IngestSettings(ingest_api_keys=value)
    assert error in str(invalid.value)
    assert "integration-key-1" not in str(invalid.value)


def test_api_key_setting_stays_compatible_with_plain_keys():
    keys = IngestSettings(ingest_api_keys="integration-key-1, agent-desk-key-1:outbound")
    assert keys.ingest_api_keys == {
        "integration-key-1": {"inbound"},
        "agent-desk-key-1": {"inbound", "outbound"},
    }


# --- 7. metric labels come from a fixed set -----------------------------------------


def test_ignored_types_named_by_the_payload_do_not_become_labels(client):
    marker = f"evil{uuid.uuid4().hex}"
    viber = {"event": marker, "timestamp": 1795423000000}
    messenger = fixture("meta_messenger.json")
    messenger["entry"][0]["messaging"] = [{"sender": {"id": "1"}, marker: {}}]
    telegram = {"update_id": 1, marker: {}}
    tweets = {
        "for_user_id": "1",
        f"{marker}_events": [],
        "direct_message_events": [{"type": marker}],
    }
    for path, body in [
        ("/webhooks/viber", viber),
        ("/webhooks/meta", messenger),
        ("/webhooks/telegram", telegram),
        ("/webhooks/twitter", tweets),
    ]:
        response = post(client, path, body)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["ignored"] >= 1
    metrics = client.get("/metrics/").text
    assert marker not in metrics
    for label in ("viber:other", "messenger:other", "telegram:other", "twitter:other"):
        assert f'socialcare_ingest_ignored_total{{type="{label}"}}' in metrics


def test_documented_ignored_types_keep_their_label(client):
    assert post(client, "/webhooks/viber", fixture("viber_delivered.json")).status_code == 200
    metrics = client.get("/metrics/").text
    assert 'socialcare_ingest_ignored_total{type="viber:delivered"}' in metrics


# --- 10. bad input is a 4xx with a reason, never a 500 ------------------------------


@pytest.mark.parametrize("path", [*WEBHOOKS, "/v1/events"])
@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 500 + b"]" * 500, b"[" * 70 + b"]" * 70],
    ids=["100k-arrays", "100k-objects", "depth-500", "depth-70"],
)
def test_deeply_nested_json_is_refused_with_the_reason(client, publisher, path, body):
    response = post(client, path, body)
    assert response.status_code == 400
    assert f"nests deeper than {MAX_DEPTH} levels" in response.json()["detail"]


@pytest.mark.parametrize("path", [*WEBHOOKS, "/v1/events"])
@pytest.mark.parametrize(
    "body", [b'{"a": NaN}', b"[Infinity]", b'{"a": ' + b"1" * 5000 + b"}"], ids=str
)
def test_non_json_numbers_are_refused_with_the_reason(client, path, body):
    response = post(client, path, body)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize("meta_object", [["page"], {"page": 1}, 1, None])
def test_a_meta_object_that_is_no_string_is_a_400(client, meta_object):
    # Found by test_properties: a list as "object" was looked up in a dict (TypeError, 500).
    response = post(client, "/webhooks/meta", {"object": meta_object, "entry": []})
    assert response.status_code == 400
    assert "unknown Meta object type" in response.json()["detail"]


def _set(document: Any, path: tuple, value: Any) -> Any:
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


# Every timestamp an adapter converts, in its fixture.
TIMESTAMPS = [
    ("/webhooks/telegram", "telegram_message.json", ("message", "date")),
    ("/webhooks/telegram", "telegram_edited.json", ("edited_message", "edit_date")),
    ("/webhooks/meta", "meta_messenger.json", ("entry", 0, "messaging", 0, "timestamp")),
    ("/webhooks/meta", "meta_instagram_dm.json", ("entry", 0, "messaging", 0, "timestamp")),
    ("/webhooks/meta", "meta_instagram_changes.json", ("entry", 0, "time")),
    ("/webhooks/meta", "meta_whatsapp.json", ("entry", 0, "changes", 0, "value", "messages", 0)),
    ("/webhooks/viber", "viber_message.json", ("timestamp",)),
    ("/webhooks/twitter", "twitter_dms.json", ("direct_message_events", 0, "created_timestamp")),
]


def _facebook_created_time() -> tuple[str, str, tuple]:
    feed = fixture("meta_facebook_feed.json")
    for e, entry in enumerate(feed["entry"]):
        for c, change in enumerate(entry.get("changes", [])):
            if change.get("value", {}).get("verb") == "add":
                return ("/webhooks/meta", "meta_facebook_feed.json", ("entry", e, "changes", c))
    raise AssertionError("the feed fixture has no added comment")


@pytest.mark.parametrize("value", [1e20, -1e300, 10**30, -1, "1e20", "nan", "inf", "9" * 40])
@pytest.mark.parametrize(
    "path,name,where", [*TIMESTAMPS, _facebook_created_time()], ids=lambda v: str(v)[:40]
)
def test_absurd_timestamps_are_a_422_in_every_adapter(client, publisher, path, name, where, value):
    document = fixture(name)
    if name == "meta_whatsapp.json":
        where = (*where, "timestamp")
    elif name == "meta_facebook_feed.json":
        where = (*where, "value", "created_time")
    response = post(client, path, _set(document, where, value))
    assert response.status_code == 422, response.text
    assert "Unix time" in response.json()["detail"]
    assert publisher.published == []


def test_a_signed_telegram_update_dated_1e20_is_a_422(client):
    update = _set(fixture("telegram_message.json"), ("message", "date"), 1e20)
    response = post(client, "/webhooks/telegram", update)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("telegram payload is malformed: Unix time")


# --- 11. no personal data in the logs -----------------------------------------------


def test_logs_name_events_not_people(client):
    body = (FIXTURES / "meta_whatsapp.json").read_bytes()
    with capture_logs() as logs:
        assert post(client, "/webhooks/meta", body).status_code == 200
        broken = _set(fixture("meta_whatsapp.json"), ("entry", 0, "changes", 0, "value"), {})
        broken_body = json.dumps(broken).encode()
        assert post(client, "/webhooks/meta", broken_body).status_code == 422
        phone = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 1}]}]}
        phone["entry"][0]["changes"][0]["field"] = "messages"
        phone["entry"][0]["changes"][0]["value"] = {"metadata": {"phone_number_id": [346001]}}
        assert post(client, "/webhooks/meta", phone).status_code == 422
    accepted = [entry for entry in logs if entry["event"] == "ingest.accepted"]
    assert len(accepted) == 2
    assert {"event_id", "platform", "kind"} <= accepted[0].keys()
    text = json.dumps(logs, default=str)
    for personal in ("34600111222", "Luc", "whatsapp:106540352242922:", "346001"):
        assert personal not in text


# --- catastrophic backtracking on customer text -------------------------------------

PATHOLOGICAL = ["@" * 10_000, "a@" * 10_000, "." * 50_000, "#" * 50_000, "@#." * 20_000]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: f"{t[:3]!r}x{len(t)}")
def test_listening_keywords_take_linear_time_on_pathological_text(text):
    context = Context(
        received_at=datetime.now(UTC),
        listening=ListeningRules.from_keywords(
            ("voltmobile", "volt mobile", "volt.mobile", "#volt")
        ),
    )
    started = time.perf_counter()
    context.public_kind(text + " voltmobile", tagged=["@someone"])
    context.public_kind(text, tagged=[])
    assert time.perf_counter() - started < LINEAR_BOUND_SECONDS


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: f"{t[:3]!r}x{len(t)}")
def test_a_tweet_of_pathological_text_is_taken_quickly(client, publisher, text):
    tweets = fixture("twitter_tweets.json")
    tweet = tweets["tweet_create_events"][0]
    tweet.pop("extended_tweet", None)
    tweet["text"] = tweet["full_text"] = text
    tweet["entities"] = {"user_mentions": []}
    tweet["user"]["id_str"] = "99"
    tweet.pop("in_reply_to_status_id_str", None)
    tweet.pop("in_reply_to_user_id_str", None)
    tweets["tweet_create_events"] = [tweet]
    started = time.perf_counter()
    response = post(client, "/webhooks/twitter", tweets)
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started < LINEAR_BOUND_SECONDS
    assert re.fullmatch(r"(mention|listening)", publisher.published[0].kind)


# --- OpenAPI: the requests are documented -------------------------------------------


def test_openapi_documents_request_bodies_and_the_api_key_scheme(client):
    document = client.get("/openapi.json").json()
    events = document["paths"]["/v1/events"]["post"]
    assert events["security"] == [{"ApiKey": []}]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A key of SOCIALCARE_INGEST_API_KEYS.",
    }
    body = events["requestBody"]["content"]["application/json"]["schema"]
    assert body["oneOf"][0] == {"$ref": "#/components/schemas/Event"}
    event = document["components"]["schemas"]["Event"]
    assert {"platform", "author", "created_at"} <= set(event["required"])
    assert "received_at" not in event["required"]
    assert "whatsapp" in event["properties"]["platform"]["not"]["enum"]
    assert document["components"]["schemas"]["Author"]["required"] == ["id"]
    for path in WEBHOOKS:
        operation = document["paths"][path]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["type"] == "object"
        assert operation["parameters"][0]["name"].lower() in {h.lower() for h in SIGNERS[path](b"")}


# --- 9. dedup: concurrent duplicates wait for the first publish's outcome -----------


class FirstPublishFails(RecordingPublisher):
    """The first publish waits until the second request is waiting, then fails."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.second_arrived = asyncio.Event()

    async def publish_async(self, events):
        self.calls += 1
        if self.calls == 1:
            await asyncio.wait_for(self.second_arrived.wait(), timeout=5)
            raise PublishError("broker away")
        await super().publish_async(events)


def test_a_failed_publish_releases_its_ids_to_the_waiting_duplicate():
    publisher = FirstPublishFails()
    app = create_app(unit_settings(), publisher)
    body = (FIXTURES / "viber_message.json").read_bytes()
    headers = signed_headers("/webhooks/viber", body)

    async def deliver_twice():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            deliver = lambda: client.post("/webhooks/viber", content=body, headers=headers)  # noqa: E731
            first = asyncio.create_task(deliver())
            while publisher.calls == 0:  # the first holds the reservation, in publish
                await asyncio.sleep(0)
            second = asyncio.create_task(deliver())
            # Let the second reach its wait for the first's outcome. (Were it slower, it
            # would find the ids released and publish them all the same.)
            for _ in range(100):
                await asyncio.sleep(0)
            publisher.second_arrived.set()
            return await first, await second

    first, second = asyncio.run(deliver_twice())
    assert first.status_code == 503
    # Not a "duplicate" of something Kafka never took: the waiting request published it.
    assert (second.status_code, second.json()["accepted"]) == (200, 1)
    assert [e.event_id for e in publisher.published] == ["viber:5741311803571721087"]


# --- contract findings of test_fuzz_api (schemathesis), kept as examples ---------------


def test_options_on_a_path_with_get_and_post_names_both(client):
    response = client.options("/webhooks/meta")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_meta_handshake_errors_are_json_as_documented(client):
    response = client.get("/webhooks/meta", params={"hub.mode": "subscribe"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    responses = client.get("/openapi.json").json()["paths"]["/webhooks/meta"]["get"]["responses"]
    assert list(responses["403"]["content"]) == ["application/json"]
    assert list(responses["200"]["content"]) == ["text/plain"]


def test_parameter_errors_have_a_string_detail(client):
    response = client.get("/webhooks/twitter")
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "detail": "invalid request: crc_token: Field required",
        "errors": [{"loc": ["query", "crc_token"], "msg": "Field required", "type": "missing"}],
    }


@pytest.mark.parametrize(
    "overrides,where",
    [
        ({"created_at": 0}, "created_at"),
        ({"author": {"id": "a", "follower_count": "5"}}, "author.follower_count"),
        ({"author": {"id": "a", "follower_count": True}}, "author.follower_count"),
        ({"platform_message_id": "9" * 224}, "platform_message_id"),
        ({"created_at": "0001-01-01T00:00:00+23:59"}, "a date-time out of range"),
        ({"created_at": "9999-12-31T23:59:59-23:59"}, "a date-time out of range"),
    ],
)
def test_generic_events_are_checked_as_strictly_as_documented(client, overrides, where):
    response = post(client, "/v1/events", generic_event(**overrides))
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"event 0: {where}")


def test_a_json_integer_written_as_a_float_is_an_integer(client, publisher):
    event = generic_event(author={"id": "a", "follower_count": 3.0}, schema_version=1.0)
    assert post(client, "/v1/events", event).status_code == 200
    assert publisher.published[0].author.follower_count == 3


@pytest.mark.parametrize(
    "path,body,status",
    [
        ("/webhooks/telegram", {"update_id": {}}, 400),
        ("/webhooks/viber", {"event": {}}, 400),
        ("/webhooks/meta", {"object": "page", "entry": {}}, 422),
    ],
)
def test_documented_top_level_fields_are_checked(client, path, body, status):
    response = post(client, path, body)
    assert response.status_code == status
    assert response.json()["detail"]
