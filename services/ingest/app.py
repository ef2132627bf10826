"""The ingest HTTP service: thin routes over the adapters, signatures and publisher."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import make_asgi_app
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialcare.ingest import signatures
from socialcare.ingest.adapters import (
    Adapter,
    BadPayload,
    Context,
    generic,
    meta,
    telegram,
    viber,
    x,
)
from socialcare.ingest.adapters.generic import MAX_BATCH, MAX_MESSAGE_ID
from socialcare.ingest.metrics import IGNORED, REQUESTS, ignored_label
from socialcare.ingest.publisher import EventPublisher, PublishError, RecentIds
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.signatures import CRC_TOKEN_PATTERN, SignatureError
from socialcare.logging import get_logger
from socialcare.metrics import EVENTS
from socialcare.schema import RESERVED_PLATFORMS, Event
from socialcare.topics import RAW

log = get_logger(__name__)

# Checks a request's credentials; returns what they permit (see Context.permissions).
Verifier = Callable[[bytes, Request], frozenset[str] | None]


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    ignored: int
    event_ids: list[str]


class Problem(BaseModel):
    detail: str


ERRORS = {status: {"model": Problem} for status in (400, 401, 403, 413, 415, 422, 503)}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def create_app(
    settings: IngestSettings | None = None, publisher: EventPublisher | None = None
) -> FastAPI:
    settings = settings or IngestSettings()
    publisher = publisher or EventPublisher(settings, settings.ingest_publish_timeout_seconds)
    recent = RecentIds(settings.ingest_dedup_window_seconds, settings.ingest_dedup_max_entries)
    base_context = Context(
        received_at=datetime.now(UTC),
        brand_handles=frozenset(h.lower().lstrip("@") for h in settings.brand_handles),
        listening_keywords=tuple(settings.listening_keywords),
        viber_account_id=settings.viber_account_id,
        telegram_account_id=settings.telegram_account_id,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        publisher.close()

    app = FastAPI(
        title="socialcare ingest",
        version="1",
        summary="Platform webhooks in, normalized events out to social.events.raw.",
        lifespan=lifespan,
    )
    app.mount("/metrics", make_asgi_app())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path; a path
            # with a GET and a POST route must answer that both are allowed.
            allowed = sorted(
                {
                    method
                    for route in app.routes
                    if isinstance(route, APIRoute) and route.path == request.url.path
                    for method in route.methods
                }
            )
            return JSONResponse(
                {"detail": "Method Not Allowed"}, 405, headers={"Allow": ", ".join(allowed)}
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Every error body is {"detail": "<reason>"} (the documented Problem), also
        # FastAPI's own parameter checks, which would otherwise answer a list.
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return JSONResponse({"detail": f"{where}: {first['msg']}"}, status_code=422)

    async def read_body(request: Request) -> bytes:
        limit = settings.ingest_max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise HTTPException(413, f"body larger than {limit} bytes")
        content_type = request.headers.get("content-type", "")
        if not content_type.split(";")[0].strip().lower() == "application/json":
            raise HTTPException(415, f"content type must be application/json, not {content_type!r}")
        return bytes(body)

    async def take(
        request: Request, platform: str, verify: Verifier, adapter: Adapter
    ) -> JSONResponse:
        """The whole life of one delivery: size, type, signature, parse, dedup, publish."""
        status = 200
        try:
            body = await read_body(request)
            permissions = verify(body, request) or frozenset()
            context = dataclasses.replace(
                base_context, received_at=datetime.now(UTC), permissions=permissions
            )
            parsed = adapter(dict(request.headers), body, context)
            async with recent.claim(parsed.events) as (fresh, duplicates):
                if fresh:
                    await publisher.publish_async(fresh)
        except HTTPException as exc:
            status = exc.status_code
            raise
        except SignatureError as exc:
            status = exc.status
            log.warning("ingest.unauthenticated", platform=platform, reason=str(exc))
            raise HTTPException(exc.status, str(exc)) from exc
        except BadPayload as exc:
            status = exc.status
            # The reason goes back to the sender; it may quote the payload (names,
            # numbers), so the log keeps only what kind of error it was.
            cause = type(exc.__cause__).__name__ if exc.__cause__ else "BadPayload"
            log.warning("ingest.bad_payload", platform=platform, status=status, error=cause)
            raise HTTPException(exc.status, exc.reason) from exc
        except PublishError as exc:
            status = 503
            log.error("ingest.kafka_unavailable", platform=platform, error=str(exc))
            raise HTTPException(
                503, "Kafka is unavailable; retry later", headers={"Retry-After": "5"}
            ) from exc
        except Exception:
            status = 500  # a bug: counted as what the sender gets, not as a 200
            raise
        finally:
            REQUESTS.labels(platform, str(status)).inc()

        # No conversation_id or author in logs: they hold phone numbers and user ids.
        for event in fresh:
            log.info(
                "ingest.accepted", event_id=event.event_id, platform=event.platform, kind=event.kind
            )
        for event in duplicates:
            log.info("ingest.duplicate", event_id=event.event_id, platform=event.platform)
        EVENTS.labels("ingest", RAW.name, "ok").inc(len(fresh))
        EVENTS.labels("ingest", RAW.name, "duplicate").inc(len(duplicates))
        for kind in parsed.ignored:
            IGNORED.labels(ignored_label(kind)).inc()
        result = IngestResult(
            accepted=len(fresh),
            duplicates=len(duplicates),
            ignored=len(parsed.ignored),
            event_ids=[e.event_id for e in parsed.events],
        )
        return JSONResponse(result.model_dump())

    # --- platform webhooks --------------------------------------------------------

    # The challenge comes back as text/plain, the errors as JSON like everywhere else:
    # declared per status, since a route's response_class would label both text/plain.
    @app.get(
        "/webhooks/meta",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
            **{
                status: {"content": {"application/json": {"schema": PROBLEM_REF}}}
                for status in ERRORS
            },
        },
    )
    async def meta_verify(
        mode: str = Query("", alias="hub.mode"),
        token: str = Query("", alias="hub.verify_token"),
        challenge: str = Query("", alias="hub.challenge"),
    ) -> str:
        """Meta's subscription handshake: echo hub.challenge when the token matches."""
        expected = settings.meta_verify_token
        if mode != "subscribe" or not expected or not signatures.constant_equal(token, expected):
            raise HTTPException(403, "verification token mismatch")
        return challenge

    @app.get("/webhooks/x", responses=ERRORS)
    async def x_crc(
        crc_token: str = Query(
            ...,
            min_length=1,
            description="X's challenge: a short base64 string. Nothing else is signed, so "
            "this endpoint cannot sign a delivery body (see signatures.x_crc_response).",
            # Documented, checked by x_crc_response (400 with the reason).
            json_schema_extra={"pattern": CRC_TOKEN_PATTERN},
        ),
    ) -> dict[str, str]:
        """X's challenge-response check: prove we hold the consumer secret."""
        if not settings.x_consumer_secret:
            raise HTTPException(401, "SOCIALCARE_X_CONSUMER_SECRET is not configured")
        try:
            token = signatures.x_crc_response(crc_token, settings.x_consumer_secret)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"response_token": token}

    # One delivery endpoint per platform: path, metrics label, signature check, adapter,
    # description, and the OpenAPI of its request (credentials header, body schema).
    deliveries: list[tuple[str, str, Verifier, Adapter, str, dict[str, Any]]] = [
        (
            "/webhooks/meta",
            "meta",
            lambda body, req: signatures.verify_meta(
                body, req.headers.get("x-hub-signature-256"), settings.meta_app_secret
            ),
            meta.parse,
            "Messenger, Facebook Page feed, Instagram and WhatsApp deliveries.",
            _webhook_openapi(
                "X-Hub-Signature-256",
                "sha256=<hex HMAC-SHA256 of the body with the Meta app secret>",
                {
                    "object": {"enum": ["page", "instagram", "whatsapp_business_account"]},
                    "entry": {"type": "array", "items": {"type": "object"}},
                },
            ),
        ),
        (
            "/webhooks/x",
            "twitter",
            lambda body, req: signatures.verify_x(
                body, req.headers.get("x-twitter-webhooks-signature"), settings.x_consumer_secret
            ),
            x.parse,
            "X Account Activity: tweets mentioning or replying to the brand, and DMs.",
            _webhook_openapi(
                "X-Twitter-Webhooks-Signature",
                "sha256=<base64 HMAC-SHA256 of the body with the consumer secret>",
                {"for_user_id": {"type": ["string", "integer"]}},
            ),
        ),
        (
            "/webhooks/viber",
            "viber",
            lambda body, req: signatures.verify_viber(
                body, req.headers.get("x-viber-content-signature"), settings.viber_auth_token
            ),
            viber.parse,
            "Viber bot callbacks; only `message` callbacks become events.",
            _webhook_openapi(
                "X-Viber-Content-Signature",
                "<hex HMAC-SHA256 of the body with the bot's auth token>",
                {"event": {"type": "string"}},
            ),
        ),
        (
            "/webhooks/telegram",
            "telegram",
            lambda body, req: signatures.verify_telegram(
                req.headers.get("x-telegram-bot-api-secret-token"), settings.telegram_secret_token
            ),
            telegram.parse,
            "Telegram Bot API updates (message, edited_message, channel posts).",
            _webhook_openapi(
                "X-Telegram-Bot-Api-Secret-Token",
                "the secret_token given to setWebhook",
                {"update_id": {"type": "integer"}},
            ),
        ),
        (
            "/v1/events",
            "generic",
            lambda body, req: signatures.verify_api_key(
                req.headers.get("x-api-key"), settings.ingest_api_keys
            ),
            generic.parse,
            "Events from any other source, already in the shared schema: one object or a "
            f"list of at most {MAX_BATCH}. `received_at` and `event_id` may be omitted. "
            "The native platforms' names are reserved for their webhooks (422); "
            "`direction: outbound` needs a key granted `outbound` (403). Requires an "
            "`X-API-Key` header.",
            {
                "security": [{API_KEY_SCHEME: []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/Event"},
                                    {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Event"},
                                        "minItems": 1,
                                        "maxItems": MAX_BATCH,
                                    },
                                ]
                            }
                        }
                    },
                },
            },
        ),
    ]

    def endpoint(platform: str, verify: Verifier, adapter: Adapter) -> Callable:
        async def deliver(request: Request) -> JSONResponse:
            return await take(request, platform, verify, adapter)

        return deliver

    for path, platform, verify, adapter, description, openapi_extra in deliveries:
        app.add_api_route(
            path,
            endpoint(platform, verify, adapter),
            methods=["POST"],
            response_model=IngestResult,
            responses=ERRORS,
            summary=f"Deliveries to {path}",
            description=description,
            name=f"deliver_{platform}",
            # The handlers read the raw body (signatures are over the exact bytes), so
            # FastAPI cannot see it; the request is described here instead.
            openapi_extra=openapi_extra,
        )

    generated_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generated_openapi()
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(_event_schemas())
            components["securitySchemes"] = {
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "A key of SOCIALCARE_INGEST_API_KEYS.",
                }
            }
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # --- operations -----------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": Problem}})
    async def readyz() -> dict[str, str]:
        """Kafka is reachable: only then can a delivery be acknowledged."""
        if not await anyio.to_thread.run_sync(publisher.is_ready):
            raise HTTPException(503, "Kafka is not reachable")
        return {"status": "ready"}

    return app


API_KEY_SCHEME = "ApiKey"


def _webhook_openapi(header: str, header_value: str, required: dict[str, Any]) -> dict[str, Any]:
    """A webhook's request: its signature header and the platform's JSON object.

    Only the top-level fields every delivery has are described; the rest is the
    platform's documented payload, and a delivery without what the adapter needs is
    answered 422 naming the field.
    """
    return {
        "parameters": [
            {
                "name": header,
                "in": "header",
                "required": True,
                "description": header_value,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": required,
                        "required": sorted(required),
                    }
                }
            },
        },
    }


def _event_schemas() -> dict[str, Any]:
    """The JSON Schema of an event as POST /v1/events takes it, from the pydantic model."""
    schema = Event.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    # Filled in by ingest: received_at when omitted, event_id from platform and
    # platform_message_id (if sent, it must equal "<platform>:<platform_message_id>").
    schema["required"] = [f for f in schema["required"] if f not in {"received_at", "event_id"}]
    schema["properties"]["event_id"]["readOnly"] = True
    schema["properties"]["platform"]["not"] = {"enum": sorted(RESERVED_PLATFORMS)}
    schema["properties"]["platform_message_id"]["maxLength"] = MAX_MESSAGE_ID
    return {**definitions, "Event": schema}
