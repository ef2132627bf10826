"""X API v2: a DM to a participant and a tweet (a public reply)."""

from __future__ import annotations

import time
from typing import Any

from socialcare_dev.emulator.calls import Answer, Call, Family, refused_token

DM_LIMIT = 10000
TWEET_LIMIT = 280
# The brand's own user id, one end of every DM conversation.
BRAND_USER_ID = "1400000000000000001"
_INVALID = "https://api.twitter.com/2/problems/invalid-request"


def problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> Answer:
    return Answer(
        status, {"title": title, "detail": detail, "type": type_, "status": status} | extra
    )


def _invalid(message: str, parameter: str) -> Answer:
    detail = "One or more parameters to your request was invalid."
    errors = [{"parameters": {parameter: []}, "message": message}]
    return problem(400, "Invalid Request", detail, _INVALID, errors=errors)


def _unauthorized(call: Call) -> Answer | None:
    if refused_token(call.bearer()):
        return problem(401, "Unauthorized", "Unauthorized")
    return None


def _text(call: Call, limit: int) -> str | Answer:
    text = call.field("text")
    if not isinstance(text, str) or not text:
        return _invalid("text must be a non-empty string", "text")
    if len(text) > limit:
        return _invalid(f"text must be at most {limit} characters long", "text")
    return text


def send_dm(call: Call) -> Answer:
    """``POST /2/dm_conversations/with/{participant_id}/messages``."""
    if (failed := _unauthorized(call)) is not None:
        return failed
    participant = call.path_params["participant_id"]
    if not participant.isdigit():
        return _invalid(
            f"The `participant_id` query parameter value [{participant}] is not valid",
            "participant_id",
        )
    text = _text(call, DM_LIMIT)
    if isinstance(text, Answer):
        return text
    low, high = sorted((BRAND_USER_ID, participant), key=int)
    data = {"dm_conversation_id": f"{low}-{high}", "dm_event_id": call.ids.snowflake()}
    return Answer(201, {"data": data})


def create_tweet(call: Call) -> Answer:
    """``POST /2/tweets`` (a reply when ``reply.in_reply_to_tweet_id`` is set)."""
    if (failed := _unauthorized(call)) is not None:
        return failed
    text = _text(call, TWEET_LIMIT)
    if isinstance(text, Answer):
        return text
    in_reply_to = call.field("reply", "in_reply_to_tweet_id")
    if call.field("reply") is not None and not (
        isinstance(in_reply_to, str) and in_reply_to.isdigit()
    ):
        return _invalid(
            "reply.in_reply_to_tweet_id must be a tweet id", "reply.in_reply_to_tweet_id"
        )
    tweet_id = call.ids.snowflake()
    return Answer(
        201, {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}}
    )


def rate_limited(call: Call, retry_after: int) -> Answer:
    headers = {
        "Retry-After": str(retry_after),
        "x-rate-limit-limit": "200",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(time.time()) + retry_after),
    }
    answer = problem(429, "Too Many Requests", "Too Many Requests")
    return Answer(429, answer.body, headers)


def unavailable(call: Call, status: int | None) -> Answer:
    status = status or 503
    title = {500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}.get(
        status, "Service Unavailable"
    )
    return problem(status, title, title)


def refused(call: Call) -> Answer:
    if call.endpoint == "tweets":
        detail = (
            "Reply to this conversation is not allowed because you have not been mentioned "
            "or otherwise engaged by the author of the post you are replying to."
        )
    else:
        detail = "You are not permitted to send messages to this user."
    return problem(403, "Forbidden", detail)


FAMILY = Family(rate_limited=rate_limited, unavailable=unavailable, refused=refused)
