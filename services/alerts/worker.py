"""The alerts worker: inbound events of social.events.classified -> spike alerts on
the compacted ``social.alerts`` and in the ``<alias>-alerts`` index.

State: the windowed counts live in memory (socialcare.alerts.windows), not in a faust
Table. A spike is news only for minutes, and the counts must see every partition at
once (a product name spikes across conversations, which are spread over all six
partitions): a table would have to be re-keyed by term through a repartition topic
and summed back per window, for state that is stale by the time a restarted worker
has recovered it. So one replica reads every partition (the Deployment runs exactly
one; a second would see half the stream each), and after a restart the counts warm
up again from the topic: at start the worker reads again what it had consumed in the
baseline before its committed offsets (socialcare.alerts.recovery), and no alert
comes before the baseline covers SOCIALCARE_ALERTS_WARMUP_SECONDS. The offsets are
committed only once an event's output is durable (socialcare.streams
.process_durably), so an alert raised is never lost. The alerts open when the worker
stopped are read back from social.alerts and handed to the detector: a spike still
going continues under its id, the others are cleared once the counts are warm.

Time is event time (``received_at``, when ingest took the message), so classifier
batching or consumer lag does not fake a spike; on a quiet stream the clock follows
the wall clock from the latest event (a timer), so alerts still clear.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import faust
from aiokafka.errors import KafkaError as AIOKafkaError
from faust.types import EventT
from kafka.errors import KafkaError
from pydantic import ValidationError

from socialcare import elastic, kafka
from socialcare.alerts import recovery, store
from socialcare.alerts.detector import Detector
from socialcare.alerts.settings import AlertsSettings
from socialcare.alerts.terms import terms
from socialcare.alerts.windows import Observation
from socialcare.logging import get_logger
from socialcare.offsets import offset_guard
from socialcare.ratings import rating
from socialcare.schema import Alert, ClassifiedEvent, Direction
from socialcare.streams import (
    Outgoing,
    bytes_topic,
    dead_letter,
    dlq_topic,
    process_durably,
    send_acknowledged,
)
from socialcare.topics import ALERTS, CLASSIFIED

SERVICE = "alerts"
log = get_logger(__name__)


def counted(event: ClassifiedEvent) -> bool:
    """Whether an event counts towards spikes: a customer's message, not our own reply
    and not an answer to a satisfaction survey ("5", "👍"), which comes in bursts after
    a round of resolutions and says nothing about a product."""
    language = event.classification.language
    return event.direction == Direction.inbound and rating(event.text, language) is None


def observation(event: ClassifiedEvent) -> Observation:
    """What the counts keep of an inbound event."""
    return Observation(
        event_id=event.event_id,
        at=event.received_at.timestamp(),
        intent=event.classification.intent.value,
        language=event.classification.language,
        platform=event.platform,
        terms=terms(event.text),
    )


class Watcher:
    """Feeds the detector and publishes what it raises (index first, then Kafka)."""

    def __init__(self, app: faust.App, settings: AlertsSettings) -> None:
        self.detector = Detector(settings.detector_config())
        self.published = bytes_topic(app, ALERTS)
        self.dlq = dlq_topic(app)
        self.es = elastic.async_client(settings)
        self.index = store.alerts_index(settings)

    async def handle(self, event: EventT) -> list[Outgoing]:
        try:
            classified = ClassifiedEvent.model_validate_json(event.message.value)
        except ValidationError as exc:
            return [dead_letter(self.dlq, SERVICE, event, exc)]
        if not counted(classified):
            return []
        try:
            alerts = self.detector.observe(observation(classified), wall=time.time())
        except (KafkaError, AIOKafkaError):
            raise
        except Exception as exc:  # the record's own failure: a dead letter, move on
            return [dead_letter(self.dlq, SERVICE, event, exc)]
        return await self.outputs(alerts)

    async def outputs(self, alerts: list[Alert]) -> list[Outgoing]:
        """Store the alerts for the API, and the messages that publish them."""
        if not alerts:
            return []
        await store.save(self.es, self.index, alerts)
        for alert in alerts:
            log.info(
                "alerts.published",
                alert_id=alert.alert_id,
                status=alert.status,
                terms=alert.terms[:3],
                count=alert.count,
                factor=alert.factor,
            )
        return [Outgoing(self.published, a.key, a.to_bytes()) for a in alerts]

    async def recover(self, settings: AlertsSettings) -> None:
        """Take over from a previous run: its counts and the alerts it left open."""
        seconds = settings.recount_seconds()
        history = []
        if seconds:
            history = await asyncio.to_thread(
                recovery.counted_before, settings, settings.alerts_app_id, seconds
            )
        self.detector.warm([observation(e) for e in history if counted(e)])
        orphans = await asyncio.to_thread(recovery.open_alerts, settings)
        self.detector.adopt(orphans, wall=time.time())
        log.info("alerts.recovered", counted=len(history), open=len(orphans))

    async def tick(self) -> None:
        """Let a quiet stream's clock run on, clearing what has calmed down."""
        messages = await self.outputs(self.detector.tick(time.time()))
        if messages:
            await send_acknowledged(messages, service=SERVICE)


@dataclass(frozen=True)
class AlertsWorker:
    app: faust.App
    watcher: Watcher


def create_worker(settings: AlertsSettings) -> AlertsWorker:
    app = kafka.worker_app(
        settings.alerts_app_id, settings, settings.alerts_web_port, SERVICE, CLASSIFIED.name
    )
    watcher = Watcher(app, settings)

    @app.agent(bytes_topic(app, CLASSIFIED), name=f"{SERVICE}.watch")
    async def watch(stream: faust.StreamT) -> None:
        await store.ensure_index(watcher.es, watcher.index)
        await watcher.recover(settings)
        await process_durably(
            stream, watcher.handle, service=SERVICE, guard=offset_guard(app, settings)
        )

    @app.timer(interval=settings.alerts_evaluate_seconds)
    async def follow_the_clock() -> None:
        await watcher.tick()

    return AlertsWorker(app, watcher)
