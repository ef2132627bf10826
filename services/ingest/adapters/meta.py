"""Meta webhooks: Messenger, Facebook Page feed, Instagram and WhatsApp Cloud API.

One endpoint receives all four; the top-level ``object`` tells them apart and one
POST may batch several entries, each with several messages or changes.
"""

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
from socialcare.markets import market_of_phone
from socialcare.schema import Attachment, Author, Direction, Enrichment, Event, Kind


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise BadPayload("Meta payload must be a JSON object")
    obj = payload.get("object")
    handlers = {
        "page": _page_entry,
        "instagram": _instagram_entry,
        "whatsapp_business_account": _whatsapp_entry,
    }
    if not isinstance(obj, str) or obj not in handlers:  # a list is no dict key (TypeError)
        raise BadPayload(f"unknown Meta object type {str(obj)[:40]!r}")
    platform = {"page": "meta", "instagram": "instagram", "whatsapp_business_account": "whatsapp"}
    if not isinstance(payload.get("entry"), list):
        raise BadPayload("Meta payload: entry must be a list", status=422)
    result = Parsed()
    with payload_errors(platform[obj]):
        for entry in payload["entry"]:
            handlers[obj](entry, ctx, result)
    return result


# --- Messenger and Instagram Direct share the `messaging` shape -------------------


def _messaging(platform: str, entry: dict[str, Any], ctx: Context, result: Parsed) -> None:
    account = as_id(entry["id"])
    for item in entry.get("messaging", []):
        message = item.get("message")
        if message is None:
            # delivery, read, postback, reaction, referral…: receipts, not messages.
            kinds = [k for k in item if k not in {"sender", "recipient", "timestamp"}]
            result.ignored.append(f"{platform}:{kinds[0] if kinds else 'unknown'}")
            continue
        if message.get("is_deleted"):
            result.ignored.append(f"{platform}:message_deleted")
            continue
        sender, recipient = as_id(item["sender"]["id"]), as_id(item["recipient"]["id"])
        outbound = bool(message.get("is_echo")) or sender == account
        customer = recipient if outbound else sender
        reply_to = (message.get("reply_to") or {}).get("mid")
        result.events.append(
            Event(
                platform=platform,
                platform_message_id=as_id(message["mid"]),
                kind=Kind.dm,
                direction=Direction.outbound if outbound else Direction.inbound,
                brand_account_id=account,
                conversation_id=f"{platform}:{account}:{customer}",
                parent_id=reply_to,
                author=Author(id=sender),
                text=message.get("text") or "",
                attachments=[_meta_attachment(a) for a in message.get("attachments", [])],
                created_at=from_epoch(item["timestamp"], "ms"),
                received_at=ctx.received_at,
            )
        )


def _meta_attachment(attachment: dict[str, Any]) -> Attachment:
    payload = attachment.get("payload") or {}
    return Attachment(type=attachment.get("type") or "file", url=payload.get("url"))


# --- Facebook Page -------------------------------------------------------------------


# Feed items a visitor's post arrives as: a text post, or one with a photo or a video.
_POST_ITEMS = frozenset({"post", "status", "photo", "video"})


def _page_entry(entry: dict[str, Any], ctx: Context, result: Parsed) -> None:
    if "messaging" in entry:
        _messaging("messenger", entry, ctx, result)
    page = as_id(entry["id"])
    for change in entry.get("changes", []):
        field, value = change.get("field"), change.get("value") or {}
        item, verb = value.get("item"), value.get("verb")
        if field == "mention":
            _page_mention(page, value, entry.get("time"), ctx, result)
        elif field != "feed" or item not in _POST_ITEMS | {"comment"}:
            result.ignored.append(f"facebook:{field}:{item}")
        elif verb != "add":
            # Edits and removals of what was already taken: nothing new to answer.
            result.ignored.append(f"facebook:{'comment' if item == 'comment' else 'post'}:{verb}")
        elif item == "comment":
            result.events.append(_facebook_comment(page, value, ctx))
        elif as_id(value["from"]["id"]) == page:
            # The Page's own posts: the brand speaking to everyone, nobody to answer.
            result.ignored.append("facebook:feed:page_post")
        else:
            result.events.append(_visitor_post(page, value, ctx))


