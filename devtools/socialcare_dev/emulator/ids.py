"""Ids shaped like each platform's: Graph message ids, wamids, Telegram's per-chat
message numbers, Viber message tokens and X snowflakes."""

from __future__ import annotations

import base64
import itertools
import secrets
import string
import time
from collections import defaultdict

# X's snowflake epoch (2010-11-04), in milliseconds.
_TWITTER_EPOCH_MS = 1288834974657
_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"


class Ids:
    def __init__(self) -> None:
        self._sequence = itertools.count(1)
        self._chat_messages: defaultdict[str, int] = defaultdict(lambda: 100)

    def snowflake(self) -> str:
        """An X id: milliseconds since X's epoch, then a 22-bit sequence."""
        millis = int(time.time() * 1000) - _TWITTER_EPOCH_MS
        return str((millis << 22) | (next(self._sequence) & 0x3FFFFF))

    def digits(self, length: int, first: str = "1") -> str:
        return first + "".join(secrets.choice(string.digits) for _ in range(length - 1))

    def messenger_mid(self) -> str:
        return "m_" + _b64(secrets.token_bytes(66))

    def instagram_mid(self) -> str:
        return _b64(b"ig_message_item:1:IGMessageThread:" + secrets.token_bytes(40))

    def wamid(self, wa_id: str) -> str:
        return "wamid." + _b64(
            b"\x18\x0b" + wa_id.encode() + b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(12)
        )

    def fbtrace_id(self) -> str:
        return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))

    def telegram_message_id(self, chat_id: str) -> int:
        self._chat_messages[chat_id] += 1
        return self._chat_messages[chat_id]

    def viber_message_token(self) -> int:
        return int(self.digits(19, first="5"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
