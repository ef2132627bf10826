"""Route worker benchmark: classified events in, routed events out, on the real Kafka.

Starts `socialcare route worker` as its own process, drains any backlog, then
publishes N classified events (many conversations, follow-ups included) and waits
until all of them are on social.events.routed. Prints routed events/s and the
publish-to-routed latency percentiles.

    .venv/bin/socialcare stack up
    .venv/bin/python bench/route.py --events 5000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from socialcare import kafka
from socialcare.schema import ClassifiedEvent
from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED, ROUTED
from socialcare_dev.pipeline import ServiceProcess, free_port

INTENTS = ["defect", "order_issue", "shipping", "praise", "other"]
LANGUAGES = ["en", "es", "de", "kk", "fa", "it", "ru", "tr"]


def event(run: str, n: int, rng: random.Random) -> ClassifiedEvent:
    intent = rng.choice(INTENTS)
    sentiment = rng.choice(["negative", "neutral", "positive"])
    return ClassifiedEvent.model_validate(
        {
            "platform": rng.choice(["twitter", "instagram", "whatsapp", "facebook"]),
            "platform_message_id": f"{run}-{n}",
            "kind": rng.choice(["dm", "mention", "comment"]),
            "brand_account_id": "bench",
            "conversation_id": f"bench-{run}-{rng.randrange(max(1, n // 3 + 1))}",
            "author": {"id": f"a{n}", "follower_count": rng.choice([10, 500, 20_000])},
            "text": "Where is my refund? Order 48213 still not here",
            "created_at": "2026-11-23T09:00:00Z",
            "received_at": "2026-11-23T09:00:01Z",
            "classification": {
                "intent": intent,
                "intent_scores": {intent: rng.uniform(0.3, 0.99)},
                "sentiment": sentiment,
                "sentiment_scores": {sentiment: 0.8},
                "language": rng.choice(LANGUAGES),
                "language_confidence": 0.97,
                "model_version": "bench",
            },
        }
    )


def poll(consumer: KafkaConsumer, wanted: set[str], seen_at: dict[str, float], ms: int) -> None:
    for batch in consumer.poll(timeout_ms=ms).values():
        now = time.perf_counter()
        for record in batch:
            event_id = dict(record.headers).get("event_id", b"").decode()
            if event_id in wanted:
                seen_at.setdefault(event_id, now)


def wait_routed(consumer: KafkaConsumer, wanted: set[str], seen_at: dict[str, float], timeout):
    deadline = time.monotonic() + timeout
    while wanted - seen_at.keys() and time.monotonic() < deadline:
        poll(consumer, wanted, seen_at, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument(
        "--rate", type=float, default=0, help="events/s to publish at (0: all at once)"
    )
    args = parser.parse_args()
    settings = Settings()
    rng = random.Random(7)
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="route-bench-"))
    worker = ServiceProcess(
        ["route", "worker"],
        env={
            "SOCIALCARE_ROUTE_APP_ID": "socialcare-route-bench",
            "SOCIALCARE_ROUTE_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(workdir),
            "SOCIALCARE_LOG_LEVEL": "WARNING",
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=workdir / "worker.log",
    )
    consumer = kafka.consumer(settings)
    partitions = [
        TopicPartition(ROUTED.name, p) for p in consumer.partitions_for_topic(ROUTED.name)
    ]
    consumer.assign(partitions)
    for tp, offset in consumer.end_offsets(partitions).items():
        consumer.seek(tp, offset)
    producer = kafka.producer(settings, linger_ms=20)
    worker.start()
    try:
        run = uuid.uuid4().hex[:8]
        marker = event(f"{run}-marker", 0, rng)
        producer.send(CLASSIFIED.name, key=marker.key, value=marker.to_bytes()).get(30)
        wait_routed(consumer, {marker.event_id}, {}, timeout=600)  # backlog drained

        events = [event(run, n, rng) for n in range(args.events)]
        wanted = {e.event_id for e in events}
        sent_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        started = time.perf_counter()
        for n, e in enumerate(events):
            if args.rate:
                # Paced publishing measures latency at a load the worker keeps up with.
                producer.flush()
                while (delay := started + n / args.rate - time.perf_counter()) > 0:
                    poll(consumer, wanted, seen_at, max(1, int(delay * 1000)))
            producer.send(CLASSIFIED.name, key=e.key, value=e.to_bytes())
            sent_at[e.event_id] = time.perf_counter()
        producer.flush()
        wait_routed(consumer, wanted, seen_at, timeout=600)
        elapsed = max(seen_at.values()) - started
    finally:
        worker.stop()
        producer.close()
        consumer.close()

    latencies = sorted((seen_at[i] - sent_at[i]) * 1000 for i in seen_at)
    print(
        f"routed {len(seen_at)}/{len(events)} events in {elapsed:.2f} s = "
        f"{len(seen_at) / elapsed:.0f} events/s (one worker process, 6 partitions)"
    )
    print(
        f"publish-to-routed latency ms: p50 {statistics.median(latencies):.0f}  "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.0f}"
    )


if __name__ == "__main__":
    main()
