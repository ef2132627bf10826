"""``GET /v1/stats``: volumes and SLA breaches for dashboards."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from socialcare.http import error_responses
from socialcare.search import queries, stats_queries
from socialcare.search.deps import ElasticDep, SettingsDep, reader
from socialcare.search.models import Stats, StatsBucket
from socialcare.search.routers import KEYED

router = APIRouter(dependencies=[Depends(reader)])


@router.get("/v1/stats", response_model=Stats, responses=error_responses(*KEYED))
async def stats(
    window: Annotated[stats_queries.StatsParams, Query()], es: ElasticDep, settings: SettingsDep
) -> Stats:
    """Volumes over time by intent and sentiment, totals by language, platform and
    queue, and first-response SLA breaches, for dashboards."""
    now = datetime.now(UTC)
    alias = settings.index_alias
    params = queries.SearchParams(since=window.since, until=window.until)
    scope = {"bool": {"filter": queries.filters(params, now)}}
    # The histogram has a bucket for every interval between the first and the last
    # message: measure that span first, so years of data in hours cannot pass
    # Elasticsearch's bucket limit (a 400, which was a 500 here).
    span = await es.search(index=alias, size=0, query=scope, aggs=stats_queries.span_aggs())
    first, last = (span["aggregations"][end]["value"] for end in ("first", "last"))
    requested = window.interval or stats_queries.readable_interval(window, first, last)
    interval = stats_queries.stats_interval(requested, first, last)
    result = await es.search(
        index=alias,
        size=0,
        query=scope,
        track_total_hits=True,
        aggs=stats_queries.stats_aggs(interval, now),
    )
    return _stats(result, interval)


def _stats(result: dict[str, Any], interval: str) -> Stats:
    aggs = result["aggregations"]
    return Stats(
        total=result["hits"]["total"]["value"],
        interval=interval,
        over_time=[
            StatsBucket(
                start=b["key_as_string"],
                total=b["doc_count"],
                intent=_counts(b["intent"]),
                sentiment=_counts(b["sentiment"]),
            )
            for b in aggs["over_time"]["buckets"]
        ],
        **{name: _counts(aggs[name]) for name in stats_queries.STATS_FACETS},
        sla_breached=aggs["breached"]["doc_count"],
    )


def _counts(agg: dict[str, Any]) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in agg["buckets"]}
