"""``POST /v1/events``: events already in the shared schema, one or a batch."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ConfigDict, ValidationError, create_model

from socialcare.ingest.adapters.base import BadPayload, Context, Parsed, load_json
from socialcare.schema import RESERVED_PLATFORMS, Direction, Event, event_id_for

MAX_BATCH = 1000
# event_id is "<platform>:<platform_message_id>" and at most 256 characters; a platform
# name has at most 32, so this many are always left for the message id.
MAX_MESSAGE_ID = 256 - 32 - 1

# The event's fields without its validators, checked strictly against the JSON: the
# documented schema says a date-time is a string and a count an integer, and pydantic's
# lax mode would take 0 as a date or "5" as a count. (Event itself cannot be validated
# strictly from JSON: its "before" validator turns the input into Python objects first.)
_EventShape = create_model(
    "EventShape",
    __config__=ConfigDict(extra="forbid"),
    **{name: (field.annotation, field) for name, field in Event.model_fields.items()},
)


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    payload = load_json(body)
    items: list[Any] = payload if isinstance(payload, list) else [payload]
    if not items:
        raise BadPayload("empty batch", status=422)
    if len(items) > MAX_BATCH:
        raise BadPayload(f"a batch holds at most {MAX_BATCH} events", status=422)
    events = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadPayload(f"event {index}: must be a JSON object", status=422)
        # The sender may omit received_at (ingest is the one that receives it) and
        # event_id (it follows from platform and platform_message_id).
        item = {"received_at": ctx.received_at.isoformat(), **item}
        if isinstance(item.get("platform"), str) and isinstance(
            item.get("platform_message_id"), str
        ):
            item.setdefault("event_id", event_id_for(item["platform"], item["platform_message_id"]))
        message_id = item.get("platform_message_id")
        if isinstance(message_id, str) and len(message_id) > MAX_MESSAGE_ID:
            raise BadPayload(
                f"event {index}: platform_message_id: at most {MAX_MESSAGE_ID} characters",
                status=422,
            )
        try:
            _EventShape.model_validate_json(json.dumps(_integral(item)), strict=True)
            events.append(Event.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "event"
            raise BadPayload(f"event {index}: {where}: {first['msg']}", status=422) from exc
        except ArithmeticError as exc:
            # Normalizing to UTC overflows for 0001-01-01T00:00+23:59 and the like.
            raise BadPayload(f"event {index}: a date-time out of range: {exc}", status=422) from exc
        _check_claims(index, events[-1], ctx)
    return Parsed(events=events)


def _integral(value: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3 (as JSON Schema says), which the
    strict check would refuse for an integer field."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_integral(child) for child in value]
    return value


def _check_claims(index: int, event: Event, ctx: Context) -> None:
    """An API key speaks for its own sources only.

    A native platform's name would let a key overwrite a real WhatsApp or X message by
    id (same event_id) or join a real conversation; an outbound event marks a
    conversation answered and stops its SLA clock. Both are the webhooks' job, or a
    key's that was granted `outbound`.
    """
    if event.platform in RESERVED_PLATFORMS:
        raise BadPayload(
            f"event {index}: platform {event.platform!r} has a native webhook; the generic "
            "API takes other sources only",
            status=422,
        )
    if event.direction == Direction.outbound and "outbound" not in ctx.permissions:
        raise BadPayload(
            f"event {index}: this API key may not post outbound events (grant it "
            "`key:outbound` in SOCIALCARE_INGEST_API_KEYS)",
            status=403,
        )
