"""What a platform handler gets (a Call) and gives back (an Answer): handlers are pure
functions of the request, so each platform's rules read and test on their own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse, PlainTextResponse, Response

from socialcare_dev.emulator.ids import Ids


@dataclass(frozen=True)
class Call:
    """One request to a send endpoint. ``headers`` have lower-case names; ``body`` is
    the parsed JSON (None when the body is not JSON)."""

    platform: str
    endpoint: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    ids: Ids

    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header ("" when it names none)."""
        value = self.headers.get("authorization")
        if value is None:
            return None
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def field(self, *path: str) -> Any:
        """A nested body field, or None when any step is missing or not an object."""
        value = self.body
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value


@dataclass(frozen=True)
class Answer:
    """The emulator's answer: a JSON body (a str is sent as plain text)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if isinstance(self.body, str):
            return PlainTextResponse(self.body, self.status, headers=self.headers)
        return JSONResponse(self.body, self.status, headers=self.headers)


def refused_token(token: str | None) -> bool:
    """Any non-empty token is accepted, except one starting with ``invalid``: tests of a
    client's handling of a bad token send that."""
    return not token or token.startswith("invalid")


Handler = Callable[[Call], Answer]


@dataclass(frozen=True)
class Family:
    """How one API family (Graph, Telegram, Viber, X) fails when told to."""

    rate_limited: Callable[[Call, int], Answer]
    unavailable: Callable[[Call, int | None], Answer]
    refused: Handler
