"""Example: a help desk reading one socialcare queue with kafka-python.

    pip install kafka-python
    python queue_consumer.py support.queue.en.orders --group my-helpdesk

Each message is a routed event (docs/schemas/support.queue.LANGUAGE.SKILL.schema.json):
the customer's message, its classification and its routing block. Delivery is
at-least-once, so deduplicate by event_id (also sent as a message header).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

from kafka import KafkaConsumer


def consume(
    topic: str,
    group: str,
    bootstrap: str = "127.0.0.1:9092",
    max_messages: int | None = None,
    idle_timeout_ms: int = 30_000,
) -> Iterator[dict]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=idle_timeout_ms,
    )
    seen: set[str] = set()
    delivered = 0
    try:
        for record in consumer:
            event = json.loads(record.value)
            if event["event_id"] not in seen:  # a redelivery is not a new ticket
                seen.add(event["event_id"])
                yield event
                delivered += 1
            # Commit after handling: a crash before this line means redelivery, not loss.
            consumer.commit()
            if max_messages is not None and delivered >= max_messages:
                break
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the tickets of one socialcare queue.")
    parser.add_argument("topic", help="e.g. support.queue.en.orders")
    parser.add_argument("--group", required=True, help="your consumer group")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    args = parser.parse_args()
    for event in consume(args.topic, args.group, args.bootstrap):
        routing = event["routing"]
        print(
            f"[{routing['priority']}] due {routing['first_response_due_at']} "
            f"{event['platform']}/{event['author'].get('handle') or event['author']['id']}: "
            f"{event['text'][:80]!r} ({event['classification']['intent']}, "
            f"{event['classification']['sentiment']})"
        )


if __name__ == "__main__":
    main()
