"""``POST /v1/events``: events already in the shared schema, one or a batch."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.ingest.adapters.base import BadPayload, Context, Parsed, load_json
from socialcare.schema import RESERVED_PLATFORMS, Direction, Event

MAX_BATCH = 1000


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
        # The sender may omit received_at; ingest is the one that receives it.
        item = {"received_at": ctx.received_at, **item}
        try:
            events.append(Event.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "event"
            raise BadPayload(f"event {index}: {where}: {first['msg']}", status=422) from exc
        _check_claims(index, events[-1], ctx)
    return Parsed(events=events)


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
