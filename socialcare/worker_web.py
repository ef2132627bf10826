"""Health, readiness and metrics pages for faust workers (served by faust's web server)."""

from __future__ import annotations

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest


def add_ops_pages(app: faust.App) -> None:
    """/healthz: the process runs. /readyz: partitions assigned and not rebalancing.
    /metrics: Prometheus."""

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            assigned = bool(app.consumer.assignment()) if app.consumer else False
            ready = assigned and not app.rebalancing
            return self.json(
                {"status": "ready" if ready else "not ready", "assigned": assigned},
                status=200 if ready else 503,
            )

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            # aiohttp wants the charset apart from the content type.
            return self.text(generate_latest().decode(), content_type="text/plain; version=0.0.4")
