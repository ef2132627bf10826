"""Each router of the search API stands on its own: mounted on a bare app, with its
dependencies (settings, Elasticsearch) given by the test."""

from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch.exceptions import NotFoundError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from socialcare.http import install_error_handlers
from socialcare.search.api import create_app
from socialcare.search.deps import get_elasticsearch, get_settings
from socialcare.search.routers import conversations
from socialcare.search.settings import SearchSettings
from tests.support.search_index import AGENT, ROWS, routed

SETTINGS = SearchSettings(search_api_keys="agent-key-0123456789:read")


class FakeElasticsearch:
    """Answers searches from a list of documents, one page."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs
        self.queries: list[dict[str, Any]] = []

    async def search(self, **request: Any) -> dict[str, Any]:
        self.queries.append(request)
        wanted = request["query"]["term"]["conversation_id"]
        hits = [{"_source": d} for d in self.docs if d["conversation_id"] == wanted]
        return {"hits": {"hits": hits}}

    async def get(self, **request: Any) -> dict[str, Any]:
        self.queries.append(request)  # the conversation's state: none here
        meta = ApiResponseMeta(404, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
        raise NotFoundError("not found", meta, {"found": False})


def _client(es: FakeElasticsearch) -> TestClient:
    app = FastAPI()
    install_error_handlers(app, service="test")
    app.include_router(conversations.router)
    app.dependency_overrides[get_settings] = lambda: SETTINGS
    app.dependency_overrides[get_elasticsearch] = lambda: es
    return TestClient(app)


def _doc(row: tuple) -> dict[str, Any]:
    return {**routed(row).model_dump(mode="json"), "indexed_at": "2026-01-01T00:00:00Z"}


def test_the_conversations_router_on_a_bare_app() -> None:
    es = FakeElasticsearch([_doc(row) for row in ROWS])
    client = _client(es)
    thread = client.get("/v1/conversations/c-1", headers=AGENT)
    assert thread.status_code == 200, thread.text
    assert [e["conversation_id"] for e in thread.json()["events"]] == ["c-1", "c-1"]
    assert es.queries[0]["index"] == SETTINGS.index_alias
    assert client.get("/v1/conversations/c-404", headers=AGENT).json()["status"] == 404


def test_a_router_checks_the_key_before_it_searches() -> None:
    es = FakeElasticsearch([])
    client = _client(es)
    assert client.get("/v1/conversations/c-1").json()["status"] == 401
    assert client.get("/v1/conversations/c-1", headers={"X-API-Key": "x" * 20}).status_code == 403
    assert es.queries == []


class BrokenElasticsearch:
    async def search(self, **request: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")


def test_the_catch_all_500_carries_the_security_headers() -> None:
    app = create_app(SETTINGS)
    app.dependency_overrides[get_elasticsearch] = BrokenElasticsearch
    answer = TestClient(app, raise_server_exceptions=False).get(
        "/v1/conversations/c-1", headers=AGENT
    )
    assert answer.status_code == 500
    assert answer.json() == {"status": 500, "detail": "internal error", "errors": []}
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.headers["X-Frame-Options"] == "DENY"
