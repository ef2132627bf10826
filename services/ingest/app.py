"""The ingest HTTP service: thin routes over the adapters, signatures and publisher."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import make_asgi_app
from pydantic import BaseModel

from services.ingest import signatures
from services.ingest.adapters import (
    Adapter,
    BadPayload,
    Context,
    generic,
    meta,
    telegram,
    viber,
    x,
)
from services.ingest.metrics import IGNORED, REQUESTS
from services.ingest.publisher import EventPublisher, PublishError, RecentIds
from services.ingest.settings import IngestSettings
from services.ingest.signatures import SignatureError
from socialcare.logging import get_logger
from socialcare.metrics import EVENTS
from socialcare.topics import RAW

log = get_logger(__name__)

Verifier = Callable[[bytes, Request], None]


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    ignored: int
    event_ids: list[str]


class Problem(BaseModel):
    detail: str


ERRORS = {status: {"model": Problem} for status in (400, 401, 403, 413, 415, 422, 503)}


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
            verify(body, request)
            context = dataclasses.replace(base_context, received_at=datetime.now(UTC))
            parsed = adapter(dict(request.headers), body, context)
            fresh, duplicates = recent.split(parsed.events)
            if fresh:
                await publisher.publish_async(fresh)
                recent.remember(fresh)
        except HTTPException as exc:
            status = exc.status_code
            raise
        except SignatureError as exc:
            status = exc.status
            log.warning("ingest.unauthenticated", platform=platform, reason=str(exc))
            raise HTTPException(exc.status, str(exc)) from exc
        except BadPayload as exc:
            status = exc.status
            log.warning("ingest.bad_payload", platform=platform, reason=exc.reason)
            raise HTTPException(exc.status, exc.reason) from exc
        except PublishError as exc:
            status = 503
            log.error("ingest.kafka_unavailable", platform=platform, error=str(exc))
            raise HTTPException(
                503, "Kafka is unavailable; retry later", headers={"Retry-After": "5"}
            ) from exc
        finally:
            REQUESTS.labels(platform, str(status)).inc()

        for event in fresh:
            log.info(
                "ingest.accepted",
                event_id=event.event_id,
                platform=event.platform,
                kind=event.kind,
                conversation_id=event.conversation_id,
            )
        for event in duplicates:
            log.info("ingest.duplicate", event_id=event.event_id, platform=event.platform)
        EVENTS.labels("ingest", RAW.name, "ok").inc(len(fresh))
        EVENTS.labels("ingest", RAW.name, "duplicate").inc(len(duplicates))
        for kind in parsed.ignored:
            IGNORED.labels(kind).inc()
        result = IngestResult(
            accepted=len(fresh),
            duplicates=len(duplicates),
            ignored=len(parsed.ignored),
            event_ids=[e.event_id for e in parsed.events],
        )
        return JSONResponse(result.model_dump())

    # --- platform webhooks --------------------------------------------------------

    @app.get("/webhooks/meta", response_class=PlainTextResponse, responses=ERRORS)
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
    async def x_crc(crc_token: str = Query(..., min_length=1)) -> dict[str, str]:
        """X's challenge-response check: prove we hold the consumer secret."""
        if not settings.x_consumer_secret:
            raise HTTPException(401, "SOCIALCARE_X_CONSUMER_SECRET is not configured")
        return {
            "response_token": signatures.x_signature(crc_token.encode(), settings.x_consumer_secret)
        }

    # One delivery endpoint per platform: path, metrics label, signature check, adapter.
    deliveries: list[tuple[str, str, Verifier, Adapter, str]] = [
        (
            "/webhooks/meta",
            "meta",
            lambda body, req: signatures.verify_meta(
                body, req.headers.get("x-hub-signature-256"), settings.meta_app_secret
            ),
            meta.parse,
            "Messenger, Facebook Page feed, Instagram and WhatsApp deliveries.",
        ),
        (
            "/webhooks/x",
            "twitter",
            lambda body, req: signatures.verify_x(
                body, req.headers.get("x-twitter-webhooks-signature"), settings.x_consumer_secret
            ),
            x.parse,
            "X Account Activity: tweets mentioning or replying to the brand, and DMs.",
        ),
        (
            "/webhooks/viber",
            "viber",
            lambda body, req: signatures.verify_viber(
                body, req.headers.get("x-viber-content-signature"), settings.viber_auth_token
            ),
            viber.parse,
            "Viber bot callbacks; only `message` callbacks become events.",
        ),
        (
            "/webhooks/telegram",
            "telegram",
            lambda body, req: signatures.verify_telegram(
                req.headers.get("x-telegram-bot-api-secret-token"), settings.telegram_secret_token
            ),
            telegram.parse,
            "Telegram Bot API updates (message, edited_message, channel posts).",
        ),
        (
            "/v1/events",
            "generic",
            lambda body, req: signatures.verify_api_key(
                req.headers.get("x-api-key"), settings.ingest_api_keys
            ),
            generic.parse,
            "Events from any other source, already in the shared schema: one object or a "
            "list. `received_at` may be omitted. Requires an `X-API-Key` header.",
        ),
    ]

    def endpoint(platform: str, verify: Verifier, adapter: Adapter) -> Callable:
        async def deliver(request: Request) -> JSONResponse:
            return await take(request, platform, verify, adapter)

        return deliver

    for path, platform, verify, adapter, description in deliveries:
        app.add_api_route(
            path,
            endpoint(platform, verify, adapter),
            methods=["POST"],
            response_model=IngestResult,
            responses=ERRORS,
            summary=f"Deliveries to {path}",
            description=description,
            name=f"deliver_{platform}",
        )

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
