"""``GET /v1/alerts``: spike alerts of the stream (the alerts worker's index), newest first."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from socialcare.alerts.store import alerts_index
from socialcare.http import error_responses
from socialcare.schema import Alert, AlertStatus
from socialcare.search.deps import ElasticDep, ReadKey, SettingsDep
from socialcare.search.routers import KEYED

router = APIRouter()


class AlertParams(BaseModel):
    status: AlertStatus | None = Field(
        None,
        description="Only cleared alerts, or (`open`, `updated`) only those not cleared yet.",
    )
    size: int = Field(20, ge=1, le=100)


class Alerts(BaseModel):
    total: int
    alerts: list[Alert]


@router.get("/v1/alerts", response_model=Alerts, responses=error_responses(*KEYED))
async def alerts(
    params: Annotated[AlertParams, Query()],
    _: ReadKey,
    es: ElasticDep,
    settings: SettingsDep,
) -> Alerts:
    """Spikes the alerts worker raised (a product name, an intent, a language or a
    platform far above its baseline), most recently changed first: what spiked, since
    when, how much, a few example event ids. `status=open` lists those not cleared."""
    query: dict = {"match_all": {}}
    if params.status == AlertStatus.cleared:
        query = {"term": {"status": AlertStatus.cleared.value}}
    elif params.status is not None:  # open or updated: not cleared yet
        query = {"bool": {"must_not": {"term": {"status": AlertStatus.cleared.value}}}}
    result = await es.search(
        index=alerts_index(settings),
        # No alert yet (the alerts worker creates the index): none.
        ignore_unavailable=True,
        query=query,
        sort=[{"updated_at": "desc"}, {"alert_id": "asc"}],
        size=params.size,
        track_total_hits=True,
    )
    hits = result["hits"]["hits"]
    return Alerts(
        total=result["hits"]["total"]["value"],
        alerts=[Alert.model_validate(h["_source"]) for h in hits],
    )
