"""Telegram Bot API updates: messages, edits, and channel posts."""

from __future__ import annotations

from typing import Any

from socialcare.ingest.adapters.base import (
    BadPayload,
    Context,
    Parsed,
    as_id,
    from_epoch,
    load_json,
    payload_errors,
)
from socialcare.schema import Attachment, Author, Direction, Event, Kind

_MESSAGE_FIELDS = ("message", "edited_message", "channel_post", "edited_channel_post")
_MEDIA = ("photo", "video", "voice", "audio", "document", "sticker", "animation", "location")


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    update = load_json(body)
    if not isinstance(update, dict) or not _is_int(update.get("update_id")):
        raise BadPayload("Telegram payload must be an Update object with an integer update_id")
    field = next((f for f in _MESSAGE_FIELDS if f in update), None)
    if field is None:
        kinds = [k for k in update if k != "update_id"]
        return Parsed(ignored=[f"telegram:{kinds[0] if kinds else 'empty'}"])
    with payload_errors("telegram"):
        return Parsed(events=[_message(update[field], field, ctx)])


def _message(message: dict[str, Any], field: str, ctx: Context) -> Event:
    chat = message["chat"]
    chat_id = as_id(chat["id"])
    message_id = f"{chat_id}:{as_id(message['message_id'])}"
    edited = field.startswith("edited_")
    if edited:
        # Each edit is a new version the customer wrote; its id stays deterministic.
        message_id += f":edit:{message['edit_date']}"
    sender = message.get("from") or message.get("sender_chat") or chat
    name = " ".join(
        p for p in (sender.get("first_name"), sender.get("last_name"), sender.get("title")) if p
    )
    reply_to = message.get("reply_to_message")
    kind = Kind.dm if chat.get("type") == "private" else Kind.comment
    # The bot only sees posts of channels it administers: the brand's own channels.
    outbound = bool(sender.get("is_bot")) or field.endswith("channel_post")
    return Event(
        platform="telegram",
        platform_message_id=message_id,
        kind=kind,
        direction=Direction.outbound if outbound else Direction.inbound,
        brand_account_id=ctx.telegram_account_id,
        conversation_id=f"telegram:{chat_id}",
        parent_id=f"{chat_id}:{reply_to['message_id']}" if reply_to else None,
        author=Author(
            id=as_id(sender["id"]), handle=sender.get("username"), display_name=name or None
        ),
        text=message.get("text") or message.get("caption") or "",
        attachments=[Attachment(type=kind_) for kind_ in _MEDIA if kind_ in message],
        created_at=from_epoch(message.get("edit_date") if edited else message["date"]),
        received_at=ctx.received_at,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
