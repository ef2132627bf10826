"""Publishing accepted events to Kafka, and remembering what was published.

The producer is created on first use, not at import or start-up, so ingest starts
(and answers /healthz) while Kafka is still coming up; /readyz tells the difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator

import anyio.to_thread
from cachetools import TTLCache
from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from socialcare import kafka
from socialcare.metrics import STAGE_SECONDS
from socialcare.schema import Event
from socialcare.settings import Settings
from socialcare.topics import RAW


class PublishError(RuntimeError):
    """Kafka did not acknowledge every event in time; the caller must retry."""


class EventPublisher:
    def __init__(self, settings: Settings, timeout: float, topic: str = RAW.name) -> None:
        self.settings = settings
        self.timeout = timeout
        self.topic = topic
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _get_producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                timeout_ms = int(self.timeout * 1000)
                self._producer = kafka.producer(
                    self.settings,
                    # Bound every wait by the request's own budget: a request must
                    # get its 503 while the platform is still waiting for an answer.
                    max_block_ms=timeout_ms,
                    request_timeout_ms=timeout_ms,
                    delivery_timeout_ms=timeout_ms + 5_000,
                    bootstrap_timeout_ms=timeout_ms,
                )
            return self._producer

    def _discard(self, producer: KafkaProducer) -> None:
        """Replace a producer whose sends timed out; the next request gets a new one.

        After its batches expired while the broker was down, kafka-python's idempotent
        producer never acknowledged anything again, even with the broker back (the
        Kafka-restart fault test showed 6 minutes of 503s). A new producer has a new
        producer id and works at once. Its unacknowledged sends fail, and their
        requests answer 503 - the platform retries them.
        """
        with self._lock:
            if self._producer is producer:
                self._producer = None
        threading.Thread(target=producer.close, kwargs={"timeout": 0}, daemon=True).start()

    def _send(self, producer: KafkaProducer, events: list[Event]) -> list[FutureRecordMetadata]:
        # send() only blocks (up to max_block_ms) while metadata is unknown or the
        # buffer is full; that is why callers run it off the event loop.
        # The event id also travels as a header, as on every other topic: consumers
        # can dedupe or trace without parsing the value.
        return [
            producer.send(
                self.topic,
                key=e.key,
                value=e.to_bytes(),
                headers=[("event_id", e.event_id.encode())],
            )
            for e in events
        ]

    def publish(self, events: list[Event]) -> None:
        """Send every event and return only once Kafka acknowledged all of them."""
        started = time.perf_counter()
        producer = self._get_producer()
        try:
            for future in self._send(producer, events):
                future.get(timeout=max(0.0, started + self.timeout - time.perf_counter()))
        except KafkaError as exc:
            self._discard(producer)
            raise PublishError(f"Kafka did not acknowledge the events: {exc}") from exc
        finally:
            STAGE_SECONDS.labels("ingest", "publish").observe(time.perf_counter() - started)

    async def publish_async(self, events: list[Event]) -> None:
        """Like publish(), but waits for the acks without holding a thread: a request
        waiting on Kafka costs a callback, not one of the server's worker threads."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        producer = None
        try:
            producer = await anyio.to_thread.run_sync(self._get_producer)
            sent = await anyio.to_thread.run_sync(self._send, producer, events)
            acks = [_acked(loop, future) for future in sent]
            remaining = max(0.0, started + self.timeout - time.perf_counter())
            await asyncio.wait_for(asyncio.gather(*acks), timeout=remaining)
        except (KafkaError, TimeoutError) as exc:
            if producer is not None:
                self._discard(producer)
            raise PublishError(f"Kafka did not acknowledge the events: {exc!r}") from exc
        finally:
            STAGE_SECONDS.labels("ingest", "publish").observe(time.perf_counter() - started)

    def is_ready(self) -> bool:
        # A plain connect first, so a probe against a stopped broker answers at once
        # instead of waiting out the producer's bootstrap timeout.
        try:
            addresses = self.settings.kafka_addresses
        except ValueError:  # a port that is no number: nothing to connect to
            return False
        if not any(_reachable(address) for address in addresses):
            return False
        try:
            producer = self._get_producer()
            return producer.partitions_for(self.topic) is not None
        except KafkaError:
            return False

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                # Shutting down with Kafka away: the unacked sends were answered 503.
                with contextlib.suppress(KafkaError):
                    self._producer.close(timeout=self.timeout)
                self._producer = None


def _reachable(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
    except OSError:
        return False
    return True


def _acked(loop: asyncio.AbstractEventLoop, future: FutureRecordMetadata) -> asyncio.Future:
    """An asyncio future resolved, on the loop, by the producer's I/O thread."""
    acked: asyncio.Future = loop.create_future()

    def done(_: object) -> None:
        if not acked.done():
            acked.set_result(None)

    def failed(exc: BaseException) -> None:
        if not acked.done():
            acked.set_exception(exc)

    future.add_callback(lambda meta: loop.call_soon_threadsafe(done, meta))
    future.add_errback(lambda exc: loop.call_soon_threadsafe(failed, exc))
    return acked


class RecentIds:
    """Event ids published within the dedup window: platform retries stop at the edge.

    A request first claims its ids: an id published in the window is a duplicate, an
    id another request is publishing right now is waited for, the rest are reserved.
    Check and reservation happen in one step on the event loop, so two concurrent
    deliveries of one message can never both publish it. A reservation becomes "seen"
    only once Kafka acknowledged it; if the publish fails it is released, so the
    waiting request (or the platform's retry) publishes it instead, and nothing
    answered 200 is lost. Bounded in size; downstream is idempotent by event_id,
    so forgetting (or another replica's copy) costs a redundant record, not a
    double count.

    Used from the event loop only (no lock needed: nothing awaits between check
    and reservation).
    """

    def __init__(self, window_seconds: float, max_entries: int) -> None:
        self.enabled = window_seconds > 0
        self._seen: TTLCache[str, bool] = TTLCache(max_entries, ttl=max(window_seconds, 1e-9))
        self._publishing: dict[str, asyncio.Future[None]] = {}

    def split(self, events: list[Event]) -> tuple[list[Event], list[Event]]:
        """(new, duplicate) events; duplicates inside one request count once."""
        fresh: dict[str, Event] = {}
        duplicates: list[Event] = []
        for event in events:
            if (self.enabled and event.event_id in self._seen) or event.event_id in fresh:
                duplicates.append(event)
            else:
                fresh[event.event_id] = event
        return list(fresh.values()), duplicates

    @contextlib.asynccontextmanager
    async def claim(self, events: list[Event]) -> AsyncIterator[tuple[list[Event], list[Event]]]:
        """(to publish, duplicates): publish the first inside the block; leaving it
        normally marks them seen, leaving it by an exception releases them."""
        if not self.enabled:
            yield self.split(events)
            return
        while True:
            fresh, duplicates = self.split(events)
            busy = [self._publishing[e.event_id] for e in fresh if e.event_id in self._publishing]
            if not busy:
                break
            # Another request is publishing some of these: its outcome decides whether
            # they are duplicates (it succeeded) or still ours to publish (it failed).
            await asyncio.wait(busy)
        loop = asyncio.get_running_loop()
        reserved = {e.event_id: loop.create_future() for e in fresh}
        self._publishing.update(reserved)
        published = False
        try:
            yield fresh, duplicates
            published = True
        finally:
            for event_id, future in reserved.items():
                del self._publishing[event_id]
                if published:
                    self._seen[event_id] = True
                future.set_result(None)
