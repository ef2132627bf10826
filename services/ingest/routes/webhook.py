"""What every delivery endpoint declares: its answers, its metric, its request."""

from __future__ import annotations

from typing import Any

from socialcare import http
from socialcare.ingest.deps import counted_as
from socialcare.ingest.intake import IngestResult

ERRORS = http.error_responses(400, 401, 403, 413, 415, 422, 503)


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
        "dependencies": [counted_as(platform)],
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
