"""The ingest HTTP service: wires the routers (``routers/``) to their dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import make_asgi_app

from socialcare import http
from socialcare.ingest.deps import provide
from socialcare.ingest.enrichment import Enricher
from socialcare.ingest.publisher import EventPublisher
from socialcare.ingest.routers import events, health, meta, telegram, twitter, viber
from socialcare.ingest.settings import IngestSettings


def create_app(
    settings: IngestSettings | None = None,
    publisher: EventPublisher | None = None,
    enricher: Enricher | None = None,
) -> FastAPI:
    """The app; ``publisher`` and ``enricher`` replace the Kafka publisher and the
    Graph API enricher (tests)."""
    settings = settings or IngestSettings()
    publisher = publisher or EventPublisher(settings, settings.ingest_publish_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.enricher.aclose()
        publisher.close()

    app = FastAPI(
        title="socialcare ingest",
        version="1",
        summary="Platform webhooks in, normalized events out to social.events.raw.",
        lifespan=lifespan,
    )
    provide(app, settings, publisher, enricher)
    http.install_error_handlers(app, service="ingest")
    for module in (meta, twitter, viber, telegram, events, health):
        app.include_router(module.router)
    events.document_event_schemas(app)
    app.mount("/metrics", make_asgi_app())
    return app
