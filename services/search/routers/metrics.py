"""``GET /v1/metrics/care``: first-response, deadline and resolution figures of the
conversations, overall and by group, for care dashboards."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from socialcare import elastic
from socialcare.http import error_responses
from socialcare.search import care_metrics
from socialcare.search.deps import ElasticDep, SettingsDep, reader
from socialcare.search.models import CareMetrics
from socialcare.search.routers import KEYED

router = APIRouter(dependencies=[Depends(reader)])


@router.get("/v1/metrics/care", response_model=CareMetrics, responses=error_responses(*KEYED))
async def care(
    params: Annotated[care_metrics.CareParams, Query()], es: ElasticDep, settings: SettingsDep
) -> CareMetrics:
    """Conversations opened in the window (by `opened_at`), their first-response time
    (p50/p90), the share answered by the deadline, the open ones past it, the
    resolution rate and time (p50/p90) and the reopen rate: overall and per
    `group_by`, each figure with the count it stands on. Computed by Elasticsearch
    aggregations over the conversation states."""
    result = await es.search(
        index=elastic.conversations_alias(settings),
        # No conversations index yet (not provisioned since the care loop): zeros.
        ignore_unavailable=True,
        **care_metrics.care_body(params, datetime.now(UTC)),
    )
    aggs = result.get("aggregations", {})
    return CareMetrics(
        since=params.since,
        until=params.until,
        group_by=params.group_by,
        overall=care_metrics.read_overall(aggs),
        groups=care_metrics.read_groups(aggs, params.group_by),
    )
