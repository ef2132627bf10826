"""What every delivery endpoint declares: its answers, its metric, its request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import Headers

from socialcare import http
from socialcare.ingest.adapters import Adapter
from socialcare.ingest.deps import IntakeDep, RawBody, SettingsDep, counted_route
from socialcare.ingest.intake import IngestResult, refusals
from socialcare.ingest.settings import IngestSettings

ERRORS = http.error_responses(400, 401, 403, 413, 415, 422, 503)
# Checks a delivery's signature over the raw body; raises SignatureError.
Verify = Callable[[bytes, Headers, IngestSettings], None]


def add_webhook(
    router: APIRouter,
    paths: Sequence[str],
    platform: str,
    adapter: Adapter,
    verify: Verify,
    description: str,
    documented: dict[str, Any],
) -> None:
    """``POST paths[0]``, a platform's deliveries: signature, then the adapter and the
    intake. ``paths[1:]`` are old paths still answered, deprecated in the OpenAPI
    document. ``documented`` is the request as ``signed_request`` describes it."""

    async def deliver(
        request: Request, body: RawBody, settings: SettingsDep, intake: IntakeDep
    ) -> IngestResult:
        with refusals(platform):
            verify(body, request.headers, settings)
        return await intake.take(platform, adapter, dict(request.headers), body)

    for number, path in enumerate(paths):
        options = delivery(path, platform, description, documented)
        router.add_api_route(path, deliver, methods=["POST"], deprecated=number > 0, **options)


def delivery(path: str, platform: str, description: str, request: dict[str, Any]) -> dict[str, Any]:
    """The options of a POST route taking deliveries; ``platform`` labels its metric.

    The handlers read the raw body (signatures are over the exact bytes), so FastAPI
    cannot see it; ``request`` describes it in the OpenAPI document instead.
    """
    return {
        "response_model": IngestResult,
        "responses": ERRORS,
        "summary": f"Deliveries to {path}",
        "description": description,
        "name": f"deliver_{platform}",
        "openapi_extra": request,
        "route_class_override": counted_route(platform),
    }


def signed_request(header: str, header_value: str, required: dict[str, Any]) -> dict[str, Any]:
    """A webhook's request: its signature header and the platform's JSON object.

    Only the top-level fields every delivery has are described; the rest is the
    platform's documented payload, and a delivery without what the adapter needs is
    answered 422 naming the field.
    """
    return {
        "parameters": [
            {
                "name": header,
                "in": "header",
                "required": True,
                "description": header_value,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": required,
                        "required": sorted(required),
                    }
                }
            },
        },
    }
