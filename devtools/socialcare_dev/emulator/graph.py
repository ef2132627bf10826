"""The Meta Graph API's send endpoints: Messenger and Instagram DMs, Facebook and
Instagram comment replies, Instagram mention replies, and the WhatsApp Cloud API (same
host, same error shape)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from socialcare_dev.emulator.calls import Answer, Call, Family, refused_token

_VERSION = re.compile(r"^v\d+\.\d+$")
_MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
# Text limits, in characters, per platform and endpoint.
TEXT_LIMITS = {
    ("messenger", "messages"): 2000,
    ("instagram", "messages"): 1000,
    ("whatsapp", "messages"): 4096,
    ("facebook", "comments"): 8000,
    ("instagram", "replies"): 2200,
    ("instagram", "mention_reply"): 2200,
}


def error(
    call: Call,
    status: int,
    message: str,
    code: int,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
    details: str | None = None,
    **extra: Any,
) -> Answer:
    """A Graph error body; WhatsApp's also carry ``error_data.details``."""
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    if call.platform == "whatsapp":
        body["error_data"] = {"messaging_product": "whatsapp", "details": details or message}
    body |= extra
    body["fbtrace_id"] = call.ids.fbtrace_id()
    return Answer(status, {"error": body}, headers or {})


def _invalid(call: Call, message: str) -> Answer:
    return error(call, 400, f"(#100) {message}", 100)


def _checked(call: Call) -> Answer | None:
    """The version, the token and a JSON body, checked as Graph does first."""
    if (failed := authorized(call)) is not None:
        return failed
    if not isinstance(call.body, dict):
        return _invalid(call, "The request body must be a JSON object")
    return None


def authorized(call: Call) -> Answer | None:
    """The version and the token, checked as Graph does before anything else."""
    version = call.path_params["version"]
    if not _VERSION.match(version):
        return error(call, 400, f"Unknown path components: /{version}", 2500)
    token = call.bearer() if "authorization" in call.headers else call.query.get("access_token")
    if token is None:
        return error(call, 400, "An access token is required to request this resource.", 104)
    if refused_token(token):
        return error(call, 401, "Invalid OAuth access token - Cannot parse access token", 190)
    return None


def _too_long(call: Call, text: str, param: str) -> Answer | None:
    limit = TEXT_LIMITS[(call.platform, call.endpoint)]
    if len(text) > limit:
        return _invalid(call, f"Length of param {param} must be less than or equal to {limit}")
    return None


def send_message(call: Call) -> Answer:
    """``POST /{version}/{id}/messages``: WhatsApp, Messenger or Instagram."""
    if (failed := _checked(call)) is not None:
        return failed
    if call.platform == "whatsapp":
        return _send_whatsapp(call)
    recipient = call.field("recipient", "id")
    if not recipient:
        return _invalid(call, "param recipient must be non-empty.")
    if call.field("messaging_type") not in _MESSAGING_TYPES:
        return _invalid(call, "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
    text = call.field("message", "text")
    if not isinstance(text, str) or not text:
        return _invalid(call, "param message[text] must be non-empty.")
    if (failed := _too_long(call, text, "message[text]")) is not None:
        return failed
    mid = call.ids.instagram_mid() if call.platform == "instagram" else call.ids.messenger_mid()
    return Answer(200, {"recipient_id": str(recipient), "message_id": mid})


def _send_whatsapp(call: Call) -> Answer:
    if call.field("messaging_product") != "whatsapp":
        return _invalid(call, "The parameter messaging_product is required.")
    if call.field("recipient_type") not in (None, "individual"):
        return _invalid(call, "Param recipient_type must be individual")
    to = call.field("to")
    if not isinstance(to, str) or not to:
        return _invalid(call, "The parameter to is required.")
    if call.field("type") not in (None, "text"):
        return _invalid(call, "The emulator sends text messages only (type must be text)")
    text = call.field("text", "body")
    if not isinstance(text, str) or not text:
        return _invalid(call, "The parameter text['body'] is required.")
    if len(text) > TEXT_LIMITS[("whatsapp", "messages")]:
        return _invalid(call, "Param text['body'] must be at most 4096 characters long.")
    context = call.field("context")
    if context is not None and not isinstance(call.field("context", "message_id"), str):
        return _invalid(call, "Param context['message_id'] must be a string.")
    wa_id = re.sub(r"\D", "", to)
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": wa_id}],
        "messages": [{"id": call.ids.wamid(wa_id)}],
    }
    return Answer(200, body)


def reply_to_comment(call: Call) -> Answer:
    """``POST /{version}/{comment_id}/comments`` (Facebook) or ``.../replies``
    (Instagram)."""
    if (failed := _checked(call)) is not None:
        return failed
    text = call.field("message")
    if not isinstance(text, str) or not text:
        return _invalid(call, "Missing message or attachment.")
    if (failed := _too_long(call, text, "message")) is not None:
        return failed
    if call.platform == "instagram":
        return Answer(200, {"id": call.ids.digits(17)})
    # A Facebook comment id is "<post id>_<comment id>"; a reply's id names the post.
    post = call.path_params["object_id"].partition("_")[0]
    return Answer(200, {"id": f"{post}_{call.ids.digits(16)}"})


def reply_to_mention(call: Call) -> Answer:
    """``POST /{version}/{ig_user_id}/mentions`` ``{"media_id", "comment_id"?, "message"}``:
    a reply, as the brand's account, in the media or comment that mentioned it."""
    if (failed := _checked(call)) is not None:
        return failed
    if not _graph_id(call.field("media_id")):
        return _invalid(call, "Param media_id must be a valid ID")
    comment = call.field("comment_id")
    if comment is not None and not _graph_id(comment):
        return _invalid(call, "Param comment_id must be a valid ID")
    text = call.field("message")
    if not isinstance(text, str) or not text:
        return _invalid(call, "Param message must be non-empty.")
    if (failed := _too_long(call, text, "message")) is not None:
        return failed
    return Answer(200, {"id": call.ids.digits(17)})


def _graph_id(value: object) -> bool:
    return isinstance(value, str | int) and str(value).isdigit()


def rate_limited(call: Call, retry_after: int) -> Answer:
    code, message = {
        "whatsapp": (130429, "(#130429) Rate limit hit"),
        "instagram": (4, "(#4) Application request limit reached"),
    }.get(call.platform, (613, "(#613) Calls to this api have exceeded the rate limit."))
    usage = {
        call.path_params.get("object_id", ""): [
            {
                "type": "messenger"
                if call.platform != "whatsapp"
                else "whatsapp_business_messaging",
                "call_count": 100,
                "total_cputime": 25,
                "total_time": 25,
                "estimated_time_to_regain_access": math.ceil(retry_after / 60),
            }
        ]
    }
    headers = {"Retry-After": str(retry_after), "X-Business-Use-Case-Usage": json.dumps(usage)}
    return error(call, 429, message, code, headers=headers)


def unavailable(call: Call, status: int | None) -> Answer:
    message = "An unexpected error has occurred. Please retry your request later."
    return error(call, status or 500, message, 2, is_transient=True)


def refused(call: Call) -> Answer:
    if call.endpoint != "messages":
        return error(call, 400, "Unsupported post request. Object does not exist.", 100, 33)
    if call.platform == "whatsapp":
        details = (
            "Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number."
        )
        return error(call, 400, "Re-engagement message", 131047, details=details)
    subcode = 2534022 if call.platform == "instagram" else 2018278
    return error(call, 400, "(#10) This message is sent outside of allowed window.", 10, subcode)


FAMILY = Family(rate_limited=rate_limited, unavailable=unavailable, refused=refused)
