"""Spike alerts as the alerts worker writes them, for the tests of what reads them
(the alerts API, the console's banner, the Elasticsearch privileges)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from socialcare import elastic
from socialcare.alerts import store
from socialcare.schema import Alert, AlertStatus
from socialcare.settings import Settings


def spike_alert(
    alert_id: str, status: AlertStatus, since: datetime, updated_at: datetime, **fields: Any
) -> Alert:
    """A defect spike in three languages on Telegram; ``fields`` override."""
    values: dict[str, Any] = {
        "intent": "defect",
        "terms": ["blender"],
        "languages": ["en", "kk", "fa"],
        "platforms": ["telegram"],
        "window_seconds": 5,
        "count": 22,
        "baseline": 1.3,
        "factor": 16.9,
        "events": 60,
        "example_event_ids": ["telegram:1"],
        "cleared_at": updated_at if status == AlertStatus.cleared else None,
    }
    return Alert(
        alert_id=alert_id,
        status=status,
        since=since,
        updated_at=updated_at,
        **(values | fields),
    )


def write_alerts(settings: Settings, *batches: list[Alert], refresh: bool = True) -> None:
    """Save each batch in turn into ``settings``' alerts index (created if missing),
    as the worker does, and refresh it (which the worker's own privileges do not
    allow: ``refresh=False`` to write as the worker)."""

    async def run() -> None:
        es = elastic.async_client(settings)
        index = store.alerts_index(settings)
        try:
            await asyncio.wait_for(store.ensure_index(es, index), 20)
            for batch in batches:
                await asyncio.wait_for(store.save(es, index, batch), 20)
            if refresh:
                await es.indices.refresh(index=index)
        finally:
            await es.close()

    asyncio.run(run())
