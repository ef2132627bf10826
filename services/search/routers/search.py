"""``GET /v1/search``: full text and filters over the events, with facet counts."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from socialcare.http import error_responses
from socialcare.search import queries
from socialcare.search.deps import ElasticDep, SettingsDep, reader
from socialcare.search.models import SearchHit, SearchResult
from socialcare.search.routers import KEYED

router = APIRouter(dependencies=[Depends(reader)])


@router.get("/v1/search", response_model=SearchResult, responses=error_responses(*KEYED))
async def search(
    params: Annotated[queries.SearchParams, Query()], es: ElasticDep, settings: SettingsDep
) -> SearchResult:
    """Full text and filters, highlighted, with facet counts. Page with `cursor`
    (search_after): stable and without a depth limit."""
    try:
        body = queries.search_body(params, datetime.now(UTC))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    result = await es.search(index=settings.index_alias, **body)
    hits = result["hits"]["hits"]
    return SearchResult(
        total=result["hits"]["total"]["value"],
        hits=[SearchHit.from_hit(h) for h in hits],
        facets={
            name: {b["key"]: b["doc_count"] for b in agg["buckets"]}
            for name, agg in result["aggregations"].items()
        },
        next_cursor=queries.encode_cursor(queries.page_sort(params), hits[-1]["sort"])
        if len(hits) == params.size
        else None,
    )
