"""The Telegram Bot API's ``sendMessage``."""

from __future__ import annotations

import time
from typing import Any

from socialcare_dev.emulator.calls import Answer, Call, Family, refused_token

TEXT_LIMIT = 4096


def error(status: int, description: str, **parameters: int) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(status, body)


def send_message(call: Call) -> Answer:
    """``POST /bot{token}/sendMessage``."""
    token = call.path_params["token"]
    if refused_token(token):
        return error(401, "Unauthorized")
    chat_id = call.field("chat_id")
    if chat_id in (None, ""):
        return error(400, "Bad Request: chat_id is empty")
    text = call.field("text")
    if not isinstance(text, str) or not text.strip():
        return error(400, "Bad Request: message text is empty")
    if len(text) > TEXT_LIMIT:
        return error(400, "Bad Request: message is too long")
    reply_to = call.field("reply_parameters", "message_id") or call.field("reply_to_message_id")
    if reply_to is not None and not isinstance(reply_to, int):
        return error(400, "Bad Request: invalid reply message identifier")
    chat = _chat(chat_id)
    bot_id = token.partition(":")[0]
    message: dict[str, Any] = {
        "message_id": call.ids.telegram_message_id(str(chat_id)),
        "from": {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Support",
            "username": "support_bot",
        },
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    if reply_to is not None:
        message["reply_to_message"] = {"message_id": reply_to, "chat": chat}
    return Answer(200, {"ok": True, "result": message})


def _chat(chat_id: Any) -> dict[str, Any]:
    if isinstance(chat_id, str) and chat_id.startswith("@"):
        return {"id": -1001000000000, "type": "channel", "username": chat_id[1:]}
    number = int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0
    return {"id": number, "type": "private" if number > 0 else "supergroup"}


def rate_limited(call: Call, retry_after: int) -> Answer:
    answer = error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
    return Answer(answer.status, answer.body, {"Retry-After": str(retry_after)})


def unavailable(call: Call, status: int | None) -> Answer:
    status = status or 500
    descriptions = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return error(status, descriptions.get(status, "Internal Server Error"))


def refused(call: Call) -> Answer:
    return error(403, "Forbidden: bot was blocked by the user")


FAMILY = Family(rate_limited=rate_limited, unavailable=unavailable, refused=refused)
