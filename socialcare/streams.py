"""What every faust worker of the pipeline shares: raw topics, acknowledged sends,
and dead letters.

Workers read and write bytes and parse them with the shared pydantic models
themselves, so a record that does not parse is a dead letter with a reason rather
than a crash inside faust's codec layer.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import faust
from faust.types import EventT

from socialcare.logging import get_logger
from socialcare.metrics import DEAD_LETTERS, EVENTS, STAGE_SECONDS
from socialcare.schema import DeadLetter
from socialcare.topics import DLQ, TopicSpec

log = get_logger(__name__)

# Waits between attempts to get output acknowledged; the last one repeats. A worker
# never skips an event because Kafka is away: it waits, and its lag shows it.
_RETRY_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)


def bytes_topic(app: faust.App, spec: TopicSpec) -> faust.TopicT:
    return app.topic(
        spec.name, key_serializer="raw", value_serializer="raw", partitions=spec.partitions
    )


@dataclass(frozen=True)
class Outgoing:
    topic: faust.TopicT
    key: bytes | None
    value: bytes
    headers: dict[str, bytes] = field(default_factory=dict)


async def _send(messages: Sequence[Outgoing]) -> list[asyncio.Future]:
    """Hand messages to the producer; the futures resolve when Kafka acknowledges."""
    return [
        await m.topic.send(key=m.key, value=m.value, headers=list(m.headers.items()))
        for m in messages
    ]


async def _confirm(
    messages: Sequence[Outgoing], futures: Sequence[asyncio.Future], service: str
) -> None:
    """Wait for every acknowledgement; resend what failed, with backoff, until acked."""
    pending, attempt = list(zip(messages, futures, strict=True)), 0
    while pending:
        results = await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
        failed = [
            m for (m, _), r in zip(pending, results, strict=True) if isinstance(r, BaseException)
        ]
        if not failed:
            return
        error = next(r for r in results if isinstance(r, BaseException))
        delay = _RETRY_BACKOFF[min(attempt, len(_RETRY_BACKOFF) - 1)]
        log.warning(
            "stream.send_retry",
            service=service,
            failed=len(failed),
            error=repr(error),
            retry_in=delay,
        )
        await asyncio.sleep(delay)
        attempt += 1
        pending = list(zip(failed, await _send(failed), strict=True))


async def send_acknowledged(messages: Sequence[Outgoing], *, service: str) -> None:
    """Send all messages and return once Kafka acknowledged every one of them."""
    await _confirm(messages, await _send(messages), service)


async def process_durably(
    stream: faust.StreamT,
    handle: Callable[[EventT], Sequence[Outgoing]],
    *,
    service: str,
    max_in_flight: int = 1000,
) -> None:
    """Run ``handle`` on each event in order; ack an event only once its output is durable.

    ``handle`` runs in the event's own context (so table changes go to the right
    changelog partition). Its output is sent at once, and the event is acked - its
    offset becomes committable - only when Kafka acknowledged all of that output.
    Waiting for acks happens off the hot path, up to ``max_in_flight`` events at a
    time: without that pipelining a worker pays a broker round trip per event.
    faust commits only up to the first unacked offset, so a crash replays, never skips.
    """
    stream.enable_acks = False
    slots = asyncio.Semaphore(max_in_flight)
    in_flight: set[asyncio.Task] = set()

    async def ack_when_durable(event: EventT, messages, futures) -> None:
        try:
            await _confirm(messages, futures, service)
            await stream.ack(event)
        finally:
            slots.release()

    async for event in stream.events():
        started = time.perf_counter()
        messages = handle(event)
        await slots.acquire()
        task = asyncio.ensure_future(ack_when_durable(event, messages, await _send(messages)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        EVENTS.labels(service, event.message.topic, "ok").inc()
        STAGE_SECONDS.labels(service, "handle").observe(time.perf_counter() - started)


async def process_batches(
    stream: faust.StreamT,
    handle: Callable[[list[EventT]], Awaitable[None]],
    *,
    service: str,
    size: int,
    within: float,
) -> None:
    """Run ``handle`` on micro-batches of up to ``size`` events or ``within`` seconds.

    faust acks a batch when the next one is taken, however ``handle`` ended. So
    ``handle`` must only return once the batch's output is durable, and if it fails
    unexpectedly the process leaves at once, before that ack can be committed: the
    batch is replayed after the restart instead of being lost.
    """
    async for batch in stream.take_events(size, within=within):
        try:
            await handle(list(batch))
        except BaseException:
            log.exception("stream.batch_failed", service=service)
            os._exit(70)


def dead_letter(
    app_dlq: faust.TopicT, service: str, event: EventT, error: BaseException
) -> Outgoing:
    """The DLQ record for a source event that cannot be processed."""
    message = event.message
    letter = DeadLetter.for_record(
        service=service,
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value if isinstance(message.value, bytes) else bytes(message.value or b""),
        error=error,
    )
    DEAD_LETTERS.labels(service, letter.error_type).inc()
    EVENTS.labels(service, message.topic, "dead_letter").inc()
    log.warning(
        "stream.dead_letter",
        service=service,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        error=letter.error,
    )
    return Outgoing(app_dlq, message.key, letter.model_dump_json().encode())


def dlq_topic(app: faust.App) -> faust.TopicT:
    return bytes_topic(app, DLQ)
