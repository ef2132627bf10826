"""X/Twitter Account Activity API: tweets (mentions, replies) and direct messages."""

from __future__ import annotations

from datetime import datetime
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

_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Wed Oct 10 20:19:24 +0000 2018"
_MESSAGE_KEYS = {"tweet_create_events", "direct_message_events"}


def parse(headers: dict[str, str], body: bytes, ctx: Context) -> Parsed:
    payload = load_json(body)
    if not isinstance(payload, dict) or "for_user_id" not in payload:
        raise BadPayload("X payload must be an object with for_user_id")
    result = Parsed()
    with payload_errors("twitter"):
        brand = as_id(payload["for_user_id"])
        for tweet in payload.get("tweet_create_events", []):
            result.events.append(_tweet(brand, tweet, ctx))
        users = payload.get("users", {})
        for dm in payload.get("direct_message_events", []):
            if dm.get("type") != "message_create":
                result.ignored.append(f"twitter:dm:{dm.get('type')}")
                continue
            result.events.append(_direct_message(brand, dm, users, ctx))
    # favorite, follow, block, delete, typing and read events carry no message.
    result.ignored.extend(
        f"twitter:{key}" for key in payload if key.endswith("_events") and key not in _MESSAGE_KEYS
    )
    return result


def _tweet(brand: str, tweet: dict[str, Any], ctx: Context) -> Event:
    user = tweet["user"]
    author_id = as_id(user["id_str"] if "id_str" in user else user["id"])
    extended = tweet.get("extended_tweet") or {}
    text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or ""
    entities = extended.get("entities") or tweet.get("entities") or {}
    media = (extended.get("extended_entities") or tweet.get("extended_entities") or {}).get(
        "media", entities.get("media", [])
    )
    reply_to = tweet.get("in_reply_to_status_id_str")
    reply_to_user = tweet.get("in_reply_to_user_id_str")
    outbound = author_id == brand
    tagged = [m.get("screen_name", "") for m in entities.get("user_mentions", [])]
    tagged_ids = {as_id(m["id_str"]) for m in entities.get("user_mentions", []) if "id_str" in m}
    if outbound:
        kind = Kind.reply if reply_to else Kind.mention
    elif reply_to and reply_to_user == brand:
        kind = Kind.reply
    elif brand in tagged_ids:
        kind = Kind.mention
    else:
        author = (author_id, user.get("screen_name") or "")
        kind = ctx.public_kind(text, tagged, author=author, platform="twitter")
    # Public tweets are threaded per customer: the brand's reply to someone lands in
    # the same conversation as that customer's tweets.
    customer = (reply_to_user or author_id) if outbound else author_id
    return Event(
        platform="twitter",
        platform_message_id=as_id(tweet["id_str"]),
        kind=kind,
        direction=Direction.outbound if outbound else Direction.inbound,
        brand_account_id=brand,
        conversation_id=f"twitter:public:{brand}:{customer}",
        parent_id=reply_to,
        author=Author(
            id=author_id,
            handle=user.get("screen_name"),
            display_name=user.get("name"),
            follower_count=user.get("followers_count"),
        ),
        text=text,
        attachments=[
            Attachment(type=m.get("type", "photo"), url=m.get("media_url_https")) for m in media
        ],
        created_at=datetime.strptime(tweet["created_at"], _TWITTER_TIME),
        received_at=ctx.received_at,
    )


def _direct_message(brand: str, dm: dict[str, Any], users: dict[str, Any], ctx: Context) -> Event:
    create = dm["message_create"]
    sender = as_id(create["sender_id"])
    recipient = as_id(create["target"]["recipient_id"])
    outbound = sender == brand
    data = create.get("message_data") or {}
    attachment = data.get("attachment") or {}
    media = attachment.get("media") or {}
    user = users.get(sender, {})
    return Event(
        platform="twitter",
        platform_message_id=as_id(dm["id"]),
        kind=Kind.dm,
        direction=Direction.outbound if outbound else Direction.inbound,
        brand_account_id=brand,
        conversation_id=f"twitter:dm:{brand}:{recipient if outbound else sender}",
        author=Author(
            id=sender,
            handle=user.get("screen_name"),
            display_name=user.get("name"),
            follower_count=user.get("followers_count"),
        ),
        text=data.get("text") or "",
        attachments=[Attachment(type=media.get("type", "photo"), url=media.get("media_url_https"))]
        if media
        else [],
        created_at=from_epoch(dm["created_timestamp"], "ms"),
        received_at=ctx.received_at,
    )
