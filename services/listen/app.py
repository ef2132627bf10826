"""The listening poller as a process: its web pages (/healthz, /readyz, /metrics) and,
while the app runs, the poll loop (started once the brands' positions are read)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from kafka.errors import KafkaError
from prometheus_client import make_asgi_app

from socialcare import http
from socialcare.ingest.publisher import EventPublisher
from socialcare.listen.poller import Poller, poll_forever
from socialcare.listen.positions import PositionWriter, TopicMissing, read_positions
from socialcare.listen.search import RecentSearch
from socialcare.listen.settings import ListenSettings
from socialcare.listening import configured_rules
from socialcare.logging import get_logger
from socialcare.retry import retry_forever

log = get_logger(__name__)


class Service:
    """What the app runs: the poller once its positions are read."""

    def __init__(self, settings: ListenSettings) -> None:
        self.settings = settings
        self.rules = configured_rules(settings.listening_config)
        self.publisher = EventPublisher(
            settings, settings.listen_publish_timeout_seconds, stage="listen"
        )
        self.writer = PositionWriter(settings, settings.listen_publish_timeout_seconds)
        token = settings.listen_x_bearer_token
        self.search = RecentSearch(
            settings.listen_x_base_url,
            token.get_secret_value() if token else "",
            timeout=settings.listen_http_timeout_seconds,
            max_results=settings.listen_max_results,
        )
        self.poller: Poller | None = None

    async def run(self) -> None:
        if self.settings.listen_x_bearer_token is None:
            log.warning("listen.no_token")  # nothing to poll with; /readyz says why
            return

        async def read() -> dict[str, str]:
            return await anyio.to_thread.run_sync(read_positions, self.settings)

        positions = await retry_forever(
            read,
            retry_on=lambda exc: isinstance(exc, KafkaError | TopicMissing),
            event="listen.positions_retry",
        )
        self.poller = Poller(self.rules, self.search, self.publisher, self.writer, positions)
        log.info("listen.started", brands=[b.name for b in self.rules.brands])
        await poll_forever(self.poller, self.settings.listen_poll_interval_seconds)

    async def close(self) -> None:
        await self.search.close()
        self.publisher.close()
        self.writer.close()


async def ready(request: Request) -> str | None:
    service: Service = request.app.state.service
    if service.settings.listen_x_bearer_token is None:
        return "SOCIALCARE_LISTEN_X_BEARER_TOKEN is not set"
    if service.poller is None:
        return "reading the brands' positions from Kafka"
    if not await anyio.to_thread.run_sync(service.publisher.is_ready):
        return "Kafka is not reachable"
    return None


def create_app(settings: ListenSettings | None = None) -> FastAPI:
    service = Service(settings or ListenSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(service.run(), name="listen-poller")
        task.add_done_callback(_stop_on_crash)
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await service.close()

    app = FastAPI(title="socialcare listening poller", version="1", lifespan=lifespan)
    app.state.service = service
    http.install_error_handlers(app, service="listen")
    app.include_router(
        http.health_router(ready, description="Positions read and Kafka reachable: polling.")
    )
    app.mount("/metrics", make_asgi_app())
    return app


def _stop_on_crash(task: asyncio.Task[None]) -> None:
    """A poll loop that died stops the process, so Kubernetes restarts it."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("listen.crashed", error=repr(task.exception()))
    os.kill(os.getpid(), signal.SIGTERM)
