"""Publishing records to one Kafka topic from a web service, acknowledged before the
request is answered (ingest's webhooks, the search API's actions).

The producer is created on first use, not at import or start-up, so a service starts
(and answers /healthz) while Kafka is still coming up; /readyz tells the difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import anyio.to_thread
from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from socialcare import kafka
from socialcare.metrics import STAGE_SECONDS
from socialcare.settings import Settings


class Record(Protocol):
    """A message model of a topic: its Kafka key and its bytes."""

    @property
    def key(self) -> bytes: ...

    def to_bytes(self) -> bytes: ...


Headers = Callable[[Record], list[tuple[str, bytes]]]


class PublishError(RuntimeError):
    """Kafka did not acknowledge every record in time; the caller must retry."""


class Publisher:
    """Sends records of one topic and returns once Kafka acknowledged them (acks=all).

    ``headers`` gives each record's headers (the id it carries, so consumers can dedupe
    or trace without parsing the value); ``stage`` labels the publish-time metric."""

    def __init__(
        self,
        settings: Settings,
        timeout: float,
        topic: str,
        *,
        stage: str,
        headers: Headers = lambda _: [],
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.topic = topic
        self.stage = stage
        self.headers = headers
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _get_producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                timeout_ms = int(self.timeout * 1000)
                self._producer = kafka.producer(
                    self.settings,
                    # Bound every wait by the request's own budget: a request must
                    # get its 503 while its caller is still waiting for an answer.
                    max_block_ms=timeout_ms,
                    request_timeout_ms=timeout_ms,
                    delivery_timeout_ms=timeout_ms + 5_000,
                    bootstrap_timeout_ms=timeout_ms,
                    # Every caller waits for its record's ack, so lingering only adds
                    # latency: concurrent requests still share produce requests. At
                    # concurrency 8, 5 ms of linger held ingest to 820 events/s, none
                    # to 1,233-1,274 at the same CPU per event (bench/ingest.py).
                    linger_ms=0,
                )
            return self._producer

    def _ready_producer(self) -> KafkaProducer | None:
        """The producer, if send() on it cannot block: it exists and knows the topic's
        partitions (kafka-python's send blocks only to fetch metadata). Then sending
        on the event loop costs less than two hops to a worker thread and back."""
        producer = self._producer
        if producer is None or producer._metadata.partitions_for_topic(self.topic) is None:
            return None
        return producer

    def _discard(self, producer: KafkaProducer) -> None:
        """Replace a producer whose sends timed out; the next request gets a new one.

        After its batches expired while the broker was down, kafka-python's idempotent
        producer never acknowledged anything again, even with the broker back (the
        Kafka-restart fault test showed 6 minutes of 503s). A new producer has a new
        producer id and works at once. Its unacknowledged sends fail, and their
        requests answer 503 - the caller retries them.
        """
        with self._lock:
            if self._producer is producer:
                self._producer = None
        threading.Thread(target=producer.close, kwargs={"timeout": 0}, daemon=True).start()

    def _send(
        self, producer: KafkaProducer, records: Sequence[Record]
    ) -> list[FutureRecordMetadata]:
        # send() only blocks (up to max_block_ms) while the topic's metadata is
        # unknown; publish_async runs it off the event loop until it is known.
        return [
            producer.send(self.topic, key=r.key, value=r.to_bytes(), headers=self.headers(r))
            for r in records
        ]

    def publish(self, records: Sequence[Record]) -> None:
        """Send every record and return only once Kafka acknowledged all of them."""
        started = time.perf_counter()
        producer = self._get_producer()
        try:
            for future in self._send(producer, records):
                future.get(timeout=max(0.0, started + self.timeout - time.perf_counter()))
        except KafkaError as exc:
            self._discard(producer)
            raise PublishError(f"Kafka did not acknowledge the records: {exc}") from exc
        finally:
            STAGE_SECONDS.labels(self.stage, "publish").observe(time.perf_counter() - started)

    async def publish_async(self, records: Sequence[Record]) -> None:
        """Like publish(), but waits for the acks without holding a thread: a request
        waiting on Kafka costs a callback, not one of the server's worker threads."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        producer = None
        try:
            producer = self._ready_producer()
            if producer is not None:
                sent = self._send(producer, records)
            else:
                producer = await anyio.to_thread.run_sync(self._get_producer)
                sent = await anyio.to_thread.run_sync(self._send, producer, records)
            acks = [_acked(loop, future) for future in sent]
            remaining = max(0.0, started + self.timeout - time.perf_counter())
            await asyncio.wait_for(asyncio.gather(*acks), timeout=remaining)
        except (KafkaError, TimeoutError) as exc:
            if producer is not None:
                self._discard(producer)
            raise PublishError(f"Kafka did not acknowledge the records: {exc!r}") from exc
        finally:
            STAGE_SECONDS.labels(self.stage, "publish").observe(time.perf_counter() - started)

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
