"""The index worker: social.events.routed -> the events index, and
support.conversations -> the conversations index, in bulk.

Events are taken in batches (size and time bound); a batch is acknowledged - its
offsets committed - only after Elasticsearch stored it, so a crash mid-bulk means
the batch is indexed again, which the event_id document ids make harmless.
"""

from __future__ import annotations

from functools import partial

import faust
from pydantic import ValidationError

from socialcare import elastic, kafka
from socialcare.erasure import ErasureFollower, delete_late_arrivals
from socialcare.index.conversations import ConversationBatch
from socialcare.index.indexer import Indexer, IndexRejected
from socialcare.index.settings import IndexSettings
from socialcare.logging import get_logger
from socialcare.metrics import EVENTS
from socialcare.offsets import offset_guard
from socialcare.route.config import load_config
from socialcare.schema import RoutedEvent
from socialcare.streams import (
    Outgoing,
    bytes_topic,
    dead_letter,
    dlq_topic,
    process_batches,
)
from socialcare.topics import CONVERSATIONS, RETENTION, ROUTED

SERVICE = "index"
log = get_logger(__name__)


class BatchIndexer:
    """Indexes a batch of routed events; returns the dead letters of those that cannot
    be indexed. Erased customers' events are dropped, and so are those an erasure
    recorded while the bulk ran has meanwhile deleted (they are deleted again)."""

    def __init__(
        self,
        es,
        settings: IndexSettings,
        erasures: ErasureFollower,
        dlq: faust.TopicT,
        acks_answer: bool,
    ) -> None:
        self.es, self.alias, self.erasures, self.dlq = es, settings.index_alias, erasures, dlq
        self.indexer = Indexer(
            es, settings.index_alias, settings.index_bulk_concurrency, acks_answer
        )

    async def __call__(self, batch: list) -> list[Outgoing]:
        dead, parsed, erased = self._parse(batch)
        rejected = await self.indexer.index([routed for _, routed in parsed.values()])
        erased += await self._delete_late_erasures(parsed, rejected)
        for event_id, reason in rejected.items():
            dead.append(dead_letter(self.dlq, SERVICE, parsed[event_id][0], IndexRejected(reason)))
        EVENTS.labels(SERVICE, ROUTED.name, "ok").inc(len(parsed) - len(rejected))
        if erased:
            EVENTS.labels(SERVICE, ROUTED.name, "erased").inc(erased)
        return dead

    def _parse(self, batch: list) -> tuple[list[Outgoing], dict[str, tuple], int]:
        dead, parsed, erased = [], {}, 0
        for event in batch:
            try:
                routed = RoutedEvent.model_validate_json(event.message.value)
            except ValidationError as exc:
                dead.append(dead_letter(self.dlq, SERVICE, event, exc))
                continue
            if self.erasures.covers(routed):
                erased += 1
                continue
            parsed[routed.event_id] = (event, routed)
        return dead, parsed, erased

    async def _delete_late_erasures(self, parsed: dict[str, tuple], rejected: dict) -> int:
        # An erasure recorded while this bulk ran may have deleted before we wrote:
        # catch up with the erasure log and delete what it now covers.
        await self.erasures.caught_up()
        late = [i for i, (_, r) in parsed.items() if i not in rejected and self.erasures.covers(r)]
        if late:
            await delete_late_arrivals(self.es, self.alias, late)
        return len(late)


def create_worker(settings: IndexSettings | None = None) -> faust.App:
    settings = settings or IndexSettings()
    app = kafka.worker_app(
        settings.index_app_id, settings, settings.index_web_port, SERVICE, ROUTED.name
    )
    dlq = dlq_topic(app)
    es = elastic.async_client(settings)
    # Erased customers: nothing of theirs is indexed again (replay, reprocessing).
    erasures = ErasureFollower(settings)
    rules = load_config(settings.routing_config)
    acks_answer = rules.acknowledgements.counts_as_first_response
    index_batch = BatchIndexer(es, settings, erasures, dlq, acks_answer)
    batches = partial(
        process_batches,
        service=SERVICE,
        size=settings.index_batch_size,
        within=settings.index_batch_seconds,
        dlq=dlq,
    )

    @app.agent(bytes_topic(app, ROUTED))
    async def index_events(stream: faust.StreamT) -> None:
        await erasures.caught_up()  # no event before every recorded erasure is known
        await batches(stream, index_batch, guard=offset_guard(app, settings))

    conversation_batch = ConversationBatch(
        Indexer(es, elastic.conversations_alias(settings)),
        erasures,
        dlq,
        rules.business_hours,
    )

    @app.agent(bytes_topic(app, CONVERSATIONS))
    async def index_conversations(stream: faust.StreamT) -> None:
        await erasures.caught_up()  # an erased customer's state is deleted, not indexed
        await batches(stream, conversation_batch, guard=offset_guard(app, settings))

    @app.timer(interval=3600.0)
    async def expire_old_events() -> None:
        # Retention of the index: nothing older than SOCIALCARE_RETENTION_INDEX_DAYS.
        try:
            await elastic.delete_expired(es, settings.index_alias, RETENTION.index_days)
        except Exception as exc:  # retried at the next tick; must not stop indexing
            log.warning("index.expiry_failed", error=repr(exc))

    return app
