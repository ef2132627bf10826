"""What every adapter shares: the parse result, the error, and small helpers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from socialcare.listening import ListeningRules
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
    # The listening rules (socialcare.listening.configured_rules); none: no listening.
    listening: ListeningRules = field(default_factory=ListeningRules, compare=False)
    viber_account_id: str = "viber-bot"
    telegram_account_id: str = "telegram-bot"
    # What the request's credentials allow beyond plain inbound events (only the
    # generic API's keys grant anything; a platform signature grants nothing more).
    permissions: frozenset[str] = frozenset()

    def public_kind(
        self,
        text: str,
        tagged: list[str],
        default: Kind = Kind.mention,
        *,
        author: str | Sequence[str] | None = None,
        platform: str | None = None,
    ) -> Kind:
        """mention when the brand is tagged; listening when only a brand's terms match.

        ``author`` (the post's author id and/or handle): a brand's own posts are never
        listening for that brand.
        """
        if any(handle.lower().lstrip("@") in self.brand_handles for handle in tagged):
            return Kind.mention
        if self.listening.match(text, author=author, platform=platform):
            return Kind.listening
        return default


@dataclass
class Parsed:
    events: list[Event] = field(default_factory=list)
    # Well-formed deliveries that carry no message (receipts, reactions, typing…):
    # acknowledged and counted by type, never an error.
    ignored: list[str] = field(default_factory=list)


# No platform payload nests deeper than about ten levels. A bound well above that keeps
# every later walk over the value (validation, error messages, logging) far from
# Python's recursion limit, which json.loads alone would hit at about 1,000 levels.
MAX_DEPTH = 64


def load_json(body: bytes) -> Any:
    """Strict JSON (RFC 8259: no NaN or Infinity), nested at most MAX_DEPTH deep."""
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise BadPayload(f"body nests deeper than {MAX_DEPTH} levels") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        # ValueError covers JSONDecodeError and integers longer than Python converts
        # (4,300 digits), which json.loads raises as a plain ValueError.
        raise BadPayload(f"body is not valid JSON: {exc}") from exc
    if _depth(value) > MAX_DEPTH:
        raise BadPayload(f"body nests deeper than {MAX_DEPTH} levels")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    if not isinstance(value, dict | list):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


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
    except (TypeError, AttributeError, ValueError, ArithmeticError) as exc:
        # ArithmeticError: OverflowError and the like from numbers no platform sends.
        raise BadPayload(f"{platform} payload is malformed: {exc}", status=422) from exc


# Platform timestamps are Unix times; the range datetime can hold from the epoch on.
# Anything outside (1e20, -1e300, a float that overflows) is not a time a platform
# sends, and datetime would raise OverflowError or OSError for it.
_LATEST_EPOCH = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


def from_epoch(value: int | float | str, unit: str = "s") -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a Unix time, got {type(value).__name__}")
    if isinstance(value, str) and len(value) > 32:
        raise ValueError("a Unix time has at most 32 characters")
    try:
        seconds = float(value) / (1000 if unit == "ms" else 1)
    except OverflowError as exc:  # an int too large for a float
        raise ValueError(f"Unix time out of range: {exc}") from exc
    if not (math.isfinite(seconds) and 0 <= seconds <= _LATEST_EPOCH):
        raise ValueError("Unix time out of range (1970 to 9999)")
    return datetime.fromtimestamp(seconds, tz=UTC)


def as_id(value: Any) -> str:
    """Platform ids as strings. JSON integers parse exactly in Python, never via float."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an id, got {value!r}")
    return str(value)


Adapter = Callable[[dict[str, str], bytes, Context], Parsed]
