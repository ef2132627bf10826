"""Every request the emulator received, with its answer, in memory; tokens redacted."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

REDACTED = "***"
_SECRET_HEADERS = frozenset({"authorization", "x-viber-auth-token", "cookie"})
_SECRET_QUERY = frozenset({"access_token"})


class Record(BaseModel):
    seq: int
    platform: str | None
    endpoint: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    received_at: datetime
    status: int
    response: Any
    fault: str | None = None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Secret headers keep their scheme (``Bearer ***``) so a test can check it."""
    redacted = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {REDACTED}" if rest else REDACTED
        redacted[name.lower()] = value
    return redacted


def redact_query(query: Mapping[str, str]) -> dict[str, str]:
    return {k: REDACTED if k in _SECRET_QUERY else v for k, v in query.items()}


class Recorder:
    def __init__(self) -> None:
        self._records: list[Record] = []
        self._seq = itertools.count(1)

    def add(self, **fields: Any) -> Record:
        record = Record(seq=next(self._seq), received_at=datetime.now(UTC), **fields)
        self._records.append(record)
        return record

    def select(
        self, platform: str | None = None, since: int | datetime | None = None
    ) -> list[Record]:
        """Records of ``platform`` (all when None) after ``since`` (a seq or a time)."""
        return [
            r
            for r in self._records
            if (platform is None or r.platform == platform) and _after(r, since)
        ]

    def clear(self) -> None:
        self._records.clear()


def _after(record: Record, since: int | datetime | None) -> bool:
    if since is None:
        return True
    if isinstance(since, int):
        return record.seq > since
    return record.received_at > since
