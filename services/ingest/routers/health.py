"""``/healthz`` and ``/readyz``: ingest is ready when Kafka is reachable."""

from __future__ import annotations

import anyio.to_thread

from socialcare import http
from socialcare.ingest.deps import PublisherDep


async def kafka_ready(publisher: PublisherDep) -> str | None:
    """Only with Kafka reachable can a delivery be acknowledged."""
    if not await anyio.to_thread.run_sync(publisher.is_ready):
        return "Kafka is not reachable"
    return None


router = http.health_router(
    kafka_ready, description="Kafka is reachable: only then can a delivery be acknowledged."
)
