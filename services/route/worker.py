"""The route worker: social.events.classified -> queue topics + social.events.routed.

Events are routed one at a time, in order: the conversation table is updated in the
event's own context (so its changelog lands on the right partition), and an event
is only acknowledged - its offset only committed - once Kafka has the routed copy
on both topics (socialcare.streams.process_durably).

Routing is idempotent by event_id: a redelivered event gets its first decision again
and leaves the state as it is (socialcare.route.rules). A record that fails for a
reason of its own is a dead letter, so its partition's offset keeps moving.
Conversations idle longer than any rule or deadline looks back are forgotten, with a
tombstone in the changelog.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from aiokafka.errors import KafkaError as AIOKafkaError
from faust.types import EventT
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2
from pydantic import ValidationError

from socialcare import kafka
from socialcare.copartition import verify_copartitioned
from socialcare.erasure import ErasureFollower, conversation_hash
from socialcare.logging import get_logger
from socialcare.offsets import offset_guard
from socialcare.route.config import ConfigError, RoutingConfig, load_config
from socialcare.route.rules import ConversationState, conversation_lifetime, route
from socialcare.route.settings import RouteSettings
from socialcare.schema import ClassifiedEvent, RoutedEvent
from socialcare.streams import Outgoing, bytes_topic, dead_letter, dlq_topic, process_durably
from socialcare.topics import (
    CLASSIFIED,
    CONVERSATIONS_CHANGELOG_CONFIG,
    ROUTED,
    queue_topic,
)

SERVICE = "route"
log = get_logger(__name__)

# The source partition of a conversation, stored with its state in the table: expiry
# and erasure delete outside any event, and the tombstone must go to that partition
# of the changelog.
PARTITION = "partition"
# Conversations checked between two yields to the event loop during an expiry sweep.
_SWEEP_SLICE = 500


class Router:
    """Holds the current rules (swapped on SIGHUP) and turns one record into outputs."""

    def __init__(self, app: faust.App, settings: RouteSettings, config: RoutingConfig) -> None:
        self.app = app
        self.settings = settings
        self.config = config
        self.lifetime = self._lifetime(config)
        self.routed = bytes_topic(app, ROUTED)
        self.dlq = dlq_topic(app)
        self._queues: dict[str, faust.TopicT] = {}
        self.conversations = app.Table(
            "conversations",
            partitions=CLASSIFIED.partitions,
            # Keys and values go to the changelog as JSON (faust's default codec).
            help="Per conversation: its queue, priority, contacts and first-response clock.",
            # Compacted, and deleted once idle: no conversation id (a phone number on
            # WhatsApp) stays in Kafka forever.
            extra_topic_configs=dict(CONVERSATIONS_CHANGELOG_CONFIG),
        )
        # Erased customers: their events are dropped, their conversation state is
        # deleted (a tombstone on the changelog).
        self.erasures = ErasureFollower(settings, keep_new=True)
        self._key_hashes: dict[str, str] = {}

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
        self.lifetime = self._lifetime(config)
        log.info("route.reloaded", path=str(self.settings.routing_config))

    def _lifetime(self, config: RoutingConfig) -> timedelta:
        """How long an idle conversation is kept: the setting, or what the rules need."""
        seconds = self.settings.route_conversation_idle_seconds
        return timedelta(seconds=seconds) if seconds else conversation_lifetime(config)

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
        try:
            return self._route(event, classified)
        except (KafkaError, AIOKafkaError):
            raise  # Kafka's trouble, not the record's
        except Exception as exc:
            # The record's own failure (the rules raise on it, its output does not
            # serialize): a dead letter with the reason, and the offset moves past it.
            # Nothing was written: the table is updated last.
            return [dead_letter(self.dlq, SERVICE, event, exc)]

    def _route(self, event: EventT, classified: ClassifiedEvent) -> list[Outgoing]:
        if self.erasures.covers(classified):
            # An erased customer's event (a replay, a late delivery): nothing of it is
            # routed or remembered.
            log.info("route.erased_dropped", partition=event.message.partition)
            return []
        key = classified.conversation_id
        stored = self.conversations.get(key)
        state = ConversationState.model_validate(stored) if stored else None
        erased_at = self.erasures.conversation_erased_at(key)
        if state is not None and erased_at is not None and state.first_routed_at <= erased_at:
            state = None  # an erased conversation's state, not swept yet: a new contact
        decision = route(classified, self.config, state, datetime.now(UTC))
        # The fields as they are (dict(), not model_dump()): pydantic takes the nested
        # models without rebuilding them, which dumping and validating again cost.
        routed = RoutedEvent.model_validate(
            {
                **dict(classified),
                "routing": decision.routing,
                # What the platform told of the customer first, else the account's.
                "market": classified.market
                or self.config.markets.accounts.get(classified.brand_account_id),
            }
        )
        value = routed.to_bytes()
        if not decision.repeat:  # a repeat changes nothing: no changelog write
            self.conversations[key] = {
                **decision.state.model_dump(mode="json"),
                PARTITION: event.message.partition,
            }
        # The event id rides along as a header too, so a consumer can deduplicate
        # without parsing the body.
        headers = {"event_id": routed.event_id.encode()}
        log.info(
            "route.routed",
            event_id=routed.event_id,
            queue=decision.routing.queue,
            priority=decision.routing.priority,
            rule=decision.routing.rule,
            repeat=decision.repeat,
        )
        return [
            Outgoing(self.routed, routed.key, value, headers),
            Outgoing(self._queue(decision.routing.queue), routed.key, value, headers),
        ]

    def forget(self, key: str) -> bool:
        """Delete a conversation's state here and, with a tombstone in the changelog,
        for good: a restart or another worker restoring the table does not bring it
        back. Works outside an event (expiry, erasure). False when there was none."""
        store = self.conversations.data
        stored = store.get(key)
        if stored is None:
            return False
        partition = self._partition_of(key, stored)
        if partition is None:
            log.warning("route.forget_skipped", reason="partition unknown")
            return False
        del store[key]
        self.conversations.send_changelog(partition, key, None, value_serializer="raw")
        return True

    def apply_erasures(self, *, full: bool = False) -> int:
        """Forget the state of the conversations erasures name: those recorded since
        the last call, or (``full``) all of them, for state restored meanwhile.
        Returns how many conversations were forgotten."""
        new = self.erasures.drain()
        records = list(self.erasures.erasures.records.values()) if full else new
        wanted = {h: r.erased_at for r in records for h in r.conversations}
        if not wanted:
            return 0
        secret = self.erasures.erasures.key
        forgotten = 0
        for key in list(self.conversations.data.keys()):
            digest = self._key_hashes.get(key)
            if digest is None:
                digest = self._key_hashes[key] = conversation_hash(secret, key)
            erased_at = wanted.get(digest)
            stored = self.conversations.data.get(key)
            if erased_at is None or stored is None:
                continue
            # State begun after the erasure is a new contact's: it stays.
            if ConversationState.model_validate(stored).first_routed_at <= erased_at:
                forgotten += self.forget(key)
                self._key_hashes.pop(key, None)
        if forgotten:
            log.info("route.erased_state", conversations=forgotten)
        return forgotten

    def _partition_of(self, key: str, stored: dict[str, Any]) -> int | None:
        partition = stored.get(PARTITION)
        if partition is None:
            # State written before the partition was stored; faust's in-memory store
            # remembers the changelog partition of every key it restored.
            partition = getattr(self.conversations.data, "_key_partition", {}).get(key)
        if partition is None:
            # Else the partition every producer here gives the key: the default
            # (murmur2) partitioner's, as the conversation's events have.
            partition = (murmur2(key.encode()) & 0x7FFFFFFF) % CLASSIFIED.partitions
        return partition

    async def expire_idle(self, now: datetime) -> int:
        """Forget the conversations of this worker's partitions idle longer than
        ``lifetime``; returns how many. Yields to the event loop between slices so
        routing goes on; each conversation is checked and deleted without a yield in
        between, so an event routed meanwhile is never lost."""
        if self.app.rebalancing or self.app.in_recovery:
            return 0  # partitions are moving; the next sweep will do
        actives = {
            tp.partition
            for tp in self.app.assignor.assigned_actives()
            if tp.topic == CLASSIFIED.name
        }
        expired = 0
        keys = list(self.conversations.data.keys())
        for start in range(0, len(keys), _SWEEP_SLICE):
            for key in keys[start : start + _SWEEP_SLICE]:
                stored = self.conversations.data.get(key)
                if stored is None or self._partition_of(key, stored) not in actives:
                    continue
                if _idle_since(stored) < now - self.lifetime and self.forget(key):
                    expired += 1
            await asyncio.sleep(0)
        if expired:
            log.info("route.expired", conversations=expired, lifetime=str(self.lifetime))
        return expired


def _idle_since(stored: dict[str, Any]) -> datetime:
    """When the conversation last changed; read without validating all of its state,
    as a sweep does this for every conversation."""
    updated = stored.get("updated_at")
    if updated:
        return datetime.fromisoformat(updated)
    return ConversationState.model_validate(stored).idle_since()


@dataclass(frozen=True)
class RouteWorker:
    """The route worker's faust app and the Router its agent and timers use."""

    app: faust.App
    router: Router


