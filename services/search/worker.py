"""The index worker: social.events.routed -> Elasticsearch, in bulk.

Events are taken in batches (size and time bound); a batch is acknowledged - its
offsets committed - only after Elasticsearch stored it, so a crash mid-bulk means
the batch is indexed again, which the event_id document ids make harmless.
"""

from __future__ import annotations

import faust
from pydantic import ValidationError

from services.search.indexer import Indexer, IndexRejected
from services.search.settings import SearchSettings
from socialcare import elastic, kafka
from socialcare.metrics import EVENTS
from socialcare.schema import RoutedEvent
from socialcare.streams import (
    Outgoing,
    bytes_topic,
    dead_letter,
    dlq_topic,
    process_batches,
)
from socialcare.topics import ROUTED

SERVICE = "index"


def create_app(settings: SearchSettings | None = None) -> faust.App:
    settings = settings or SearchSettings()
    app = kafka.worker_app(
        settings.index_app_id, settings, settings.index_web_port, SERVICE, ROUTED.name
    )
    source = bytes_topic(app, ROUTED)
    dlq = dlq_topic(app)
    es = elastic.async_client(settings)
    indexer = Indexer(es, settings.index_alias)

    @app.agent(source)
    async def index_events(stream: faust.StreamT) -> None:
        await process_batches(
            stream,
            index_batch,
            service=SERVICE,
            size=settings.index_batch_size,
            within=settings.index_batch_seconds,
            dlq=dlq,
        )

    async def index_batch(batch: list) -> list[Outgoing]:
        dead, parsed = [], {}
        for event in batch:
            try:
                routed = RoutedEvent.model_validate_json(event.message.value)
            except ValidationError as exc:
                dead.append(dead_letter(dlq, SERVICE, event, exc))
                continue
            parsed[routed.event_id] = (event, routed)
        rejected = await indexer.index([routed for _, routed in parsed.values()])
        for event_id, reason in rejected.items():
            dead.append(dead_letter(dlq, SERVICE, parsed[event_id][0], IndexRejected(reason)))
        EVENTS.labels(SERVICE, ROUTED.name, "ok").inc(len(parsed) - len(rejected))
        return dead

    return app
