"""``GET /v1/alerts`` over the alerts the worker stores, against the real Elasticsearch."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.alerts import store
from socialcare.http import install_error_handlers
from socialcare.schema import Alert, AlertStatus
from socialcare.search.deps import get_elasticsearch, get_settings
from socialcare.search.routers import alerts
from socialcare.search.settings import SearchSettings
from tests.support.alerts import spike_alert, write_alerts
from tests.support.search_index import AGENT

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def alert(alert_id: str, status: AlertStatus, minute: int, terms: list[str]) -> Alert:
    return spike_alert(alert_id, status, T0, T0 + timedelta(minutes=minute), terms=terms)


@pytest.fixture(scope="module")
def search_settings(stack, settings) -> SearchSettings:
    return SearchSettings(
        **{
            **settings.model_dump(),
            "index_alias": f"test-alerts-{uuid.uuid4().hex[:8]}",
            "search_api_keys": f"{AGENT['X-API-Key']}:read",
        }
    )


def client(settings: SearchSettings, es) -> TestClient:
    app = FastAPI()
    install_error_handlers(app, service="test")
    app.include_router(alerts.router)
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_elasticsearch] = lambda: es
    return TestClient(app)


def test_alerts_are_listed_newest_first_and_by_status(search_settings):
    write_alerts(
        search_settings,
        [alert("a-1", AlertStatus.open, 0, ["voltbuds"])],
        [alert("a-1", AlertStatus.updated, 2, ["voltbuds", "pro"])],
        [alert("a-2", AlertStatus.cleared, 1, ["kettle"])],
    )
    es = elastic.async_client(search_settings)
    try:
        with client(search_settings, es) as api:
            everything = api.get("/v1/alerts", headers=AGENT)
            assert everything.status_code == 200, everything.text
            body = everything.json()
            assert body["total"] == 2  # one document per alert: its latest state
            assert [a["alert_id"] for a in body["alerts"]] == ["a-1", "a-2"]
            assert body["alerts"][0]["terms"] == ["voltbuds", "pro"]
            opened = api.get("/v1/alerts", params={"status": "open"}, headers=AGENT).json()
            assert [a["alert_id"] for a in opened["alerts"]] == ["a-1"]
            cleared = api.get("/v1/alerts", params={"status": "cleared"}, headers=AGENT).json()
            assert [a["alert_id"] for a in cleared["alerts"]] == ["a-2"]
            assert api.get("/v1/alerts").status_code == 401
    finally:
        elastic.client(search_settings).indices.delete(index=store.alerts_index(search_settings))


def test_no_alerts_index_yet_is_no_alert(search_settings):
    es = elastic.async_client(search_settings)
    settings = search_settings.model_copy(update={"index_alias": "test-alerts-none"})
    with client(settings, es) as api:
        assert api.get("/v1/alerts", headers=AGENT).json() == {"total": 0, "alerts": []}
