"""``/v1/authors/{platform}/{author_id}``: a customer's history, and their erasure."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from socialcare import erasure
from socialcare.http import error_responses
from socialcare.search import queries
from socialcare.search.deps import ElasticDep, EraseKey, ErasureLogDep, SettingsDep, reader
from socialcare.search.models import AuthorHistory, ConversationSummary, ErasureReport, StoredEvent
from socialcare.search.routers import KEYED

router = APIRouter()


@router.get(
    "/v1/authors/{platform}/{author_id}/history",
    response_model=AuthorHistory,
    responses=error_responses(*KEYED),
    dependencies=[Depends(reader)],
)
async def author_history(
    platform: str,
    author_id: str,
    es: ElasticDep,
    settings: SettingsDep,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuthorHistory:
    """A customer's previous interactions across conversations, newest first."""
    result = await es.search(
        index=settings.index_alias,
        query=queries.author_query(platform, author_id),
        sort=[{"created_at": "desc"}, {"event_id": "asc"}],
        size=size,
        track_total_hits=True,
        source=queries.NO_EMBEDDING,
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


@router.delete(
    "/v1/authors/{platform}/{author_id}",
    response_model=ErasureReport,
    responses=error_responses(401, 403, 422, 502, 503),
)
async def erase_author(
    caller: EraseKey,
    platform: Annotated[str, Path(min_length=1)],
    author_id: Annotated[str, Path(min_length=1)],
    es: ElasticDep,
    settings: SettingsDep,
    erasure_log: ErasureLogDep,
) -> ErasureReport:
    """Erase one customer (right to erasure): record the erasure durably on the
    erasure topic (so no replay or reprocessing brings them back), then delete their
    messages, and the brand's replies in their own conversations, from every index
    version; audited. Needs the `erase` scope.

    503: the erasure could not be recorded, nothing was deleted. 502: recorded,
    but some deletes failed (the reason says which); call again to finish: it is
    idempotent."""
    outcome = await erasure.erase_author(
        es,
        settings,
        erasure_log,
        platform,
        author_id,
        alias=settings.index_alias,
        key_id=caller.key_id,
    )
    if not outcome.complete:
        raise HTTPException(502 if outcome.recorded else 503, _incomplete(outcome))
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


def _incomplete(outcome: erasure.ErasureOutcome) -> str:
    return (
        f"erasure {outcome.erasure_id} incomplete"
        + ("" if outcome.recorded else " (not recorded, nothing deleted)")
        + ": "
        + "; ".join(outcome.failures)[:2000]
        + ". Fix the cause and call again: the erasure is idempotent."
    )