def create_worker(settings: RouteSettings) -> RouteWorker:
    """The route worker: invalid rules raise `ConfigError` here, at start-up."""
    config = load_config(settings.routing_config)  # invalid rules stop start-up, loudly
    app = kafka.worker_app(
        settings.route_app_id, settings, settings.route_web_port, SERVICE, CLASSIFIED.name
    )
    router = Router(app, settings, config)
    source = bytes_topic(app, CLASSIFIED)

    @app.task
    async def reload_on_sighup() -> None:
        app.loop.add_signal_handler(signal.SIGHUP, router.reload)

    @app.timer(settings.route_expiry_interval_seconds)
    async def expire_idle_conversations() -> None:
        await router.expire_idle(datetime.now(UTC))

    @app.agent(source)
    async def route_events(stream: faust.StreamT) -> None:
        await router.erasures.caught_up()  # no event before every erasure is known
        await verify_copartitioned(settings, router.conversations, [CLASSIFIED.name])
        await process_durably(
            stream, router.handle, service=SERVICE, guard=offset_guard(app, settings)
        )

    @app.timer(interval=1.0)
    async def apply_erasures() -> None:
        router.apply_erasures()

    @app.timer(interval=60.0)
    async def sweep_erasures() -> None:
        # State recovered from the changelog after a rebalance, erased meanwhile.
        router.apply_erasures(full=True)

    return RouteWorker(app, router)
