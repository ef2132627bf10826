"""The agents' search API over the events index."""

import base64
import hashlib
import hmac
import pathlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.exceptions import ApiError, NotFoundError, TransportError
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter, make_asgi_app
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialcare import elastic, erasure
from socialcare.logging import get_logger
from socialcare.search import queries
from socialcare.search.models import (
    AuthorHistory,
    Conversation,
    ConversationSummary,
    ErasureReport,
    FieldError,
    Problem,
    SearchHit,
    SearchResult,
    Similar,
    Stats,
    StatsBucket,
    StoredEvent,
)
from socialcare.search.settings import SearchSettings

log = get_logger(__name__)
CONSOLE = pathlib.Path(__file__).resolve().parent / "console"

REQUESTS = Counter(
    "socialcare_search_requests_total",
    "Search API requests by endpoint and status.",
    ["endpoint", "status"],
)
NO_EMBEDDING = {"excludes": ["classification.embedding"]}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint answers: all are a Problem."""
    return {status: {"model": Problem} for status in statuses}


# Every endpoint behind a key: no key (401), key without the scope (403), invalid input
# (422), Elasticsearch down (503).
KEYED = (401, 403, 422, 503)
ERRORS = errors(*KEYED, 404, 409)
API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="An agent's key from SOCIALCARE_SEARCH_API_KEYS; its scopes decide what it may "
    "call (read: everything but erasure; erase: erasure).",
    auto_error=False,  # a missing key is our 401 Problem, not FastAPI's default answer
)
# The console and the API load nothing from elsewhere, run no inline code and may not be
# framed (clickjacking): a strict policy. The docs page needs Swagger UI from its CDN.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
}


def problem(status: int, detail: str, errors: list[FieldError] | None = None) -> JSONResponse:
    body = Problem(status=status, detail=detail, errors=errors or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def create_app(settings: SearchSettings | None = None) -> FastAPI:
    settings = settings or SearchSettings()
    alias = settings.index_alias
    es_holder: dict[str, AsyncElasticsearch] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        es_holder["es"] = elastic.async_client(settings)
        yield
        await es_holder.pop("es").close()

    app = FastAPI(
        title="socialcare search",
        version="1",
        summary="Search conversation history: full text, threads, customers, similar messages.",
        lifespan=lifespan,
        docs_url=None,  # served below, with a policy that lets exactly Swagger UI run
        redoc_url=None,
    )
    app.mount("/metrics", make_asgi_app())
    # The agent console: static files calling this API with the agent's key.
    app.mount("/console", StaticFiles(directory=CONSOLE, html=True), name="console")

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable) -> Any:
        response = await call_next(request)
        route = request.scope.get("route")
        REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        return response

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable) -> Any:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(TransportError)
    async def es_unavailable(_: Request, exc: TransportError) -> Any:
        log.error("search.elasticsearch_unavailable", error=repr(exc))
        return problem(503, "Elasticsearch is unavailable")

    # One error shape for every status (the OpenAPI document promises it).
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Any:
        response = problem(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Any:
        found = [FieldError(loc=list(e["loc"]), msg=e["msg"], type=e["type"]) for e in exc.errors()]
        detail = "; ".join(
            f"{'.'.join(str(part) for part in e.loc[1:]) or e.loc[0]}: {e.msg}" for e in found
        )
        return problem(422, f"invalid request: {detail}", found)

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> Any:
        log.exception("search.internal_error", error=type(exc).__name__)
        return problem(500, "internal error")

    swagger = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")
    # Hashes of Swagger UI's inline scripts: they may run, nothing else inline may.
    inline = [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in re.findall(r"<script>(.*?)</script>", swagger.body.decode(), re.S)
    ]
    docs_csp = (
        f"default-src 'none'; script-src {SWAGGER_CDN} "
        + " ".join(f"'sha256-{h}'" for h in inline)
        # Swagger UI sets style attributes; styles cannot run code.
        + f"; style-src {SWAGGER_CDN} 'unsafe-inline'; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(swagger.body, headers={"Content-Security-Policy": docs_csp})

    def es() -> AsyncElasticsearch:
        return es_holder["es"]

    def require(scope: str) -> Callable[..., str]:
        def check(x_api_key: Annotated[str | None, Security(API_KEY)]) -> str:
            if not x_api_key:
                raise HTTPException(401, "missing X-API-Key header")
            for key, scopes in settings.search_api_keys.items():
                if hmac.compare_digest(key.encode(), x_api_key.encode()):
                    if scope not in scopes:
                        raise HTTPException(403, f"this key lacks the {scope!r} scope")
                    return hashlib.sha256(key.encode()).hexdigest()[:12]
            raise HTTPException(403, "unknown API key")

        return check

    read = Depends(require("read"))

    # --- search --------------------------------------------------------------------

    @app.get(
        "/v1/search", response_model=SearchResult, responses=errors(*KEYED), dependencies=[read]
    )
    async def search(
        params: Annotated[queries.SearchParams, Query()],
        client: Annotated[AsyncElasticsearch, Depends(es)],
    ) -> SearchResult:
        """Full text and filters, highlighted, with facet counts. Page with `cursor`
        (search_after): stable and without a depth limit."""
        try:
            body = queries.search_body(params, datetime.now(UTC))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        result = await client.search(index=alias, **body)
        hits = result["hits"]["hits"]
        return SearchResult(
            total=result["hits"]["total"]["value"],
            hits=[_hit(h) for h in hits],
            facets={
                name: {b["key"]: b["doc_count"] for b in agg["buckets"]}
                for name, agg in result["aggregations"].items()
            },
            next_cursor=queries.encode_cursor(queries.page_sort(params), hits[-1]["sort"])
            if len(hits) == params.size
            else None,
        )

    @app.get(
        "/v1/conversations/{conversation_id}",
        response_model=Conversation,
        responses=errors(*KEYED, 404),
        dependencies=[read],
    )
    async def conversation(
        conversation_id: str, client: Annotated[AsyncElasticsearch, Depends(es)]
    ) -> Conversation:
        """The whole thread in order, each message with its classification and routing."""
        events = [
            StoredEvent.model_validate(h["_source"])
            async for h in _scan(
                client,
                alias,
                {"term": {"conversation_id": conversation_id}},
                [{"created_at": "asc"}, {"event_id": "asc"}],
            )
        ]
        if not events:
            raise HTTPException(404, f"no conversation {conversation_id!r}")
        return Conversation(conversation_id=conversation_id, events=events)

    @app.get(
        "/v1/authors/{platform}/{author_id}/history",
        response_model=AuthorHistory,
        responses=errors(*KEYED),
        dependencies=[read],
    )
    async def author_history(
        platform: str,
        author_id: str,
        client: Annotated[AsyncElasticsearch, Depends(es)],
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> AuthorHistory:
        """A customer's previous interactions across conversations, newest first."""
        result = await client.search(
            index=alias,
            query=_author_query(platform, author_id),
            sort=[{"created_at": "desc"}, {"event_id": "asc"}],
            size=size,
            track_total_hits=True,
            source=NO_EMBEDDING,
            aggs={
                "conversations": {
                    "terms": {"field": "conversation_id", "size": 100, "order": {"last": "desc"}},
                    "aggs": {"last": {"max": {"field": "created_at"}}},
                }
            },
        )
        return AuthorHistory(
            platform=platform,
            author_id=author_id,
            total=result["hits"]["total"]["value"],
            conversations=[
                ConversationSummary(
                    conversation_id=b["key"],
                    messages=b["doc_count"],
                    last_at=b["last"]["value_as_string"],
                )
                for b in result["aggregations"]["conversations"]["buckets"]
            ],
            events=[StoredEvent.model_validate(h["_source"]) for h in result["hits"]["hits"]],
        )

    @app.get(
        "/v1/similar/{event_id}",
        response_model=Similar,
        responses=errors(*KEYED, 404, 409),
        dependencies=[read],
    )
    async def similar(
        event_id: str,
        client: Annotated[AsyncElasticsearch, Depends(es)],
        size: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> Similar:
        """Messages closest to this one by sentence embedding: e.g. all reports of one
        defect, in any language."""
        try:
            doc = await client.get(index=alias, id=event_id, source=["classification.embedding"])
        except NotFoundError as exc:
            raise HTTPException(404, f"no event {event_id!r}") from exc
        vector = (doc["_source"].get("classification") or {}).get("embedding")
        if not vector:
            raise HTTPException(409, f"event {event_id!r} has no embedding to compare")
        result = await client.search(
            index=alias,
            knn={
                "field": "classification.embedding",
                "query_vector": vector,
                "k": size + 1,
                "num_candidates": max(100, (size + 1) * 10),
            },
            size=size + 1,
            source=NO_EMBEDDING,
        )
        hits = [h for h in result["hits"]["hits"] if h["_id"] != event_id][:size]
        return Similar(event_id=event_id, similar=[_hit(h) for h in hits])

    @app.get("/v1/stats", response_model=Stats, responses=errors(*KEYED), dependencies=[read])
    async def stats(
        window: Annotated[queries.StatsParams, Query()],
        client: Annotated[AsyncElasticsearch, Depends(es)],
    ) -> Stats:
        """Volumes over time by intent and sentiment, totals by language, platform and
        queue, and first-response SLA breaches, for dashboards."""
        now = datetime.now(UTC)
        params = queries.SearchParams(since=window.since, until=window.until)
        scope = {"bool": {"filter": queries.filters(params, now)}}
        # The histogram has a bucket for every interval between the first and the last
        # message: measure that span first, so years of data in hours cannot pass
        # Elasticsearch's bucket limit (a 400, which was a 500 here).
        span = await client.search(
            index=alias,
            size=0,
            query=scope,
            aggs={
                "first": {"min": {"field": "created_at"}},
                "last": {"max": {"field": "created_at"}},
            },
        )
        interval = queries.stats_interval(
            window.interval,
            span["aggregations"]["first"]["value"],
            span["aggregations"]["last"]["value"],
        )

        def terms(field: str) -> dict[str, Any]:
            return {"terms": {"field": field, "size": 50}}

        result = await client.search(
            index=alias,
            size=0,
            query=scope,
            track_total_hits=True,
            aggs={
                "over_time": {
                    "date_histogram": {"field": "created_at", "calendar_interval": interval},
                    "aggs": {
                        "intent": terms("classification.intent"),
                        "sentiment": terms("classification.sentiment"),
                    },
                },
                "intent": terms("classification.intent"),
                "sentiment": terms("classification.sentiment"),
                "language": terms("classification.language"),
                "platform": terms("platform"),
                "queue": terms("routing.queue"),
                "breached": {"filter": queries.breached_query(now)},
            },
        )
        aggs = result["aggregations"]

        def counts(agg: dict[str, Any]) -> dict[str, int]:
            return {b["key"]: b["doc_count"] for b in agg["buckets"]}

        return Stats(
            total=result["hits"]["total"]["value"],
            interval=interval,
            over_time=[
                StatsBucket(
                    start=b["key_as_string"],
                    total=b["doc_count"],
                    intent=counts(b["intent"]),
                    sentiment=counts(b["sentiment"]),
                )
                for b in aggs["over_time"]["buckets"]
            ],
            intent=counts(aggs["intent"]),
            sentiment=counts(aggs["sentiment"]),
            language=counts(aggs["language"]),
            platform=counts(aggs["platform"]),
            queue=counts(aggs["queue"]),
            sla_breached=aggs["breached"]["doc_count"],
        )

    # The erasure log, read when the first erasure comes (merging a retry into the
    # record of an earlier attempt needs it); a daemon thread that follows the topic.
    erasure_log: dict[str, erasure.ErasureFollower] = {}

    @app.delete(
        "/v1/authors/{platform}/{author_id}",
        response_model=ErasureReport,
        responses=errors(401, 403, 422, 502, 503),
    )
    async def erase_author(
        platform: Annotated[str, Path(min_length=1)],
        author_id: Annotated[str, Path(min_length=1)],
        client: Annotated[AsyncElasticsearch, Depends(es)],
        key_id: Annotated[str, Depends(require("erase"))],
    ) -> ErasureReport:
        """Erase one customer (right to erasure): record the erasure durably on the
        erasure topic (so no replay or reprocessing brings them back), then delete their
        messages, and the brand's replies in their own conversations, from every index
        version; audited. Needs the `erase` scope.

        503: the erasure could not be recorded, nothing was deleted. 502: recorded,
        but some deletes failed (the reason says which); call again to finish: it is
        idempotent."""
        if "follower" not in erasure_log:
            erasure_log["follower"] = erasure.ErasureFollower(settings)
        outcome = await erasure.erase_author(
            client,
            settings,
            erasure_log["follower"],
            platform,
            author_id,
            alias=alias,
            key_id=key_id,
        )
        if not outcome.complete:
            status = 502 if outcome.recorded else 503
            raise HTTPException(
                status,
                f"erasure {outcome.erasure_id} incomplete"
                + ("" if outcome.recorded else " (not recorded, nothing deleted)")
                + ": "
                + "; ".join(outcome.failures)[:2000]
                + ". Fix the cause and call again: the erasure is idempotent.",
            )
        assert outcome.audit_id is not None  # complete means audited
        return ErasureReport(
            platform=platform,
            author_id=author_id,
            erasure_id=outcome.erasure_id,
            deleted=outcome.deleted,
            replies_deleted=outcome.replies_deleted,
            erased_at=outcome.erased_at,
            audit_id=outcome.audit_id,
        )

    # --- operations -----------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", responses=errors(503))
    async def readyz(client: Annotated[AsyncElasticsearch, Depends(es)]) -> dict[str, str]:
        """Elasticsearch answers and the events alias exists."""
        try:
            if not await client.indices.exists_alias(name=alias):
                raise HTTPException(503, f"index alias {alias!r} does not exist")
        except (TransportError, ApiError) as exc:
            raise HTTPException(503, "Elasticsearch is unavailable") from exc
        return {"status": "ready"}

    return app


def _hit(hit: dict[str, Any]) -> SearchHit:
    highlight = (hit.get("highlight") or {}).get("text")
    return SearchHit(
        event=StoredEvent.model_validate(hit["_source"]),
        score=hit.get("_score"),
        highlight=highlight[0] if highlight else None,
    )


def _author_query(platform: str, author_id: str) -> dict[str, Any]:
    return {
        "bool": {"filter": [{"term": {"platform": platform}}, {"term": {"author.id": author_id}}]}
    }


async def _scan(
    client: AsyncElasticsearch,
    index: str,
    query: dict[str, Any],
    sort: list[Any],
    source: Any = NO_EMBEDDING,
    page: int = 1000,
) -> AsyncIterator[dict[str, Any]]:
    """Every hit of ``query`` in ``sort`` order, page by page with search_after."""
    after = None
    while True:
        extra = {"search_after": after} if after else {}
        result = await client.search(
            index=index, query=query, sort=sort, size=page, source=source, **extra
        )
        hits = result["hits"]["hits"]
        for hit in hits:
            yield hit
        if len(hits) < page:
            return
        after = hits[-1]["sort"]
