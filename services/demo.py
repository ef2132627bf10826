"""``socialcare demo``: the local pipeline on sample traffic.

Today it brings up the stack, publishes the sample events to social.events.raw with
the same producer ingest uses, reads them back from Kafka and says how to run each
service; the end-to-end run through all services is issue #8.
"""

from __future__ import annotations

from pathlib import Path

import typer
from kafka import KafkaConsumer, TopicPartition

from socialcare import kafka
from socialcare.schema import Event
from socialcare.settings import Settings
from socialcare.stack import LocalStack, StackError
from socialcare.topics import RAW

SAMPLES = Path(__file__).resolve().parent / "samples" / "events.jsonl"

SERVICES = [
    ("ingest serve", "webhooks -> social.events.raw", "port 8000"),
    ("classify worker", "raw -> social.events.classified", "needs `classify train`"),
    ("route worker", "classified -> support.queue.<lang>.<skill> + routed", "web 6067"),
    ("search index-worker", "routed -> Elasticsearch", "web 6068"),
    ("search serve", "search API + agent console (/console)", "port 8001"),
]


def run(settings: Settings) -> None:
    try:
        timings = LocalStack(settings).up()
    except StackError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    if timings:
        typer.echo(f"stack started in {sum(timings.values()):.1f} s")

    events = [Event.model_validate_json(line) for line in SAMPLES.read_text().splitlines()]
    producer = kafka.producer(settings)
    try:
        acked = [
            producer.send(RAW.name, key=ev.key, value=ev.to_bytes()).get(timeout=30)
            for ev in events
        ]
    finally:
        producer.close()
    typer.echo(f"\npublished {len(acked)} sample events to {RAW.name}; read back from Kafka:\n")

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
    )
    try:
        typer.echo(f"{'partition@offset':<18} {'platform':<10} {'kind':<8} text")
        for meta in acked:
            tp = TopicPartition(meta.topic, meta.partition)
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            record = next(iter(consumer))
            ev = Event.model_validate_json(record.value)
            typer.echo(
                f"{f'{record.partition}@{record.offset}':<18} {ev.platform:<10} "
                f"{ev.kind:<8} {ev.text[:60]}"
            )
    finally:
        consumer.close()

    typer.echo("\nservices (each runs as `socialcare <role>`):")
    for role, flow, status in SERVICES:
        typer.echo(f"  {role:<20} {flow:<55} {status}")
    typer.echo(
        f"\nKafka: {settings.kafka_bootstrap_servers}   Elasticsearch: "
        f"{settings.elasticsearch_url} (alias {settings.index_alias})\n"
        "stop the stack with: .venv/bin/socialcare stack down"
    )
