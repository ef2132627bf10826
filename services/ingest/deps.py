"""What the routes are given, declared once as ``Annotated`` aliases.

``provide`` puts the settings, the publisher and the intake on an app: ``create_app``
calls it, and so does a test that mounts one router on a bare FastAPI app.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from starlette.responses import Response

from socialcare.http import app_state
from socialcare.ingest import signatures
from socialcare.ingest.enrichment import Enricher
from socialcare.ingest.intake import Intake, refusals
from socialcare.ingest.metrics import REQUESTS
from socialcare.ingest.publisher import EventPublisher
from socialcare.ingest.settings import IngestSettings

API_KEY_SCHEME = "ApiKey"
API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name=API_KEY_SCHEME,
    description="A key of SOCIALCARE_INGEST_API_KEYS.",
    auto_error=False,  # a missing key is refused like a wrong one, with the reason
)


def provide(
    app: FastAPI,
    settings: IngestSettings,
    publisher: EventPublisher,
    enricher: Enricher | None = None,
) -> None:
    app.state.settings = settings
    app.state.publisher = publisher
    app.state.enricher = enricher or Enricher(settings, publisher)
    app.state.intake = Intake(settings, publisher, app.state.enricher)


SettingsDep = Annotated[IngestSettings, Depends(app_state("settings"))]
PublisherDep = Annotated[EventPublisher, Depends(app_state("publisher"))]
IntakeDep = Annotated[Intake, Depends(app_state("intake"))]


async def _read_body(request: Request, settings: SettingsDep) -> bytes:
    """The body as sent (signatures are over these bytes), bounded in size, and JSON."""
    limit = settings.ingest_max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise HTTPException(415, f"content type must be application/json, not {content_type!r}")
    return bytes(body)


async def _api_key_permissions(
    key: Annotated[str | None, Security(API_KEY)], settings: SettingsDep
) -> frozenset[str]:
    with refusals("generic"):
        return signatures.verify_api_key(key, settings.ingest_api_keys)


# Declare RawBody before CallerPermissions: a body too large or not JSON is refused
# (413, 415) before its sender's credentials are looked at, as for the webhooks.
RawBody = Annotated[bytes, Depends(_read_body)]
# What the caller's X-API-Key permits (inbound, outbound); 401/403 without a valid key.
CallerPermissions = Annotated[frozenset[str], Depends(_api_key_permissions)]


def counted_route(platform: str) -> type[APIRoute]:
    """A route class counting each request by platform and the status it gets,
    including the refusals of its dependencies (RawBody, CallerPermissions).

    A route class rather than a ``yield`` dependency: the same count without an exit
    stack per request (about a tenth of a webhook's CPU, bench/ingest.py).
    """

    class CountedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def counted(request: Request) -> Response:
                status = 500  # a bug: counted as what the sender gets, not as a 200
                try:
                    response = await handler(request)
                    status = response.status_code
                    return response
                except HTTPException as exc:
                    status = exc.status_code
                    raise
                finally:
                    REQUESTS.labels(platform, str(status)).inc()

            return counted

    return CountedRoute
