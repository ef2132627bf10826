"""Search benchmark: bulk-indexing throughput and search latency at 100k events.

Indexes N generated routed events (multilingual texts from data/corpus, 384-dim
embeddings) into a separate alias with the index worker's own Indexer, measures the
recall@10 of the similar-messages kNN query against exact (brute-force) search over
the same vectors, then serves `socialcare search serve` as a process and times
typical agent queries over HTTP.

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
import numpy as np

from socialcare import elastic
from socialcare.index.indexer import Indexer
from socialcare.schema import RoutedEvent
from socialcare.search.routers.similar import knn_query
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


def embeddings(total: int, dims: int = 384) -> np.ndarray:
    """Unit vectors, one per event, as the index stores them (rounded to 5 places):
    the same for the same ``total``, so ``--reuse`` can measure recall again.
    Random directions are the hard case for approximate search: no clusters."""
    vectors = np.random.default_rng(3).standard_normal((total, dims), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def make_event(
    n: int, row: dict, rng: random.Random, start: datetime, vector: np.ndarray
) -> RoutedEvent:
    created = start + timedelta(seconds=n * 7)
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
                "embedding": np.round(vector.astype(np.float64), 5).tolist(),
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


async def index_all(
    settings: SearchSettings, vectors: np.ndarray, batch: int
) -> tuple[float, float]:
    """Index one event per vector; returns the wall time and the time spent in the
    Indexer (the wall time less making the events, which the worker does not do)."""
    rows, rng, total = corpus(), random.Random(3), len(vectors)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    es = elastic.async_client(settings)
    indexer = Indexer(es, settings.index_alias)
    started, in_indexer = time.perf_counter(), 0.0
    try:
        for offset in range(0, total, batch):
            events = [
                make_event(n, rows[n % len(rows)], rng, start, vectors[n])
                for n in range(offset, min(total, offset + batch))
            ]
            bulk_started = time.perf_counter()
            rejected = await indexer.index(events)
            in_indexer += time.perf_counter() - bulk_started
            assert not rejected, rejected
            done = offset + len(events)
            if done % 10_000 < batch:
                rate = done / (time.perf_counter() - started)
                print(f"  indexed {done:>7}/{total}  {rate:,.0f} docs/s", flush=True)
        await es.indices.refresh(index=settings.index_alias)
    finally:
        await es.close()
    return time.perf_counter() - started, in_indexer


def knn_recall(es, alias: str, vectors: np.ndarray, queries: int, k: int = 10) -> float:
    """Mean recall@k of /v1/similar's kNN query (k + 1 neighbours of a stored event,
    itself dropped, the same num_candidates) against exact cosine search in numpy."""
    picked = np.random.default_rng(5).choice(len(vectors), size=queries, replace=False)
    found = 0
    for n in picked:
        result = es.search(
            index=alias,
            knn=knn_query(vectors[n].tolist(), k + 1),
            size=k + 1,
            source=["platform_message_id"],
        )
        approx = [
            int(hit["_source"]["platform_message_id"].removeprefix("bench-"))
            for hit in result["hits"]["hits"]
        ]
        scores = vectors @ vectors[n]
        scores[n] = -np.inf  # the event itself, as the API drops it
        exact = np.argpartition(-scores, k)[:k]
        found += len(set(exact.tolist()) & set([i for i in approx if i != n][:k]))
    return found / (queries * k)


async def time_queries(base: str, rounds: int, similar_to: str) -> dict[str, list[float]]:
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
            (await client.get(f"/v1/similar/{similar_to}")).raise_for_status()
            timings.setdefault("similar (kNN)", []).append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep an already indexed alias")
    parser.add_argument("--recall-queries", type=int, default=200)
    args = parser.parse_args()
    settings = SearchSettings(index_alias=ALIAS, search_api_keys=f"{BENCH_KEY}:read")
    vectors = embeddings(args.events)
    es = elastic.client(settings)
    count = es.count(index=ALIAS)["count"] if es.indices.exists_alias(name=ALIAS) else 0
    if not (args.reuse and count >= args.events):
        for index in es.indices.get(index=f"{ALIAS}-*", ignore_unavailable=True):
            es.indices.delete(index=index)
        elastic.ensure_index(es, settings)
        print(f"indexing {args.events} events in bulk requests of {args.batch}:")
        elapsed, in_indexer = asyncio.run(index_all(settings, vectors, args.batch))
        print(
            f"indexing: {args.events} docs in {elapsed:.1f} s = {args.events / elapsed:,.0f} docs/s"
            f" ({args.events / in_indexer:,.0f} docs/s in the Indexer, {in_indexer:.1f} s)"
        )
    mapping = es.indices.get_field_mapping(
        index=ALIAS, fields="classification.embedding", include_defaults=True
    )
    options = next(iter(mapping.values()))["mappings"]["classification.embedding"]["mapping"]
    recall = knn_recall(es, ALIAS, vectors, args.recall_queries)
    print(
        f"kNN recall@10 against exact search ({args.recall_queries} queries): {recall:.3f}"
        f"  index_options {options['embedding'].get('index_options', 'default')}"
    )
    # The event id carries the event's (random) platform.
    found = es.search(index=ALIAS, query={"term": {"platform_message_id": "bench-17"}}, size=1)
    similar_to = found["hits"]["hits"][0]["_id"]
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
        timings = asyncio.run(time_queries(f"http://127.0.0.1:{port}", args.rounds, similar_to))
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
