"""What every faust worker of the pipeline shares: raw topics, acknowledged sends,
and dead letters.

Workers read and write bytes and parse them with the shared pydantic models
themselves, so a record that does not parse is a dead letter with a reason rather
than a crash inside faust's codec layer.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import faust
from faust.types import EventT
from pydantic import ValidationError

from socialcare.logging import get_logger
from socialcare.metrics import DEAD_LETTERS, EVENTS, STAGE_SECONDS
from socialcare.offsets import AckInOrder, OffsetGuard
from socialcare.retry import retry_forever
from socialcare.schema import DeadLetter
from socialcare.topics import DLQ, TopicSpec

log = get_logger(__name__)


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


class Unacknowledged(Exception):
    """Kafka did not acknowledge some of the output: its trouble, so it is resent."""

    def __init__(self, failed: int, error: BaseException) -> None:
        super().__init__(f"{failed} messages not acknowledged: {error!r}")
        self.failed = failed
        self.error = error


@dataclass
class _Delivery:
    """Output on its way to Kafka: ``confirm`` waits for the acknowledgements and,
    when some failed, keeps only those, to send again on the next call."""

    messages: list[Outgoing]
    futures: list[asyncio.Future] | None  # None: (re)send first

    async def confirm(self) -> None:
        if self.futures is None:
            self.futures = await _send(self.messages)
        results = await asyncio.gather(*self.futures, return_exceptions=True)
        failed = [
            m for m, r in zip(self.messages, results, strict=True) if isinstance(r, BaseException)
        ]
        if failed:
            self.messages, self.futures = failed, None
            error = next(r for r in results if isinstance(r, BaseException))
            raise Unacknowledged(len(failed), error)


def _unacknowledged_fields(exc: BaseException) -> dict[str, object]:
    if isinstance(exc, Unacknowledged):
        return {"failed": exc.failed, "error": repr(exc.error)}
    return error_fields(exc)


async def _confirm(
    messages: Sequence[Outgoing], futures: Sequence[asyncio.Future], service: str
) -> None:
    """Wait for every acknowledgement; resend what failed, with back-off, until acked."""
    await retry_forever(
        _Delivery(list(messages), list(futures)).confirm,
        retry_on=lambda exc: isinstance(exc, Unacknowledged),
        event="stream.send_retry",
        describe=_unacknowledged_fields,
        service=service,
    )


async def send_acknowledged(messages: Sequence[Outgoing], *, service: str) -> None:
    """Send all messages and return once Kafka acknowledged every one of them."""
    await _confirm(messages, await _send(messages), service)


async def process_durably(
    stream: faust.StreamT,
    handle: Callable[[EventT], Sequence[Outgoing] | Awaitable[Sequence[Outgoing]]],
    *,
    service: str,
    guard: OffsetGuard,
    max_in_flight: int = 1000,
) -> None:
    """Run ``handle`` on each event in order; ack an event only once its output is durable.

    ``handle`` runs in the event's own context (so table changes go to the right
    changelog partition); a coroutine ``handle`` (one that calls out, like the
    respond worker's) is awaited before the next event. Its output is sent at once,
    and the event is acked - its offset becomes committable - only when Kafka
    acknowledged all of that output and that of every event before it in its
    partition (socialcare.offsets). Waiting for
    acks happens off the hot path, up to ``max_in_flight`` events at a time: without
    that pipelining a worker pays a broker round trip per event. A crash replays,
    never skips.
    """
    stream.enable_acks = False
    slots = asyncio.Semaphore(max_in_flight)
    in_flight: set[asyncio.Task] = set()
    acks = AckInOrder(stream.ack)

    async def ack_when_durable(event: EventT, messages, futures) -> None:
        try:
            await _confirm(messages, futures, service)
            await acks.done(event)
        finally:
            slots.release()

    async for event in stream.events():
        if not await guard.admit(event):
            continue
        started = time.perf_counter()
        messages = handle(event)
        if inspect.isawaitable(messages):
            messages = await messages
        await slots.acquire()
        acks.track(event)
        task = asyncio.ensure_future(ack_when_durable(event, messages, await _send(messages)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        EVENTS.labels(service, event.message.topic, "ok").inc()
        STAGE_SECONDS.labels(service, "handle").observe(time.perf_counter() - started)


BatchHandler = Callable[[list[EventT]], Awaitable[Sequence[Outgoing]]]


class BudgetExceeded(Exception):
    """Processing a record took longer than the batch's time budget."""


async def process_batches(
    stream: faust.StreamT,
    handle: BatchHandler,
    *,
    service: str,
    size: int,
    within: float,
    dlq: faust.TopicT,
    guard: OffsetGuard,
    budget: float | None = None,
) -> None:
    """Run ``handle`` on micro-batches of up to ``size`` events or ``within`` seconds,
    and send what it returns; the batch is done once Kafka acknowledged all of it.

    faust acks a batch when the next one is taken, so the loop takes the next one only
    when the batch's output is durable; ``guard`` keeps records faust delivers out of
    order out of the batch (socialcare.offsets). A record that fails for a reason of its own
    goes to the DLQ and the stream goes on (see `run_batch`). Only what escapes that -
    cancellation mid-batch, a bug in this loop - ends the process at once, before the
    ack can be committed: the batch is replayed after the restart instead of lost.
    """
    async for taken in stream.take_events(size, within=within):
        batch = []
        for event in taken:
            if await guard.admit(event):
                batch.append(event)
            else:
                # faust acks every taken event when the next batch is taken; one more
                # reference keeps a record that was not processed from becoming
                # committable (it comes again once its partition is re-read).
                event.message.incref()
        if not batch:
            continue
        try:
            outgoing = await run_batch(batch, handle, service=service, dlq=dlq, budget=budget)
            await send_acknowledged(outgoing, service=service)
        except BaseException as exc:
            log.error("stream.batch_failed", service=service, **error_fields(exc))
            os._exit(70)


async def run_batch(
    batch: list[EventT],
    handle: BatchHandler,
    *,
    service: str,
    dlq: faust.TopicT,
    budget: float | None = None,
) -> list[Outgoing]:
    """``handle``'s output for ``batch``, with a dead letter in place of the output of
    each record that cannot be processed.

    - Infrastructure errors (`is_infrastructure`: Kafka or Elasticsearch away,
      overloaded, refusing our credentials) are nobody's record's fault: the batch is
      retried with the pipeline's back-off (`socialcare.retry`) until they pass,
      holding the offsets back.
    - Any other error, or ``budget`` seconds spent on the batch, is blamed on a record:
      the records are then handled one at a time, each within the budget, and the one
      that fails again is a dead letter with the reason.

    The budget can only interrupt work that lets go of the event loop (awaits, or
    runs in a thread that releases the GIL, as ONNX Runtime does); a pure-Python or
    regex loop holding the GIL cannot be interrupted from inside the process, which
    is why every regex on customer text is linear and model input is capped.
    """

    async def attempt() -> Sequence[Outgoing]:
        return await _within_budget(handle(batch), budget)

    try:
        return list(
            await retry_forever(
                attempt,
                retry_on=is_infrastructure,
                event="stream.batch_retry",
                describe=error_fields,
                service=service,
            )
        )
    except Exception as exc:
        if len(batch) == 1:
            return [dead_letter(dlq, service, batch[0], exc)]
        log.warning("stream.batch_split", service=service, records=len(batch), **error_fields(exc))
        outgoing: list[Outgoing] = []
        for event in batch:
            outgoing += await run_batch([event], handle, service=service, dlq=dlq, budget=budget)
        return outgoing


async def _within_budget(
    work: Awaitable[Sequence[Outgoing]], budget: float | None
) -> Sequence[Outgoing]:
    if budget is None:
        return await work
    try:
        async with asyncio.timeout(budget) as scope:
            return await work
    except TimeoutError:
        if scope.expired():  # ours, not a timeout raised by the work itself
            raise BudgetExceeded(f"processing took longer than the {budget:g} s budget") from None
        raise


def is_infrastructure(exc: BaseException) -> bool:
    """Whether ``exc`` says a service we depend on is away or refuses us, rather than
    that the record is bad: such errors are waited out, never dead-lettered."""
    from aiokafka.errors import KafkaError
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    if isinstance(exc, ApiError):
        # 4xx other than these is about the request itself (a malformed document).
        return exc.meta.status in (401, 403, 404, 408, 409, 429) or exc.meta.status >= 500
    return isinstance(exc, KafkaError | TransportError | ConnectionError | TimeoutError)


def error_fields(exc: BaseException) -> dict[str, object]:
    """What may be logged about ``exc``: its type, where it was raised and, for a
    validation error, which fields failed how - never input values or messages,
    which may quote customer text, author ids or phone numbers."""
    fields: dict[str, object] = {"error_type": type(exc).__name__}
    if isinstance(exc, ValidationError):
        fields["errors"] = [
            {"loc": ".".join(str(part) for part in e["loc"]), "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
    detail = getattr(exc, "log_detail", None)
    if isinstance(detail, str):
        fields["detail"] = detail
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        fields["where"] = f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"
    return fields


def reason(exc: BaseException) -> str:
    """The reason a dead letter records: for a validation error each failure's field,
    type and message without the input value (the letter keeps the original bytes)."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    details = "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(record)'}: {e['msg']} [{e['type']}]"
        for e in errors
    )
    return f"{len(errors)} validation error(s) for {exc.title}: {details}"


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
    letter = letter.model_copy(update={"error": reason(error)[:4000]})
    DEAD_LETTERS.labels(service, letter.error_type).inc()
    EVENTS.labels(service, message.topic, "dead_letter").inc()
    log.warning(
        "stream.dead_letter",
        service=service,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        **error_fields(error),
    )
    return Outgoing(app_dlq, message.key, letter.model_dump_json().encode())


def dlq_topic(app: faust.App) -> faust.TopicT:
    return bytes_topic(app, DLQ)
