"""End-to-end benchmark: signed webhooks in, searchable events out, on this machine.

Starts the five services as processes (an isolated pipeline: its own consumer
groups and index), then
1. sends a burst of webhooks as fast as ingest takes them and measures the sustained
   rate from the first webhook until the last event is searchable;
2. sends paced traffic at 50 % and 90 % of that rate and measures latency from
   webhook received to indexed, p50/p99;
3. splits each event's time into stages by the Kafka record timestamps (raw,
   classified, routed) and the document's indexed_at, and prints each stage's
   throughput during the burst, so the bottleneck is visible;
4. before all that, measures the classifier alone on the same texts (both cores,
   the worker's micro-batch size), the figure the sustained rate is compared with.

    .venv/bin/socialcare stack up && scripts/model.sh
    .venv/bin/python bench/e2e.py [--burst 3000] [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from kafka import TopicPartition

from socialcare import elastic, kafka
from socialcare.classify.settings import ClassifySettings
from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED, RAW, ROUTED
from socialcare_dev import tracking
from socialcare_dev.isolation import isolated_pipeline
from socialcare_dev.stack import LocalStack
from socialcare_dev.traffic import Traffic

STAGES = (("ingest", RAW.name), ("classify", CLASSIFIED.name), ("route", ROUTED.name))


TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_session() -> dict[int, float]:
    """CPU seconds (user + system) of every process, summed by session: each service,
    each server and this benchmark runs in a session of its own."""
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session, utime, stime = int(fields[3]), int(fields[11]), int(fields[12])
        used[session] = used.get(session, 0.0) + (utime + stime) / TICK
    return used


def classifier_alone(texts: list[str], batch: int) -> tuple[float, float]:
    """texts/s of the model alone and of model + language identification (what the
    worker does per event), both cores to itself, micro-batches in arrival order."""
    from socialcare.classify.language import LanguageIdentifier
    from socialcare.classify.predict import Predictor

    predictor = Predictor(ClassifySettings().model_dir)
    languages = LanguageIdentifier(languages=ClassifySettings().classify_languages)
    predictor.predict(texts[:batch])  # warm-up
    rates = [0.0, 0.0]
    # Best of alternating rounds: the shared cores here drift between runs.
    for _ in range(2):
        for with_language in (False, True):
            started = time.perf_counter()
            for start in range(0, len(texts), batch):
                chunk = texts[start : start + batch]
                predictor.predict(chunk)
                if with_language:
                    for text in chunk:
                        languages.detect(text)
            rate = len(texts) / (time.perf_counter() - started)
            rates[with_language] = max(rates[with_language], rate)
    return rates[0], rates[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def send(url: str, traffic: Traffic, count: int, rate: float | None) -> list[str]:
    """``count`` webhooks, paced at ``rate``/s or as fast as 8 connections go."""
    accepted: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for _ in range(count):
        queue.put_nowait(traffic.next())
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient, lane: int, lanes: int) -> None:
        n = lane
        while not queue.empty():
            delivery = queue.get_nowait()
            if rate:
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                n += lanes
            response = await client.post(
                delivery.path, content=delivery.body, headers=delivery.headers
            )
            response.raise_for_status()
            accepted.extend(response.json()["event_ids"])

    lanes = 8
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.gather(*(worker(client, lane, lanes) for lane in range(lanes)))
    return accepted


def stage_times(settings: Settings, ids: set[str], since_ms: int) -> dict[str, dict[str, float]]:
    """Kafka timestamp (s) of each event's record on raw, classified and routed."""
    consumer = kafka.consumer(settings)
    found: dict[str, dict[str, float]] = {topic: {} for _, topic in STAGES}
    try:
        for _, topic in STAGES:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            starts = consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
            ends = consumer.end_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, starts[tp].offset if starts[tp] else ends[tp])
            done = {tp for tp in partitions if consumer.position(tp) >= ends[tp]}
            while len(done) < len(partitions):
                for tp, records in consumer.poll(timeout_ms=500).items():
                    for r in records:
                        event_id = dict(r.headers).get("event_id", b"").decode()
                        if event_id in ids:
                            found[topic].setdefault(event_id, r.timestamp / 1000)
                    if consumer.position(tp) >= ends[tp]:
                        done.add(tp)
    finally:
        consumer.close()
    return found


def documents(es, alias: str, ids: list[str]) -> dict[str, tuple[float, float]]:
    """event id -> (received_at, indexed_at) in epoch seconds."""
    out = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        hits = es.search(
            index=alias,
            query={"terms": {"event_id": chunk}},
            size=len(chunk),
            source=["event_id", "received_at", "indexed_at"],
        )["hits"]["hits"]
        for hit in hits:
            doc = hit["_source"]
            out[doc["event_id"]] = (
                datetime.fromisoformat(doc["received_at"]).timestamp(),
                datetime.fromisoformat(doc["indexed_at"]).timestamp(),
            )
    return out


