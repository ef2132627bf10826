"""The poller's web pages: health, readiness (and why not), metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from socialcare.listen.app import create_app
from socialcare.listen.settings import ListenSettings


def test_without_a_token_it_is_alive_but_not_ready_and_says_why():
    settings = ListenSettings(listen_x_bearer_token=None)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "SOCIALCARE_LISTEN_X_BEARER_TOKEN" in ready.json()["detail"]
        metrics = client.get("/metrics/").text
        assert "socialcare_listening_polls_total" in metrics


def test_the_token_is_a_secret():
    settings = ListenSettings(listen_x_bearer_token="x-secret-token")
    assert "x-secret-token" not in repr(settings)
