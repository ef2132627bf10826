"""The conversations worker: routed events, actions and their results -> one
`Conversation` per conversation, kept in a table and published on the compacted
``support.conversations`` on every change.

The three source topics are keyed by conversation_id and partitioned alike, so one
conversation's events, actions and results meet on the same partition number, with
its table entry (faust assigns co-partitioned topics together). Each input is folded
in its own context (so the table's changelog lands on the right partition) and
acknowledged only once Kafka has the new state (socialcare.streams.process_durably).
The fold is idempotent by input id (socialcare.conversations.state): a redelivery
changes and publishes nothing.

Erased customers' events are dropped and their conversations forgotten; so are
conversations idle longer than ``conversations_idle_seconds``. Forgetting is a
tombstone in the changelog and on support.conversations: no copy keeps the
conversation (whose id can be a phone number).

A change may also call for automated replies (socialcare.conversations.automation:
acknowledgements and surveys, as the routing file says): reply actions on
support.actions, published with the new state before the input is acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from aiokafka.errors import KafkaError as AIOKafkaError
from faust.types import EventT
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2

from socialcare import kafka
from socialcare.conversations.automation import automate, fold_options
from socialcare.conversations.settings import ConversationsSettings
from socialcare.conversations.state import Input, Tracked, apply
from socialcare.copartition import verify_copartitioned
from socialcare.erasure import ErasureFollower, conversation_hash, subject_hash
from socialcare.logging import get_logger
from socialcare.offsets import offset_guard
from socialcare.route.config import RoutingConfig, load_config
from socialcare.schema import Action, ActionResult, RoutedEvent
from socialcare.streams import (
    Outgoing,
    bytes_topic,
    dead_letter,
    dlq_topic,
    process_durably,
    send_acknowledged,
)
from socialcare.topics import (
    ACTION_RESULTS,
    ACTIONS,
    CONVERSATIONS,
    CONVERSATIONS_CHANGELOG_CONFIG,
    RETENTION,
    ROUTED,
    TopicSpec,
)

SERVICE = "conversations"
SOURCES: tuple[tuple[TopicSpec, type[Input]], ...] = (
    (ROUTED, RoutedEvent),
    (ACTIONS, Action),
    (ACTION_RESULTS, ActionResult),
)
log = get_logger(__name__)

# Stored with each conversation's state: expiry and erasure delete outside any input,
# and the changelog tombstone must go to the conversation's partition; expiry runs
# from the worker's own clock, not from event times (which may be skewed or replayed).
PARTITION = "partition"
UPDATED_AT = "updated_at"
_SWEEP_SLICE = 500  # conversations checked between two yields to the event loop


class Keeper:
    """Keeps the conversations table and turns one input into the new state."""

    def __init__(
        self, app: faust.App, settings: ConversationsSettings, config: RoutingConfig
    ) -> None:
        self.app, self.config, self.options = app, config, fold_options(config)
        idle = settings.conversations_idle_seconds
        self.lifetime = timedelta(seconds=idle or RETENTION.conversations_days * 86400)
        self.published = bytes_topic(app, CONVERSATIONS)
        self.actions = bytes_topic(app, ACTIONS)
        self.dlq = dlq_topic(app)
        self.table = app.Table(
            "conversations",
            partitions=CONVERSATIONS.partitions,
            help="Per conversation: its published state and the ids of its latest inputs.",
            # Compacted, and deleted once idle, like support.conversations itself.
            extra_topic_configs=dict(CONVERSATIONS_CHANGELOG_CONFIG),
        )
        self.erasures = ErasureFollower(settings, keep_new=True)
        self._digests: dict[tuple[str, ...], str] = {}

    def handler(self, model: type[Input]) -> Callable[[EventT], list[Outgoing]]:
        """The ``process_durably`` handler of a source topic whose records are ``model``."""

        def handle(event: EventT) -> list[Outgoing]:
            try:
                item = model.model_validate_json(event.message.value)
                return self.fold(item, event.message.partition)
            except (KafkaError, AIOKafkaError):
                raise  # Kafka's trouble, not the record's
            except Exception as exc:
                # The record's own failure (it does not parse, the fold raises on it):
                # a dead letter, and the offset moves on. The table is written last.
                return [dead_letter(self.dlq, SERVICE, event, exc)]

        return handle

    def fold(self, item: Input, partition: int) -> list[Outgoing]:
        """Apply ``item`` (in its event's context); the new state to publish, if any."""
        if isinstance(item, RoutedEvent) and self.erasures.covers(item):
            log.info("conversations.erased_dropped", partition=partition)
            return []
        key = item.conversation_id
        before = self.current(key)
        tracked = apply(before, item, self.options)
        if tracked is None:
            return []
        previous = before.conversation if before else None
        tracked, replies = automate(previous, tracked, self.config, datetime.now(UTC))
        self.table[key] = {
            **tracked.model_dump(mode="json"),
            PARTITION: partition,
            UPDATED_AT: datetime.now(UTC).isoformat(),
        }
        conversation = tracked.conversation
        if conversation is None:  # an action before the first customer message: kept
            log.info("conversations.early_input", conversation_id=key, kept=len(tracked.early))
            return []
        log.info(
            "conversations.changed",
            conversation_id=key,
            status=conversation.status,
            reopen_count=conversation.reopen_count,
        )
        for reply in replies:
            log.info("conversations.automated_reply", conversation_id=key, actor=reply.actor.id)
        return [
            Outgoing(self.published, conversation.key, conversation.to_bytes()),
            *(Outgoing(self.actions, reply.key, reply.to_bytes()) for reply in replies),
        ]

    def current(self, key: str) -> Tracked | None:
        stored = self.table.get(key)
        if not stored:
            return None
        tracked = Tracked.model_validate(stored)
        erased_at = self.erasures.conversation_erased_at(key)
        if erased_at is not None and (tracked.began_at is None or tracked.began_at <= erased_at):
            return None  # erased, not swept yet: what comes now is a new contact
        return tracked

    def forget(self, key: str) -> Outgoing | None:
        """Delete a conversation's state here and in the changelog; the tombstone for
        support.conversations to send. Works outside an input (expiry, erasure)."""
        store = self.table.data
        stored = store.get(key)
        if stored is None:
            return None
        del store[key]
        self.table.send_changelog(_partition(key, stored), key, None, value_serializer="raw")
        return Outgoing(self.published, key.encode(), None)  # type: ignore[arg-type]

    async def apply_erasures(self, *, full: bool = False) -> int:
        """Forget the conversations erasures cover: the customer's own conversations,
        and any whose latest customer message (``reply_to``) is the erased person's.
        Those recorded since the last call, or (``full``) all of them."""
        new = self.erasures.drain()
        records = list(self.erasures.erasures.records.values()) if full else new
        if not records:
            return 0
        conversations = {h: r.erased_at for r in records for h in r.conversations}
        subjects = {r.subject: r.erased_at for r in records}
        if len(self._digests) > 4 * len(self.table.data) + 1000:
            self._digests.clear()  # mostly forgotten conversations' by now
        erased: list[str] = []
        items = list(self.table.data.items())
        for start in range(0, len(items), _SWEEP_SLICE):
            for key, stored in items[start : start + _SWEEP_SLICE]:
                if self._erased(key, stored, conversations, subjects):
                    erased.append(key)
            await asyncio.sleep(0)  # inputs go on between slices
        return await self._forget_all(erased, "conversations.erased_state")

    def _erased(
        self,
        key: str,
        stored: dict[str, Any],
        conversations: dict[str, datetime],
        subjects: dict[str, datetime],
    ) -> bool:
        """Whether the erasures cover a stored conversation: read from its stored
        form, as a sweep checks every conversation every minute."""
        erased_at = conversations.get(self._digest(key))
        began = stored.get("began_at")
        if erased_at is not None and (began is None or datetime.fromisoformat(began) <= erased_at):
            return True
        target = (stored.get("conversation") or {}).get("reply_to")
        if not target:
            return False
        erased_at = subjects.get(self._digest(target["platform"], target["recipient_id"]))
        wrote_at = datetime.fromisoformat(target["customer_wrote_at"])
        return erased_at is not None and wrote_at <= erased_at

    def _digest(self, *parts: str) -> str:
        """The hash erasure records name: of a conversation id, or of a platform and
        author id; memoized."""
        digest = self._digests.get(parts)
        if digest is None:
            secret = self.erasures.erasures.key
            digest = (
                conversation_hash(secret, parts[0])
                if len(parts) == 1
                else subject_hash(secret, parts[0], parts[1])
            )
            self._digests[parts] = digest
        return digest

    async def expire_idle(self, now: datetime) -> int:
        """Forget this worker's conversations idle longer than ``lifetime``."""
        if self.app.rebalancing or self.app.in_recovery:
            return 0  # partitions are moving; the next sweep will do
        actives = {
            tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == ROUTED.name
        }
        keys = list(self.table.data.keys())
        idle: list[str] = []
        for start in range(0, len(keys), _SWEEP_SLICE):
            for key in keys[start : start + _SWEEP_SLICE]:
                stored = self.table.data.get(key)
                if stored is None or _partition(key, stored) not in actives:
                    continue
                if datetime.fromisoformat(stored[UPDATED_AT]) < now - self.lifetime:
                    idle.append(key)
            await asyncio.sleep(0)
        return await self._forget_all(idle, "conversations.expired")

    async def _forget_all(self, keys: Iterable[str], event: str) -> int:
        tombstones = [t for key in keys if (t := self.forget(key)) is not None]
        if tombstones:
            await send_acknowledged(tombstones, service=SERVICE)
            log.info(event, conversations=len(tombstones))
        return len(tombstones)


def _partition(key: str, stored: dict[str, Any]) -> int:
    """The conversation's partition: stored with it, else the one every producer
    gives its key (the default murmur2 partitioner)."""
    partition = stored.get(PARTITION)
    if partition is None:
        partition = (murmur2(key.encode()) & 0x7FFFFFFF) % CONVERSATIONS.partitions
    return int(partition)


@dataclass(frozen=True)
class ConversationsWorker:
    """The worker's faust app and the Keeper its agents and timers use."""

    app: faust.App
    keeper: Keeper


def create_worker(settings: ConversationsSettings) -> ConversationsWorker:
    app = kafka.worker_app(
        settings.conversations_app_id,
        settings,
        settings.conversations_web_port,
        SERVICE,
        ROUTED.name,
    )
    # Invalid rules stop start-up, loudly; a change needs a restart (no reload here).
    keeper = Keeper(app, settings, load_config(settings.routing_config))
    for spec, model in SOURCES:
        _add_agent(app, settings, keeper, spec, model)

    @app.timer(settings.conversations_expiry_interval_seconds)
    async def expire_idle_conversations() -> None:
        await keeper.expire_idle(datetime.now(UTC))

    @app.timer(interval=1.0)
    async def apply_erasures() -> None:
        await keeper.apply_erasures()

    @app.timer(interval=60.0)
    async def sweep_erasures() -> None:
        # State recovered from the changelog after a rebalance, erased meanwhile.
        await keeper.apply_erasures(full=True)

    return ConversationsWorker(app, keeper)


def _add_agent(
    app: faust.App,
    settings: ConversationsSettings,
    keeper: Keeper,
    spec: TopicSpec,
    model: type[Input],
) -> None:
    handle = keeper.handler(model)

    async def fold(stream: faust.StreamT) -> None:
        await keeper.erasures.caught_up()  # no input before every erasure is known
        await verify_copartitioned(settings, keeper.table, [spec.name])
        await process_durably(stream, handle, service=SERVICE, guard=offset_guard(app, settings))

    # One agent per topic, named after it (faust names agents after their function).
    fold.__name__ = fold.__qualname__ = f"fold_{spec.name.replace('.', '_').replace('-', '_')}"
    app.agent(bytes_topic(app, spec), name=f"{SERVICE}.{fold.__name__}")(fold)
