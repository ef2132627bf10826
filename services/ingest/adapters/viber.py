"""Viber REST bot API callbacks: only ``message`` callbacks carry a customer message."""

from __future__ import annotations

from socialcare.ingest.adapters.base import (
    BadPayload,
    Context,
    Parsed,
    as_id,
    from_epoch,
    load_json,
    payload_errors,
)
from socialcare.markets import market_of_country
from socialcare.schema import Attachment, Author, Event, Kind


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    # message_token exceeds 2**53; json.loads keeps integers exact and as_id makes
    # them strings, so the id is never rounded through a float.
    payload = load_json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise BadPayload("Viber payload must be an object with an event field (a string)")
    event = payload["event"]
    if event != "message":
        # delivered, seen, failed, subscribed, unsubscribed, conversation_started, webhook
        return Parsed(ignored=[f"viber:{event}"])
    with payload_errors("viber"):
        sender = payload["sender"]
        message = payload["message"]
        sender_id = as_id(sender["id"])
        media = message.get("media")
        kind = message.get("type", "text")
        attachments = []
        if kind != "text":
            attachments = [Attachment(type=kind, url=media)]
        text = message.get("text") or ""
        return Parsed(
            events=[
                Event(
                    platform="viber",
                    platform_message_id=as_id(payload["message_token"]),
                    kind=Kind.dm,
                    brand_account_id=ctx.viber_account_id,
                    conversation_id=f"viber:{ctx.viber_account_id}:{sender_id}",
                    author=Author(id=sender_id, display_name=sender.get("name")),
                    text=text,
                    attachments=attachments,
                    created_at=from_epoch(payload["timestamp"], "ms"),
                    received_at=ctx.received_at,
                    market=market_of_country(sender.get("country")),
                )
            ]
        )
