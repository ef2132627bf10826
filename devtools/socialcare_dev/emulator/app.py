"""The emulator's FastAPI app: the send endpoints of every platform (each answered by
its platform module), the recording and the faults (``control``). See the package's
docstring for the endpoints."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from socialcare import http
from socialcare_dev.emulator import graph, graph_mentions, telegram, viber, x, x_search
from socialcare_dev.emulator.calls import Answer, Call, Family, Handler
from socialcare_dev.emulator.control import Emulator, control_router
from socialcare_dev.emulator.faults import Fault, FaultKind
from socialcare_dev.emulator.recording import redact_headers, redact_query

# Path prefixes a client may put in front of any send path to say which platform it is
# (the Graph API serves four of them on the same paths).
PREFIXES = {
    "twitter": "twitter",
    "x": "twitter",
    "facebook": "facebook",
    "messenger": "messenger",
    "instagram": "instagram",
    "whatsapp": "whatsapp",
    "viber": "viber",
    "telegram": "telegram",
}


@dataclass(frozen=True)
class SendRoute:
    path: str
    endpoint: str
    handler: Handler
    family: Family
    platform: str | None  # None: a Graph /messages call, told apart by prefix or body


ROUTES = (
    SendRoute(
        "/bot{token}/sendMessage", "sendMessage", telegram.send_message, telegram.FAMILY, "telegram"
    ),
    SendRoute("/pa/send_message", "send_message", viber.send_message, viber.FAMILY, "viber"),
    SendRoute(
        "/2/dm_conversations/with/{participant_id}/messages", "dm", x.send_dm, x.FAMILY, "twitter"
    ),
    SendRoute("/2/tweets", "tweets", x.create_tweet, x.FAMILY, "twitter"),
    SendRoute(
        "/{version}/{object_id}/messages", "messages", graph.send_message, graph.FAMILY, None
    ),
    SendRoute(
        "/{version}/{object_id}/comments",
        "comments",
        graph.reply_to_comment,
        graph.FAMILY,
        "facebook",
    ),
    SendRoute(
        "/{version}/{object_id}/replies",
        "replies",
        graph.reply_to_comment,
        graph.FAMILY,
        "instagram",
    ),
    SendRoute(
        "/{version}/{object_id}/mentions",
        "mention_reply",
        graph.reply_to_mention,
        graph.FAMILY,
        "instagram",
    ),
)


def create_app(hang_seconds: float = 30.0) -> FastAPI:
    """The emulator; a ``timeout`` fault hangs ``hang_seconds`` unless it says otherwise."""
    emulator = Emulator(hang_seconds=hang_seconds)
    app = FastAPI(
        title="socialcare platform emulator",
        description="The send APIs of seven platforms, for tests and the demo.",
    )
    app.state.emulator = emulator
    app.include_router(http.health_router(ready=_always_ready))
    app.include_router(control_router(emulator))
    for route in ROUTES:
        app.add_api_route(
            route.path, _endpoint(emulator, route), methods=["POST"], name=route.endpoint
        )
    search = app.state.x_search = x_search.XSearch(emulator.ids)
    app.include_router(x_search.control_router(search))
    recent = SendRoute(x_search.PATH, "search_recent", search.search, x.FAMILY, "twitter")
    app.add_api_route(recent.path, _endpoint(emulator, recent), methods=["GET"], name="search")
    mentions = app.state.mentions = graph_mentions.Mentions()
    app.include_router(graph_mentions.control_router(mentions))
    read = SendRoute(graph_mentions.PATH, "mentions", mentions.read, graph.FAMILY, "instagram")
    app.add_api_route(read.path, _endpoint(emulator, read), methods=["GET"], name="mentions")
    app.add_api_route(
        "/{path:path}",
        _unknown(emulator),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    app.add_middleware(PlatformPrefix)
    return app


async def _always_ready() -> str | None:
    return None


def _endpoint(emulator: Emulator, route: SendRoute) -> Callable[[Request], Awaitable[Response]]:
    async def send(request: Request) -> Response:
        body = _json(await request.body())
        call = Call(
            platform=route.platform or _graph_platform(request, body),
            endpoint=route.endpoint,
            path_params=dict(request.path_params),
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            ids=emulator.ids,
        )
        fault = emulator.faults.take(call.platform)
        answer = await _answer(emulator, route, call, fault)
        _record(emulator, request, call, answer, fault)
        return answer.response()

    send.__doc__ = route.handler.__doc__
    return send


async def _answer(emulator: Emulator, route: SendRoute, call: Call, fault: Fault | None) -> Answer:
    if fault is None:
        return route.handler(call)
    if fault.kind is FaultKind.rate_limit:
        return route.family.rate_limited(call, fault.retry_after)
    if fault.kind is FaultKind.server_error:
        return route.family.unavailable(call, fault.status)
    if fault.kind is FaultKind.timeout:
        await asyncio.sleep(
            emulator.hang_seconds if fault.hang_seconds is None else fault.hang_seconds
        )
        return route.family.unavailable(call, 504)
    return route.family.refused(call)


def _record(
    emulator: Emulator, request: Request, call: Call | None, answer: Answer, fault: Fault | None
) -> None:
    path = request.scope.get("state", {}).get("original_path", request.url.path)
    token = call.path_params.get("token") if call else None
    emulator.recorder.add(
        platform=call.platform if call else None,
        endpoint=call.endpoint if call else None,
        method=request.method,
        path=path.replace(token, "***") if token else path,
        query=redact_query(request.query_params),
        headers=redact_headers(request.headers),
        body=call.body if call else None,
        status=answer.status,
        response=answer.body,
        fault=fault.kind.value if fault else None,
    )


def _graph_platform(request: Request, body: Any) -> str:
    hint = request.scope.get("state", {}).get("platform")
    if hint in ("instagram", "whatsapp"):
        return hint
    if isinstance(body, dict) and body.get("messaging_product") == "whatsapp":
        return "whatsapp"
    return "messenger"


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def _unknown(emulator: Emulator) -> Callable[[Request], Awaitable[Response]]:
    async def unknown(request: Request) -> Response:
        """Not an endpoint the emulator knows: recorded, so a client's wrong path shows."""
        if request.url.path.startswith("/bot"):
            answer = telegram.error(404, "Not Found")
        else:
            answer = Answer(
                404, {"detail": f"the emulator has no {request.method} {request.url.path}"}
            )
        _record(emulator, request, None, answer, None)
        return answer.response()

    return unknown


class PlatformPrefix:
    """Strips a leading ``/{platform}`` off the path and keeps it as the call's platform."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            head, _, rest = scope["path"].lstrip("/").partition("/")
            if head in PREFIXES and rest:
                state = {**scope.get("state", {}), "platform": PREFIXES[head]}
                state["original_path"] = scope["path"]
                scope = {
                    **scope,
                    "path": "/" + rest,
                    "raw_path": ("/" + rest).encode(),
                    "state": state,
                }
        await self.app(scope, receive, send)
