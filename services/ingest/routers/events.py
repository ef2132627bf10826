"""``POST /v1/events``: events from any other source, already in the shared schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from socialcare.ingest.adapters import generic
from socialcare.ingest.adapters.generic import MAX_BATCH, MAX_MESSAGE_ID
from socialcare.ingest.deps import CallerPermissions, IntakeDep, RawBody
from socialcare.ingest.intake import IngestResult
from socialcare.ingest.routers.webhook import delivery
from socialcare.schema import RESERVED_PLATFORMS, Event

router = APIRouter(tags=["events"])
PATH = "/v1/events"
EVENT_REF = {"$ref": "#/components/schemas/Event"}
BATCH = {"type": "array", "items": EVENT_REF, "minItems": 1, "maxItems": MAX_BATCH}


async def deliver_events(
    request: Request, body: RawBody, permissions: CallerPermissions, intake: IntakeDep
) -> IngestResult:
    return await intake.take("generic", generic.parse, dict(request.headers), body, permissions)


# add_api_route, not @router.post: the decorator takes no route class (delivery's count).
router.add_api_route(
    PATH,
    deliver_events,
    methods=["POST"],
    **delivery(
        PATH,
        "generic",
        "Events from any other source, already in the shared schema: one object or a "
        f"list of at most {MAX_BATCH}. `received_at` and `event_id` may be omitted. "
        "The native platforms' names are reserved for their webhooks (422); "
        "`direction: outbound` needs a key granted `outbound` (403). Requires an "
        "`X-API-Key` header.",
        {
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"oneOf": [EVENT_REF, BATCH]}}},
            },
        },
    ),
)


def document_event_schemas(app: FastAPI) -> None:
    """Add the Event schema the request body refers to to ``app``'s OpenAPI document."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(_event_schemas())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _event_schemas() -> dict[str, Any]:
    """The JSON Schema of an event as POST /v1/events takes it, from the pydantic model."""
    schema = Event.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    # Filled in by ingest: received_at when omitted, event_id from platform and
    # platform_message_id (if sent, it must equal "<platform>:<platform_message_id>").
    schema["required"] = [f for f in schema["required"] if f not in {"received_at", "event_id"}]
    schema["properties"]["event_id"]["readOnly"] = True
    schema["properties"]["platform"]["not"] = {"enum": sorted(RESERVED_PLATFORMS)}
    schema["properties"]["platform_message_id"]["maxLength"] = MAX_MESSAGE_ID
    return {**definitions, "Event": schema}
