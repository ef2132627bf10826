"""The alerts in Elasticsearch, ``<alias>-alerts``: one document per alert (its id),
the latest state, for ``GET /v1/alerts``. The compacted ``social.alerts`` is the
record; this index is its readable copy, written before the message is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elasticsearch import AsyncElasticsearch

from socialcare.logging import get_logger
from socialcare.retry import retry_forever
from socialcare.schema import Alert
from socialcare.settings import Settings
from socialcare.streams import error_fields, is_infrastructure

log = get_logger(__name__)

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
MAPPINGS: dict[str, Any] = {
    # Strict: a field the model gains is an error here until it is mapped.
    "dynamic": "strict",
    "properties": {
        **dict.fromkeys(
            ("alert_id", "status", "intent", "terms", "dimensions", "languages", "platforms"),
            _KEYWORD,
        ),
        "example_event_ids": _KEYWORD,
        "schema_version": {"type": "short"},
        **dict.fromkeys(("since", "opened_at", "updated_at", "cleared_at"), _DATE),
        **{key: {"type": "float"} for key in ("window_seconds", "baseline", "factor")},
        **{key: {"type": "integer"} for key in ("count", "events")},
    },
}


def alerts_index(settings: Settings) -> str:
    """``social-events-alerts`` beside the events alias."""
    return f"{settings.index_alias}-alerts"


async def ensure_index(es: AsyncElasticsearch, index: str) -> None:
    """Create the alerts index unless it exists, else map the fields it lacks
    (waiting for Elasticsearch if away)."""

    async def attempt() -> None:
        if not await es.indices.exists(index=index):
            await es.indices.create(index=index, mappings=MAPPINGS)
            log.info("alerts.index_created", index=index)
        else:  # an index of an older release takes the fields added since in place
            await es.indices.put_mapping(index=index, properties=MAPPINGS["properties"])

    await retry_forever(
        attempt, retry_on=is_infrastructure, event="alerts.index_retry", describe=error_fields
    )


async def save(es: AsyncElasticsearch, index: str, alerts: Sequence[Alert]) -> None:
    """Write each alert's latest state, in order, waiting for Elasticsearch if away."""
    for alert in alerts:
        document = alert.model_dump(mode="json")

        async def attempt(document: dict[str, Any] = document) -> None:
            await es.index(index=index, id=document["alert_id"], document=document)

        await retry_forever(
            attempt, retry_on=is_infrastructure, event="alerts.store_retry", describe=error_fields
        )
