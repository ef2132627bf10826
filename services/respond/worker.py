"""The respond worker: support.actions -> the platforms' send APIs, then the sent
reply into the pipeline (social.events.raw) and the action's result
(support.action-results).

Exactly one send per action_id. The ``replies`` table holds each reply's outcome,
keyed by action_id and written in the action's own partition of its changelog (the
table is co-partitioned with support.actions), so whichever worker owns the
partition after a restart or a rebalance knows what was sent. For each reply:

1. if the table has its outcome, nothing is sent: the outputs are published again;
2. else the reply is sent (retried on 429/5xx/timeouts, see socialcare.respond.delivery);
3. the outcome goes into the table, and the changelog record is awaited until Kafka
   acknowledged it;
4. only then the outbound event and the result are published, and the action is
   acked once Kafka has them (socialcare.streams.process_durably).

A SIGKILL after step 3 replays the action from its committed offset: step 1 finds
the outcome and publishes without sending. What remains is the window between the
platform accepting the request and Kafka acknowledging the changelog record (one
round trip to the platform's answer plus one to Kafka): a crash there sends the
reply again after the restart. So does a timeout after the platform got the
request (the answer is lost, so the send is retried). Neither platform API offers
an idempotency key that could close it. A rebalance during a retry is not such a
window: the worker gives the action up before its next attempt once the partition
is no longer its own, and the new owner sends it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import faust
from aiokafka.errors import KafkaError as AIOKafkaError
from faust.types import TP, EventT
from kafka.errors import KafkaError
from prometheus_client import Counter
from pydantic import ValidationError

from socialcare import kafka
from socialcare.care import CUSTOMER_ERASED, target_erased
from socialcare.copartition import verify_copartitioned
from socialcare.erasure import ErasureFollower
from socialcare.logging import get_logger
from socialcare.offsets import offset_guard
from socialcare.respond.delivery import HttpTransport, PartitionLost, Transport, deliver
from socialcare.respond.outputs import ReplyRecord, outbound_event, result
from socialcare.respond.senders import PermanentFailure, Sender, senders
from socialcare.respond.settings import RespondSettings
from socialcare.retry import retry_forever
from socialcare.schema import Action, ActionOutcome, ActionType, ReplyTarget
from socialcare.streams import Outgoing, bytes_topic, dead_letter, dlq_topic, process_durably
from socialcare.topics import ACTION_RESULTS, ACTIONS, RAW

SERVICE = "respond"
log = get_logger(__name__)

REPLIES = Counter(
    "socialcare_replies_total",
    "Replies the respond worker finished, by platform and outcome (done, failed).",
    ["platform", "outcome"],
)
# Test hook, read once at start: exit right after the first outcome is recorded
# (acknowledged in the changelog) and before anything is published, as a SIGKILL
# there would. tests/respond/test_worker.py proves the replay sends nothing twice.
EXIT_AFTER_RECORD = "SOCIALCARE_TEST_HOOK_RESPOND_EXIT_AFTER_RECORD"


class Responder:
    """Turns one action into the platform call (once) and the records to publish."""

    def __init__(
        self,
        app: faust.App,
        settings: RespondSettings,
        transport: Transport,
        *,
        exit_after_record: bool = False,
    ) -> None:
        self.app = app
        self.senders: dict[str, Sender] = senders(settings)
        self.transport = transport
        self.exit_after_record = exit_after_record
        self.raw = bytes_topic(app, RAW)
        self.results = bytes_topic(app, ACTION_RESULTS)
        self.dlq = dlq_topic(app)
        self.replies = app.Table(
            "replies",
            partitions=ACTIONS.partitions,
            help="Per reply action_id: its outcome (the sent message's id or the reason).",
            # Compacted, and deleted past the actions' retention: by then no action
            # can come again, and no reply outcome is kept forever.
            extra_topic_configs={
                "cleanup.policy": "compact,delete",
                "retention.ms": ACTIONS.config["retention.ms"],
            },
        )
        self.erasures = ErasureFollower(settings)

    async def handle(self, event: EventT) -> list[Outgoing]:
        try:
            action = Action.model_validate_json(event.message.value)
            return await self._act(event, action)
        except ValidationError as exc:
            return [dead_letter(self.dlq, SERVICE, event, exc)]
        except (KafkaError, AIOKafkaError):
            raise  # Kafka's trouble, not the action's
        except Exception as exc:
            # A bug met by this action: a dead letter with the reason, and the stream
            # goes on (an agent that crashed on it would meet it again forever).
            return [dead_letter(self.dlq, SERVICE, event, exc)]

    async def _act(self, event: EventT, action: Action) -> list[Outgoing]:
        now = datetime.now(UTC)
        if action.type is not ActionType.reply or action.reply_to is None:
            # Nothing to send; the conversation state follows the action itself.
            record = ReplyRecord(outcome=ActionOutcome.done, completed_at=now)
            return [self._result(action, record)]
        if target_erased(self.erasures, action.conversation_id, action.reply_to):
            log.info("respond.erased_refused", action_id=action.action_id)
            record = ReplyRecord(
                outcome=ActionOutcome.failed, reason=CUSTOMER_ERASED, completed_at=now
            )
            return [self._result(action, record)]
        stored = self.replies.get(action.action_id)
        if stored is not None:
            log.info("respond.already_sent", action_id=action.action_id)
            return self._outputs(event, action, ReplyRecord.model_validate(stored))
        try:
            record = await self._send(event.message.tp, action, action.reply_to)
        except PartitionLost:
            log.info("respond.partition_lost", action_id=action.action_id)
            return []  # its new owner sends it; a commit of ours would be discarded
        await self._record(event, action.action_id, record)
        return self._outputs(event, action, record)

    async def _send(self, tp: TP, action: Action, target: ReplyTarget) -> ReplyRecord:
        sender = self.senders.get(target.platform)
        try:
            if sender is None:
                raise PermanentFailure(f"replies on {target.platform} are not supported")
            sent = await deliver(
                sender,
                target,
                action.text or "",
                self.transport,
                lambda: tp in self.app.assignor.assigned_actives(),
                action_id=action.action_id,
            )
        except PermanentFailure as exc:
            reason = exc.reason
        else:
            REPLIES.labels(target.platform, "done").inc()
            log.info("respond.sent", action_id=action.action_id, platform=target.platform)
            return ReplyRecord(
                outcome=ActionOutcome.done,
                platform_message_id=sent,
                completed_at=datetime.now(UTC),
            )
        REPLIES.labels(target.platform, "failed").inc()
        log.warning("respond.refused", action_id=action.action_id, platform=target.platform)
        return ReplyRecord(
            outcome=ActionOutcome.failed, reason=reason, completed_at=datetime.now(UTC)
        )

    async def _record(self, event: EventT, action_id: str, record: ReplyRecord) -> None:
        """Store the outcome and wait until its changelog record is acknowledged."""
        value = record.model_dump(mode="json")
        self.replies.data[action_id] = value  # the store only: the send is ours, below
        partition = event.message.partition

        async def write() -> None:
            await self.replies.send_changelog(partition, action_id, value)

        await retry_forever(
            write,
            retry_on=lambda exc: isinstance(exc, KafkaError | AIOKafkaError),
            event="respond.record_retry",
            action_id=action_id,
        )
        if self.exit_after_record:
            log.warning("respond.test_hook_exit", action_id=action_id)
            os._exit(137)

    def _outputs(self, event: EventT, action: Action, record: ReplyRecord) -> list[Outgoing]:
        outputs = [self._result(action, record)]
        if record.outcome is ActionOutcome.done:
            sent = outbound_event(action, record)
            headers = {"event_id": sent.event_id.encode()}
            outputs.insert(0, Outgoing(self.raw, sent.key, sent.to_bytes(), headers))
        else:
            failure = PermanentFailure(record.reason or "the platform refused the reply")
            outputs.append(dead_letter(self.dlq, SERVICE, event, failure))
        return outputs

    def _result(self, action: Action, record: ReplyRecord) -> Outgoing:
        return Outgoing(self.results, action.key, result(action, record).model_dump_json().encode())


@dataclass(frozen=True)
class RespondWorker:
    """The respond worker's faust app and the Responder its agent uses."""

    app: faust.App
    responder: Responder


def create_worker(settings: RespondSettings, transport: Transport | None = None) -> RespondWorker:
    """The respond worker; ``transport`` (default: HTTP) performs the platform calls."""
    app = kafka.worker_app(
        settings.respond_app_id, settings, settings.respond_web_port, SERVICE, ACTIONS.name
    )
    responder = Responder(
        app,
        settings,
        transport or HttpTransport(settings.respond_http_timeout_seconds),
        exit_after_record=os.environ.get(EXIT_AFTER_RECORD) == "1",
    )
    source = bytes_topic(app, ACTIONS)

    @app.agent(source)
    async def respond(stream: faust.StreamT) -> None:
        await responder.erasures.caught_up()  # no reply before every erasure is known
        await verify_copartitioned(settings, responder.replies, [ACTIONS.name])
        await process_durably(
            stream, responder.handle, service=SERVICE, guard=offset_guard(app, settings)
        )

    return RespondWorker(app, responder)
