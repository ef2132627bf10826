"""Each router on a bare FastAPI app, and the old Twitter names kept as aliases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from socialcare.ingest.app import create_app
from socialcare.ingest.deps import provide
from socialcare.ingest.routers import events, telegram, twitter
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import twitter_signature
from tests.support.webhooks import RecordingPublisher, signed_headers, unit_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def bare_app(router_module, publisher: RecordingPublisher) -> FastAPI:
    app = FastAPI()
    provide(app, unit_settings(), publisher)
    app.include_router(router_module.router)
    return app


def requests_counted(platform: str, status: int) -> float:
    labels = {"platform": platform, "status": str(status)}
    return REGISTRY.get_sample_value("socialcare_ingest_requests_total", labels) or 0.0


def test_one_router_on_a_bare_app_takes_deliveries():
    publisher = RecordingPublisher()
    client = TestClient(bare_app(telegram, publisher))
    body = (FIXTURES / "telegram_message.json").read_bytes()
    response = client.post(
        "/webhooks/telegram", content=body, headers=signed_headers("/webhooks/telegram", body)
    )
    assert response.status_code == 200, response.text
    assert [e.platform for e in publisher.published] == ["telegram"]
    assert list(client.app.openapi()["paths"]) == ["/webhooks/telegram"]
    assert client.post("/webhooks/meta", content=body).status_code == 404


def test_refusals_of_the_dependencies_are_counted_with_their_status():
    client = TestClient(bare_app(events, RecordingPublisher()))
    before = requests_counted("generic", 401), requests_counted("generic", 415)
    unkeyed = client.post("/v1/events", content=b"{}", headers={"Content-Type": "application/json"})
    not_json = client.post("/v1/events", content=b"{}", headers={"Content-Type": "text/plain"})
    assert (unkeyed.status_code, not_json.status_code) == (401, 415)
    after = requests_counted("generic", 401), requests_counted("generic", 415)
    assert after == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("path", ["/webhooks/twitter", "/webhooks/x"])
def test_the_twitter_webhook_answers_on_its_old_path_too(path):
    publisher = RecordingPublisher()
    client = TestClient(bare_app(twitter, publisher))
    crc = client.get(path, params={"crc_token": "abc"})
    assert crc.json() == {"response_token": twitter_signature(b"abc", "twitter-secret")}
    body = (FIXTURES / "twitter_tweets.json").read_bytes()
    response = client.post(path, content=body, headers=signed_headers(path, body))
    assert response.status_code == 200, response.text
    assert {e.platform for e in publisher.published} == {"twitter"}


def test_the_old_twitter_path_is_deprecated_in_the_openapi_document():
    paths = create_app(unit_settings(), RecordingPublisher()).openapi()["paths"]
    for method in ("get", "post"):
        assert paths["/webhooks/x"][method]["deprecated"] is True
        assert "deprecated" not in paths["/webhooks/twitter"][method]


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"SOCIALCARE_TWITTER_CONSUMER_SECRET": "new"}, "new"),
        ({"SOCIALCARE_X_CONSUMER_SECRET": "old"}, "old"),
        (
            {"SOCIALCARE_TWITTER_CONSUMER_SECRET": "new", "SOCIALCARE_X_CONSUMER_SECRET": "old"},
            "new",
        ),
    ],
)
def test_the_twitter_secret_is_read_from_its_name_or_its_old_one(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert IngestSettings().twitter_consumer_secret == expected
    assert IngestSettings(twitter_consumer_secret="given").twitter_consumer_secret == "given"


def test_ignored_twitter_deliveries_are_labelled_twitter():
    client = TestClient(bare_app(twitter, RecordingPublisher()))
    before = REGISTRY.get_sample_value(
        "socialcare_ingest_ignored_total", {"type": "twitter:favorite_events"}
    )
    body = json.dumps({"for_user_id": "1", "favorite_events": [{}]}).encode()
    path = "/webhooks/twitter"
    assert client.post(path, content=body, headers=signed_headers(path, body)).status_code == 200
    after = REGISTRY.get_sample_value(
        "socialcare_ingest_ignored_total", {"type": "twitter:favorite_events"}
    )
    assert after == (before or 0.0) + 1
