"""``GET /v1/similar/{event_id}``: messages closest to one by sentence embedding."""

from typing import Annotated

from elasticsearch.exceptions import NotFoundError
from fastapi import APIRouter, Depends, HTTPException, Query

from socialcare.http import error_responses
from socialcare.search.deps import ElasticDep, SettingsDep, reader
from socialcare.search.models import SearchHit, Similar
from socialcare.search.queries import NO_EMBEDDING
from socialcare.search.routers import KEYED

router = APIRouter(dependencies=[Depends(reader)])


def knn_query(vector: list[float], k: int) -> dict:
    """The kNN clause for the ``k`` nearest. A flat index scans every vector whatever
    the candidates; an HNSW graph at 100,000 random vectors found 79 % of the exact 10
    nearest with 110 candidates and 97 % with 400 (docs/performance.md)."""
    return {
        "field": "classification.embedding",
        "query_vector": vector,
        "k": k,
        "num_candidates": max(400, k * 10),
    }


@router.get(
    "/v1/similar/{event_id}",
    response_model=Similar,
    responses=error_responses(*KEYED, 404, 409),
)
async def similar(
    event_id: str,
    es: ElasticDep,
    settings: SettingsDep,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Similar:
    """Messages closest to this one by sentence embedding: e.g. all reports of one
    defect, in any language."""
    alias = settings.index_alias
    try:
        doc = await es.get(index=alias, id=event_id, source=["classification.embedding"])
    except NotFoundError as exc:
        raise HTTPException(404, f"no event {event_id!r}") from exc
    vector = (doc["_source"].get("classification") or {}).get("embedding")
    if not vector:
        raise HTTPException(409, f"event {event_id!r} has no embedding to compare")
    result = await es.search(
        index=alias,
        knn=knn_query(vector, size + 1),
        size=size + 1,
        source=NO_EMBEDDING,
    )
    hits = [h for h in result["hits"]["hits"] if h["_id"] != event_id][:size]
    return Similar(event_id=event_id, similar=[SearchHit.from_hit(h) for h in hits])
