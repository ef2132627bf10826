"""The route worker: social.events.classified -> queue topics + social.events.routed.

Events are routed one at a time, in order: the conversation table is updated in the
event's own context (so its changelog lands on the right partition), and an event
is only acknowledged - its offset only committed - once Kafka has the routed copy
on both topics (socialcare.streams.process_durably).
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime

import faust
from faust.types import EventT
from kafka.errors import KafkaError
from pydantic import ValidationError

from services.route.config import ConfigError, RoutingConfig, load_config
from services.route.rules import ConversationState, route
from services.route.settings import RouteSettings
from socialcare import kafka
from socialcare.logging import get_logger
from socialcare.schema import ClassifiedEvent, RoutedEvent
from socialcare.streams import Outgoing, bytes_topic, dead_letter, dlq_topic, process_durably
from socialcare.topics import CLASSIFIED, ROUTED, queue_topic

SERVICE = "route"
log = get_logger(__name__)


class Router:
    """Holds the current rules (swapped on SIGHUP) and turns one record into outputs."""

    def __init__(self, app: faust.App, settings: RouteSettings, config: RoutingConfig) -> None:
        self.app = app
        self.settings = settings
        self.config = config
        self.routed = bytes_topic(app, ROUTED)
        self.dlq = dlq_topic(app)
        self._queues: dict[str, faust.TopicT] = {}
        self.conversations = app.Table(
            "conversations",
            partitions=CLASSIFIED.partitions,
            # Keys and values go to the changelog as JSON (faust's default codec).
            help="Per conversation: its queue, priority, contacts and first-response clock.",
        )

    def ensure_queue_topics(self, config: RoutingConfig) -> None:
        """Create every queue topic the rules can route to (the broker auto-creates none)."""
        kafka.ensure_topics(
            self.settings,
            [
                queue_topic(lang, skill)
                for lang in config.languages.staffed
                for skill in config.all_skills()
            ],
        )

    def reload(self) -> None:
        """Swap in the rules file as it is now; keep the old rules if it is invalid."""
        try:
            config = load_config(self.settings.routing_config)
        except ConfigError as exc:
            log.error("route.reload_rejected", error=str(exc))
            return
        try:
            self.ensure_queue_topics(config)
        except KafkaError as exc:
            # Without its queue topics the new rules could not deliver: keep the old.
            log.error("route.reload_rejected", error=f"cannot create queue topics: {exc!r}")
            return
        self.config = config
        log.info("route.reloaded", path=str(self.settings.routing_config))

    def _queue(self, name: str) -> faust.TopicT:
        topic = self._queues.get(name)
        if topic is None:
            topic = self.app.topic(name, key_serializer="raw", value_serializer="raw")
            self._queues[name] = topic
        return topic

    def handle(self, event: EventT) -> list[Outgoing]:
        try:
            classified = ClassifiedEvent.model_validate_json(event.message.value)
        except ValidationError as exc:
            return [dead_letter(self.dlq, SERVICE, event, exc)]
        key = classified.conversation_id
        stored = self.conversations.get(key)
        state = ConversationState.model_validate(stored) if stored else None
        decision = route(classified, self.config, state, datetime.now(UTC))
        self.conversations[key] = decision.state.model_dump(mode="json")
        routed = RoutedEvent.model_validate(
            {**classified.model_dump(), "routing": decision.routing.model_dump()}
        )
        value = routed.to_bytes()
        # The event id rides along as a header too, so a consumer can deduplicate
        # without parsing the body.
        headers = {"event_id": routed.event_id.encode()}
        log.info(
            "route.routed",
            event_id=routed.event_id,
            queue=decision.routing.queue,
            priority=decision.routing.priority,
            rule=decision.routing.rule,
        )
        return [
            Outgoing(self.routed, routed.key, value, headers),
            Outgoing(self._queue(decision.routing.queue), routed.key, value, headers),
        ]


def create_app(settings: RouteSettings | None = None) -> tuple[faust.App, Router]:
    settings = settings or RouteSettings()
    config = load_config(settings.routing_config)  # invalid rules stop start-up, loudly
    app = kafka.worker_app(
        settings.route_app_id, settings, settings.route_web_port, SERVICE, CLASSIFIED.name
    )
    router = Router(app, settings, config)
    source = bytes_topic(app, CLASSIFIED)

    @app.task
    async def reload_on_sighup() -> None:
        app.loop.add_signal_handler(signal.SIGHUP, router.reload)

    @app.agent(source)
    async def route_events(stream: faust.StreamT) -> None:
        await process_durably(stream, router.handle, service=SERVICE)

    return app, router
