"""The agents' API over the events and conversations indices, and their actions on
support.actions: the app factory, which only wires the routers (one per resource, in
routers/), the middleware and the lifespan."""

import pathlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from elasticsearch.exceptions import ApiError, TransportError
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from kafka.errors import KafkaError
from prometheus_client import make_asgi_app

from socialcare import elastic, http
from socialcare.erasure import ErasureLogUnavailable
from socialcare.publishing import Publisher, PublishError
from socialcare.search import middleware
from socialcare.search.deps import ElasticDep, SettingsDep
from socialcare.search.routers import (
    actions,
    alerts,
    authors,
    conversations,
    docs,
    inbox,
    metrics,
    search,
    similar,
    stats,
)
from socialcare.search.settings import SearchSettings
from socialcare.topics import ACTIONS

CONSOLE = pathlib.Path(__file__).resolve().parent / "console"
ROUTERS = (
    search.router,
    inbox.router,
    conversations.router,
    actions.router,
    authors.router,
    similar.router,
    stats.router,
    metrics.router,
    alerts.router,
)
UNAVAILABLE = {
    TransportError: "Elasticsearch is unavailable",
    PublishError: "Kafka did not acknowledge the action; send it again with the same action_id",
    ErasureLogUnavailable: "the erasure log cannot be read now",
    KafkaError: "Kafka is unavailable",
}


def actions_publisher(settings: SearchSettings) -> Publisher:
    """support.actions, each action with its id as a header."""
    return Publisher(
        settings,
        settings.search_publish_timeout_seconds,
        ACTIONS.name,
        stage="search",
        headers=lambda action: [("action_id", action.action_id.encode())],  # type: ignore[attr-defined]
    )


def create_app(
    settings: SearchSettings | None = None, publisher: Publisher | None = None
) -> FastAPI:
    """The app; ``publisher`` replaces the support.actions publisher (tests)."""
    settings = settings or SearchSettings()
    publisher = publisher or actions_publisher(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.elasticsearch = elastic.async_client(settings)
        app.state.publisher = publisher  # connects on the first action, not here
        try:
            yield
        finally:
            await app.state.elasticsearch.close()
            publisher.close()

    app = FastAPI(
        title="socialcare search",
        version="1",
        summary="Search conversation history: full text, threads, customers, similar messages.",
        lifespan=lifespan,
        docs_url=None,  # routers/docs.py serves it, with a policy that lets Swagger UI run
        redoc_url=None,
    )
    app.state.settings = settings
    app.mount("/metrics", make_asgi_app())
    # The agent console: static files calling this API with the agent's key.
    app.mount("/console", StaticFiles(directory=CONSOLE, html=True), name="console")
    app.middleware("http")(middleware.count_requests)
    app.middleware("http")(middleware.security_headers)
    http.install_error_handlers(
        app,
        service="search",
        unavailable=UNAVAILABLE,
        headers=middleware.ERROR_HEADERS,
    )
    app.include_router(docs.docs_router(app.title))
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(
        http.health_router(ready, description="Elasticsearch answers and the events alias exists.")
    )
    return app


async def ready(es: ElasticDep, settings: SettingsDep) -> str | None:
    """Why the API cannot answer yet, if it cannot."""
    alias = settings.index_alias
    try:
        if not await es.indices.exists_alias(name=alias):
            return f"index alias {alias!r} does not exist"
    except (TransportError, ApiError):
        return "Elasticsearch is unavailable"
    return None