def print_stages(docs: dict, stamps: dict) -> None:
    """Each stage's rate in the burst and the latency it added (p50, p99)."""
    print(f"\n{'stage':<9} {'events/s in the burst':>22} {'stage latency p50':>18} {'p99':>8}")
    previous = {i: received for i, (received, _) in docs.items()}
    for name, topic in [*STAGES, ("index", None)]:
        at = stamps[topic] if topic else {i: indexed for i, (_, indexed) in docs.items()}
        common = [i for i in at if i in previous]
        took = [(at[i] - previous[i]) * 1000 for i in common] or [float("nan")]
        span = max(at.values()) - min(at.values()) if len(at) > 1 else float("nan")
        print(
            f"{name:<9} {len(at) / span:>22.0f} {statistics.median(took):>15.0f} ms "
            f"{pct(took, 0.99):>5.0f} ms"
        )
        previous = at


def print_paced(paced: dict) -> None:
    """Webhook-to-indexed latency at each paced load."""
    print(f"\n{'load':<22} {'events':>7} {'webhook -> indexed p50':>23} {'p99':>9}")
    for share, (rate, result) in paced.items():
        print(
            f"{f'{share:.0%} ({rate:.0f}/s)':<22} {result.total:>7} "
            f"{result.p50:>20.0f} ms {result.percentile(0.99):>6.0f} ms"
        )


def print_cpu(
    sessions: dict[int, str], before: dict, after: dict, wall: float, events: int
) -> None:
    """CPU each process session spent per event of the burst."""
    print(
        f"\nCPU per event in the burst ({wall:.0f} s; 2 cores give "
        f"{2000 * wall / events:.0f} ms per event at this rate)"
    )
    for sid, name in sessions.items():
        spent = after.get(sid, 0.0) - before.get(sid, 0.0)
        print(f"  {name:<32} {spent * 1000 / events:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=3000, help="webhooks in the burst")
    parser.add_argument("--seconds", type=float, default=40, help="length of each paced run")
    args = parser.parse_args()
    settings = Settings()
    es = elastic.client(settings)
    workdir = Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    traffic = Traffic(uuid.uuid4().hex[:8], backlog_share=0.0)
    print("classifier alone ...", file=sys.stderr)
    # The texts the traffic is made of (the corpus' test split), in mixed order.
    sample = [text for texts in zip(*traffic.texts.values(), strict=False) for text in texts] * 3
    model_alone, worker_alone = classifier_alone(sample, ClassifySettings().classify_batch_size)
    with isolated_pipeline(settings, workdir) as (pipeline, alias):
        # Warm-up: the first events pay for connections and lazy set-up.
        warm = asyncio.run(send(pipeline.ingest_url, traffic, 50, None))
        tracking.wait_searchable(es, alias, warm, timeout=300)

        print(f"burst: {args.burst} webhooks ...", file=sys.stderr)
        stack = LocalStack(settings)
        sessions = {s.pid(): role for role, s in pipeline.services.items()}
        sessions |= {server.process.pid(): server.name for server in stack.servers}
        sessions[os.getsid(0)] = "load generator + this benchmark"
        since_ms = int(time.time() * 1000)
        started = time.time()
        cpu_before = cpu_by_session()
        burst = asyncio.run(send(pipeline.ingest_url, traffic, args.burst, None))
        accepted_in = time.time() - started
        # Polled slowly: the check itself costs Elasticsearch CPU.
        while tracking.count(es, alias, burst) < len(burst):
            time.sleep(2)
        cpu_after = cpu_by_session()
        wall = time.time() - started
        docs = documents(es, alias, burst)
        sustained = len(burst) / (max(indexed for _, indexed in docs.values()) - started)
        stamps = stage_times(settings, set(burst), since_ms)

        paced = {}
        for share in (0.5, 0.9):
            rate = sustained * share
            count = int(rate * args.seconds)
            print(f"paced: {count} webhooks at {rate:.0f}/s ...", file=sys.stderr)
            ids = asyncio.run(send(pipeline.ingest_url, traffic, count, rate))
            tracking.wait_searchable(es, alias, ids, timeout=1800)
            result = tracking.outcome(es, alias, ids)
            paced[share] = (rate, result)

    print("\nwhole pipeline on this machine (all services, Kafka, ES and the load generator)")
    print(
        f"burst of {len(burst)}: ingest accepted them in {accepted_in:.1f} s "
        f"({len(burst) / accepted_in:.0f}/s); sustained webhook -> searchable "
        f"{sustained:.0f} events/s"
    )
    print(
        f"classifier alone on both cores: model {model_alone:.0f} texts/s, with language "
        f"identification {worker_alone:.0f}/s; the pipeline sustains "
        f"{sustained / model_alone:.0%} and {sustained / worker_alone:.0%} of them"
    )
    print_stages(docs, stamps)
    print_cpu(sessions, cpu_before, cpu_after, wall, len(burst))
    print_paced(paced)
    print("(searchable within the index refresh interval, 1 s, after indexed)")


if __name__ == "__main__":
    main()