def _visitor_post(page: str, value: dict[str, Any], ctx: Context) -> Event:
    """A post someone wrote on the Page's timeline: addressed to the brand on the
    brand's own ground, like a comment, so ``comment``; it and the comments replying to
    it are answered under the post, whose id names the conversation."""
    post_id = as_id(value["post_id"])
    author = value["from"]
    return Event(
        platform="facebook",
        platform_message_id=post_id,
        kind=Kind.comment,
        brand_account_id=page,
        conversation_id=f"facebook:{post_id}",
        author=Author(id=as_id(author["id"]), display_name=author.get("name")),
        text=value.get("message") or "",
        attachments=_post_attachments(value),
        created_at=from_epoch(value["created_time"]),
        received_at=ctx.received_at,
    )


def _post_attachments(value: dict[str, Any]) -> list[Attachment]:
    item = value.get("item")
    if item in {"photo", "video"}:
        return [Attachment(type="image" if item == "photo" else "video", url=value.get("link"))]
    return [Attachment(type="image", url=url) for url in value.get("photos") or []]


def _page_mention(
    page: str, value: dict[str, Any], time: int | None, ctx: Context, result: Parsed
) -> None:
    """Someone tagged the Page in a post or a comment elsewhere on Facebook. The ids are
    those of the feed webhook's, so a mention on the Page's own timeline, which also
    arrives as a feed change, is one event (the edge drops the second copy)."""
    item, verb = value.get("item"), value.get("verb")
    if item not in {"post", "comment"} or verb != "add":
        result.ignored.append(f"facebook:mention:{verb if item in {'post', 'comment'} else item}")
        return
    post_id = as_id(value["post_id"])
    message_id = as_id(value["comment_id"]) if item == "comment" else post_id
    created = value.get("created_time") or time
    result.events.append(
        Event(
            platform="facebook",
            platform_message_id=message_id,
            kind=Kind.mention,
            brand_account_id=page,
            conversation_id=f"facebook:{message_id}",
            parent_id=post_id if item == "comment" else None,
            author=Author(id=as_id(value["sender_id"]), display_name=value.get("sender_name")),
            text=value.get("message") or "",
            created_at=from_epoch(created) if created else ctx.received_at,
            received_at=ctx.received_at,
        )
    )


def _facebook_comment(page: str, value: dict[str, Any], ctx: Context) -> Event:
    comment_id = as_id(value["comment_id"])
    post_id = as_id(value["post_id"])
    parent = as_id(value.get("parent_id") or post_id)
    author = value["from"]
    is_reply = parent != post_id
    photo = value.get("photo")
    return Event(
        platform="facebook",
        platform_message_id=comment_id,
        kind=Kind.reply if is_reply else Kind.comment,
        direction=Direction.outbound if as_id(author["id"]) == page else Direction.inbound,
        brand_account_id=page,
        # A top-level comment and the replies under it are one conversation.
        conversation_id=f"facebook:{parent if is_reply else comment_id}",
        parent_id=parent,
        author=Author(id=as_id(author["id"]), display_name=author.get("name")),
        text=value.get("message") or "",
        attachments=[Attachment(type="image", url=photo)] if photo else [],
        created_at=from_epoch(value["created_time"]),
        received_at=ctx.received_at,
    )


# --- Instagram -----------------------------------------------------------------------


def _instagram_entry(entry: dict[str, Any], ctx: Context, result: Parsed) -> None:
    if "messaging" in entry:
        _messaging("instagram", entry, ctx, result)
    account = as_id(entry["id"])
    time = entry.get("time")
    for change in entry.get("changes", []):
        field, value = change.get("field"), change.get("value") or {}
        if field in {"comments", "live_comments"}:
            result.events.append(_instagram_comment(account, value, time, ctx))
        elif field == "mentions":
            result.events.append(_instagram_mention(account, value, time, ctx))
        else:
            result.ignored.append(f"instagram:{field}")


