"""``POST /v1/events``: events already in the shared schema, one or a batch."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.ingest.adapters.base import BadPayload, Context, Parsed, load_json
from socialcare.schema import Event

MAX_BATCH = 1000


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    payload = load_json(body)
    items: list[Any] = payload if isinstance(payload, list) else [payload]
    if not items:
        raise BadPayload("empty batch", status=422)
    if len(items) > MAX_BATCH:
        raise BadPayload(f"a batch holds at most {MAX_BATCH} events", status=413)
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
    return Parsed(events=events)
