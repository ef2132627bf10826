"""What every HTTP service of the product shares: one error model, its handlers, and
the health endpoints.

Use it in an app factory like this::

    from socialcare import http

    app = FastAPI(..., responses=...)          # as usual
    http.install_error_handlers(
        app,
        service="search",                      # the prefix of the log events
        unavailable={TransportError: "Elasticsearch is unavailable"},  # -> 503
        headers=SECURITY_HEADERS,              # also on the catch-all 500 answer
    )
    app.include_router(http.health_router(ready=es_ready, description="..."))

    @router.get("/v1/thing", responses=http.error_responses(401, 404))
    async def thing() -> Thing:
        raise HTTPException(404, "no such thing")   # answered as a Problem

Every error answer, 4xx or 5xx, of every endpoint is then a `Problem` body: an
`HTTPException`, FastAPI's own parameter checks (422, each invalid input in
``errors``), an exception mapped to 503 by ``unavailable``, and anything unexpected
(500, logged with its type only). ``error_responses`` documents the statuses an
endpoint answers in the OpenAPI document, all with the `Problem` schema.

``health_router(ready)`` adds ``GET /healthz`` (the process is up) and
``GET /readyz``: ``ready`` is a FastAPI dependency (so it can take the service's own
dependencies, e.g. its Elasticsearch client) that returns ``None`` when the service
can do its work, or the reason it cannot, answered as a 503 Problem.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from socialcare.logging import get_logger

log = get_logger(__name__)

# A readiness check: None when ready, else why not. May declare FastAPI dependencies.
Readiness = Callable[..., Awaitable[str | None]]


class FieldError(BaseModel):
    """One invalid input. The offending value is not echoed: it may be a key or
    personal data, and the caller has it anyway."""

    loc: list[str | int] = Field(description='Where: e.g. `["query", "size"]`.')
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable kind of error, e.g. `less_than_equal`.")


class Problem(BaseModel):
    """The body of every error answer (4xx and 5xx), whatever the endpoint."""

    status: int = Field(description="The HTTP status code, repeated for logs and clients.")
    detail: str = Field(description="What went wrong, for a person.")
    errors: list[FieldError] = Field(
        default_factory=list, description="Each invalid input, for 422 answers."
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint answers: all are a Problem."""
    return {status: {"model": Problem} for status in statuses}


def problem(
    status: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(status=status, detail=detail, errors=errors or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def install_error_handlers(
    app: FastAPI,
    *,
    service: str,
    unavailable: Mapping[type[Exception], str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer every error of ``app`` with a Problem.

    ``unavailable``: exception types that mean a backend is down, with the detail of
    their 503 answer. ``headers``: added to the catch-all 500 answer, which Starlette
    sends from outside every middleware (so middleware headers never reach it).
    """
    for exc_type, detail in (unavailable or {}).items():
        app.add_exception_handler(exc_type, _unavailable_handler(service, detail))
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _internal_error_handler(service, dict(headers or {})))


def health_router(ready: Readiness, description: str = "The service can do its work.") -> APIRouter:
    """``GET /healthz`` and ``GET /readyz``; see the module's docstring."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get("/readyz", responses=error_responses(503), description=description)
    async def readyz(reason: Annotated[str | None, Depends(ready)]) -> dict[str, str]:
        if reason is not None:
            raise HTTPException(503, reason)
        return {"status": "ready"}

    return router


def _unavailable_handler(service: str, detail: str) -> Callable[..., Awaitable[JSONResponse]]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        log.error(f"{service}.backend_unavailable", error=repr(exc))
        return problem(503, detail)

    return handle


def _internal_error_handler(
    service: str, headers: dict[str, str]
) -> Callable[..., Awaitable[JSONResponse]]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        log.exception(f"{service}.internal_error", error=type(exc).__name__)
        return problem(500, "internal error", headers=headers)

    return handle


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the methods of the first route matching the path; a
        # path with a GET and a POST route must answer that both are allowed.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(exc.status_code, str(exc.detail), headers=headers)


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = [FieldError(loc=list(e["loc"]), msg=e["msg"], type=e["type"]) for e in exc.errors()]
    detail = "; ".join(
        f"{'.'.join(str(part) for part in e.loc[1:]) or e.loc[0]}: {e.msg}" for e in found
    )
    return problem(422, f"invalid request: {detail}", found)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    # Asked of the routes with each method in turn: a router included with
    # include_router is one route here, without the methods of the routes inside it.
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


def app_state(name: str) -> Callable[[Request], Any]:
    """A dependency that returns ``app.state.<name>``: what an app factory put there
    (its settings, clients) reaches the routes this way, and tests override it.
    Async: FastAPI runs a plain ``def`` dependency in a worker thread, a round trip
    between threads per request for an attribute lookup."""

    async def read(request: Request) -> Any:
        return getattr(request.app.state, name)

    read.__name__ = f"state_{name}"
    return read