def _instagram_comment(
    account: str, value: dict[str, Any], time: int | None, ctx: Context
) -> Event:
    comment_id = as_id(value["id"])
    parent = value.get("parent_id")
    author = value["from"]
    author_id = as_id(author["id"])
    return Event(
        platform="instagram",
        platform_message_id=comment_id,
        kind=Kind.reply if parent else Kind.comment,
        direction=Direction.outbound if author_id == account else Direction.inbound,
        brand_account_id=account,
        conversation_id=f"instagram:{as_id(parent) if parent else comment_id}",
        parent_id=as_id(parent) if parent else as_id(value["media"]["id"]),
        author=Author(id=author_id, handle=author.get("username")),
        text=value.get("text") or "",
        created_at=from_epoch(time) if time else ctx.received_at,
        received_at=ctx.received_at,
    )


def _instagram_mention(
    account: str, value: dict[str, Any], time: int | None, ctx: Context
) -> Event:
    # Mention notifications carry only ids: the event is published at once, marked
    # pending, and ingest's enricher republishes it with the caption or comment and its
    # author from the Graph API (socialcare.ingest.enrichment).
    media_id = as_id(value["media_id"])
    message_id = as_id(value.get("comment_id") or media_id)
    return Event(
        platform="instagram",
        platform_message_id=message_id,
        kind=Kind.mention,
        brand_account_id=account,
        conversation_id=f"instagram:{message_id}",
        parent_id=media_id if message_id != media_id else None,
        author=Author(id="unknown"),
        text=value.get("text") or "",
        created_at=from_epoch(time) if time else ctx.received_at,
        received_at=ctx.received_at,
        enrichment=Enrichment.pending,
    )


# --- WhatsApp Cloud API ----------------------------------------------------------------

_WHATSAPP_MEDIA = {"image", "video", "audio", "document", "sticker"}


def _whatsapp_entry(entry: dict[str, Any], ctx: Context, result: Parsed) -> None:
    for change in entry.get("changes", []):
        value = change.get("value") or {}
        if change.get("field") != "messages":
            result.ignored.append(f"whatsapp:{change.get('field')}")
            continue
        phone_number_id = as_id(value["metadata"]["phone_number_id"])
        names = {
            as_id(c["wa_id"]): (c.get("profile") or {}).get("name")
            for c in value.get("contacts", [])
        }
        for status in value.get("statuses", []):
            result.ignored.append(f"whatsapp:status:{status.get('status')}")
        for message in value.get("messages", []):
            if message.get("type") in {"reaction", "unsupported", "system"}:
                result.ignored.append(f"whatsapp:{message.get('type')}")
                continue
            result.events.append(_whatsapp_message(phone_number_id, message, names, ctx))


def _whatsapp_message(
    phone_number_id: str, message: dict[str, Any], names: dict[str, str | None], ctx: Context
) -> Event:
    sender = as_id(message["from"])
    kind = message.get("type", "text")
    text, attachments = "", []
    if kind == "text":
        text = message["text"]["body"]
    elif kind in _WHATSAPP_MEDIA:
        media = message.get(kind) or {}
        text = media.get("caption") or ""
        attachments = [Attachment(type=kind, url=media.get("link"))]
    elif kind == "location":
        loc = message["location"]
        attachments = [Attachment(type="location")]
        text = " ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
    elif kind == "button":
        text = message["button"].get("text") or ""
    elif kind == "interactive":
        reply = message["interactive"].get(message["interactive"].get("type"), {})
        text = reply.get("title") or ""
    else:
        attachments = [Attachment(type=kind)]
    return Event(
        platform="whatsapp",
        platform_message_id=as_id(message["id"]),
        kind=Kind.dm,
        brand_account_id=phone_number_id,
        conversation_id=f"whatsapp:{phone_number_id}:{sender}",
        parent_id=(message.get("context") or {}).get("id"),
        author=Author(id=sender, handle=sender, display_name=names.get(sender)),
        text=text,
        attachments=attachments,
        created_at=from_epoch(message["timestamp"]),
        received_at=ctx.received_at,
        market=market_of_phone(sender),
    )
