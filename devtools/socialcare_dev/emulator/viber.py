"""Viber's REST ``send_message``: every answer Viber gives is HTTP 200, with a non-zero
``status`` for an error (only a failure in front of the API is an HTTP error)."""

from __future__ import annotations

from socialcare_dev.emulator.calls import Answer, Call, Family, refused_token

TEXT_LIMIT = 7000
SENDER_NAME_LIMIT = 28


def status(code: int, message: str) -> Answer:
    return Answer(200, {"status": code, "status_message": message})


def send_message(call: Call) -> Answer:
    """``POST /pa/send_message``."""
    if refused_token(call.headers.get("x-viber-auth-token")):
        return status(2, "invalidAuthToken")
    if not isinstance(call.body, dict):
        return status(3, "badData")
    receiver, text = call.field("receiver"), call.field("text")
    name = call.field("sender", "name")
    if not receiver or not name or call.field("type") is None:
        return status(4, "missingData")
    if call.field("type") != "text" or not isinstance(text, str) or not text:
        return status(3, "badData")
    if len(text) > TEXT_LIMIT or len(str(name)) > SENDER_NAME_LIMIT:
        return status(3, "badData")
    body = {
        "status": 0,
        "status_message": "ok",
        "message_token": call.ids.viber_message_token(),
        "chat_hostname": "SN-CHAT-05_",
    }
    return Answer(200, body)


def rate_limited(call: Call, retry_after: int) -> Answer:
    # Viber has no Retry-After: status 12 alone says "slow down".
    return status(12, "tooManyRequests")


def unavailable(call: Call, code: int | None) -> Answer:
    return Answer(code or 500, "Internal Server Error")


def refused(call: Call) -> Answer:
    return status(6, "receiverNotSubscribed")


FAMILY = Family(rate_limited=rate_limited, unavailable=unavailable, refused=refused)
