"""Search benchmark: bulk-indexing throughput and search latency at 100k events.

Indexes N generated routed events (multilingual texts from data/corpus, 384-dim
embeddings) into a separate alias with the index worker's own Indexer, then serves
`socialcare search serve` as a process and times typical agent queries over HTTP.

    .venv/bin/socialcare stack up
    .venv/bin/python bench/search.py --events 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from socialcare import elastic
from socialcare.index.indexer import Indexer
from socialcare.schema import RoutedEvent
from socialcare.search.settings import SearchSettings
from socialcare_dev.pipeline import ServiceProcess, free_port

ALIAS = "bench-events"
BENCH_KEY = "bench-reader-key-0123"
SKILLS = {
    "defect": "tech_support",
    "order_issue": "orders",
    "shipping": "logistics",
    "praise": "engagement",
    "other": "general",
}


def corpus() -> list[dict]:
    rows = []
    for path in sorted(
        (Path(__file__).resolve().parent.parent / "data" / "corpus").glob("*.jsonl")
    ):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows or [
        {
            "text": "Where is my parcel?",
            "intent": "shipping",
            "sentiment": "negative",
            "language": "en",
        }
    ]


def make_event(n: int, row: dict, rng: random.Random, start: datetime) -> RoutedEvent:
    created = start + timedelta(seconds=n * 7)
    vector = [rng.gauss(0, 1) for _ in range(384)]
    norm = sum(v * v for v in vector) ** 0.5
    lang, intent = row["language"], row["intent"]
    return RoutedEvent.model_validate(
        {
            "platform": rng.choice(["twitter", "facebook", "instagram", "whatsapp", "telegram"]),
            "platform_message_id": f"bench-{n}",
            "kind": rng.choice(["dm", "mention", "comment"]),
            "brand_account_id": "bench",
            "conversation_id": f"bench-c{n // 4}",
            "author": {"id": f"a{n // 8}", "handle": f"user{n // 8}", "follower_count": n % 5000},
            "text": row["text"],
            "created_at": created.isoformat(),
            "received_at": created.isoformat(),
            "classification": {
                "intent": intent,
                "intent_scores": {intent: 0.9},
                "sentiment": row["sentiment"],
                "sentiment_scores": {row["sentiment"]: 0.9},
                "language": lang,
                "language_confidence": 0.99,
                "model_version": "bench",
                "embedding": [round(v / norm, 5) for v in vector],
            },
            "routing": {
                "queue": f"support.queue.{lang}.{SKILLS[intent]}",
                "language_queue": lang,
                "skill": SKILLS[intent],
                "priority": rng.choice(["P1", "P2", "P3", "P4"]),
                "first_response_due_at": (created + timedelta(hours=1)).isoformat(),
                "rule": "bench",
                "routed_at": created.isoformat(),
            },
        }
    )


async def index_all(settings: SearchSettings, total: int, batch: int) -> float:
    rows, rng = corpus(), random.Random(3)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    es = elastic.async_client(settings)
    indexer = Indexer(es, settings.index_alias)
    started = time.perf_counter()
    try:
        for offset in range(0, total, batch):
            events = [
                make_event(n, rows[n % len(rows)], rng, start)
                for n in range(offset, min(total, offset + batch))
            ]
            rejected = await indexer.index(events)
            assert not rejected, rejected
            done = offset + len(events)
            if done % 10_000 < batch:
                rate = done / (time.perf_counter() - started)
                print(f"  indexed {done:>7}/{total}  {rate:,.0f} docs/s", flush=True)
        await es.indices.refresh(index=settings.index_alias)
    finally:
        await es.close()
    return time.perf_counter() - started


async def time_queries(base: str, rounds: int) -> dict[str, list[float]]:
    queries = {
        "full text": {"q": "paket"},
        "text + filters": {"q": "order", "language": "en", "sentiment": "negative"},
        "filters, newest": {"intent": "shipping", "priority": "P1", "sort": "newest"},
        "sla breached": {"sla_breached": "true", "size": 50},
    }
    timings: dict[str, list[float]] = {name: [] for name in queries}
    headers = {"X-API-Key": BENCH_KEY}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(rounds):
            for name, params in queries.items():
                started = time.perf_counter()
                response = await client.get("/v1/search", params=params)
                timings[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            started = time.perf_counter()
            (await client.get("/v1/similar/twitter:bench-17")).raise_for_status()
            timings.setdefault("similar (kNN)", []).append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep an already indexed alias")
    args = parser.parse_args()
    settings = SearchSettings(index_alias=ALIAS, search_api_keys=f"{BENCH_KEY}:read")
    es = elastic.client(settings)
    count = es.count(index=ALIAS)["count"] if es.indices.exists_alias(name=ALIAS) else 0
    if not (args.reuse and count >= args.events):
        for index in es.indices.get(index=f"{ALIAS}-*", ignore_unavailable=True):
            es.indices.delete(index=index)
        elastic.ensure_index(es, settings)
        print(f"indexing {args.events} events in bulk requests of {args.batch}:")
        elapsed = asyncio.run(index_all(settings, args.events, args.batch))
        print(
            f"indexing: {args.events} docs in {elapsed:.1f} s = {args.events / elapsed:,.0f} docs/s"
        )
    es.close()

    port = free_port()
    server = ServiceProcess(
        ["search", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={
            "SOCIALCARE_INDEX_ALIAS": ALIAS,
            "SOCIALCARE_SEARCH_API_KEYS": f"{BENCH_KEY}:read",
            "SOCIALCARE_LOG_LEVEL": "WARNING",
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=Path("/tmp/search-bench.log"),
    )
    server.start()
    try:
        timings = asyncio.run(time_queries(f"http://127.0.0.1:{port}", args.rounds))
    finally:
        server.stop()
    print(f"search latency over HTTP at {args.events} events ({args.rounds} rounds):")
    for name, values in timings.items():
        values.sort()
        print(
            f"  {name:<16} p50 {statistics.median(values):6.1f} ms   "
            f"p99 {values[max(0, int(len(values) * 0.99) - 1)]:6.1f} ms"
        )


if __name__ == "__main__":
    main()
