"""What every adapter shares: the parse result, the error, and small helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from socialcare.schema import Event, Kind


class BadPayload(ValueError):
    """The body cannot be taken; ``reason`` is returned to the caller with ``status``."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Context:
    """Everything an adapter needs besides the request, so adapters stay pure."""

    received_at: datetime
    brand_handles: frozenset[str] = frozenset()
    listening_keywords: tuple[str, ...] = ()
    viber_account_id: str = "viber-bot"
    telegram_account_id: str = "telegram-bot"

    def public_kind(self, text: str, tagged: list[str], default: Kind = Kind.mention) -> Kind:
        """mention when the brand is tagged; listening when only a keyword matches."""
        if any(handle.lower().lstrip("@") in self.brand_handles for handle in tagged):
            return Kind.mention
        if self.listening_keywords and _keyword_pattern(self.listening_keywords).search(text):
            return Kind.listening
        return default


@dataclass
class Parsed:
    events: list[Event] = field(default_factory=list)
    # Well-formed deliveries that carry no message (receipts, reactions, typing…):
    # acknowledged and counted by type, never an error.
    ignored: list[str] = field(default_factory=list)


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"body is not valid JSON: {exc}") from exc


@contextmanager
def payload_errors(platform: str) -> Iterator[None]:
    """Turn a payload that lacks what the platform documents into a 422 with the reason."""
    try:
        yield
    except BadPayload:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadPayload(f"{platform} payload: {where}: {first['msg']}", status=422) from exc
    except KeyError as exc:
        raise BadPayload(f"{platform} payload: missing field {exc}", status=422) from exc
    except (TypeError, AttributeError, ValueError) as exc:
        raise BadPayload(f"{platform} payload is malformed: {exc}", status=422) from exc


def from_epoch(value: int | float | str, unit: str = "s") -> datetime:
    seconds = float(value) / (1000 if unit == "ms" else 1)
    return datetime.fromtimestamp(seconds, tz=UTC)


def as_id(value: Any) -> str:
    """Platform ids as strings. JSON integers parse exactly in Python, never via float."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an id, got {value!r}")
    return str(value)


@lru_cache(maxsize=8)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # Keywords match as whole words, with or without a leading @ or #.
    alternatives = "|".join(re.escape(k) for k in keywords)
    return re.compile(rf"(?<!\w)[@#]?(?:{alternatives})(?!\w)", re.IGNORECASE)


Adapter = Callable[[dict[str, str], bytes, Context], Parsed]
