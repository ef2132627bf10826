"""Classifier benchmark: every inference backend, then the worker on the real Kafka.

Per backend, each in a fresh process (so import costs are counted): load time
(imports + model), texts/s at batch 1 with latency p50/p99, texts/s in the worker's
micro-batches (arrival order) by the wall clock and per CPU second, macro-F1 on the
test split, model size. Then starts `socialcare classify worker` (the configured
backend, default onnx-int8), publishes N raw events and measures raw -> classified
throughput and latency.

    .venv/bin/socialcare stack up && scripts/model.sh
    .venv/bin/python bench/classify.py [--events 2000] [--backends onnx-int8,torch-fp32]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import TopicPartition

from socialcare import kafka
from socialcare.classify.data import load
from socialcare.classify.predict import BACKENDS
from socialcare.classify.settings import ClassifySettings
from socialcare.schema import Event
from socialcare.topics import CLASSIFIED, RAW
from socialcare_dev.pipeline import ServiceProcess, free_port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def one_backend(backend: str, batch: int, texts: int) -> dict:
    """Runs in its own process: measures one backend, returns the figures."""
    started = time.perf_counter()
    from socialcare.classify.evaluate import evaluate
    from socialcare.classify.predict import Predictor

    model_dir = ClassifySettings().model_dir
    predictor = Predictor(model_dir, backend)
    load_seconds = time.perf_counter() - started
    sample = [e.text for e in load(split="test")]
    random.Random(1).shuffle(sample)
    sample = (sample * (texts // len(sample) + 1))[:texts]
    predictor.predict(sample[:8])  # warm-up

    latencies = []
    for text in sample[:200]:
        t = time.perf_counter()
        predictor.predict([text])
        latencies.append((time.perf_counter() - t) * 1000)
    # As the worker sees them: micro-batches in arrival order, not one sorted corpus.
    t, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(sample), batch):
        predictor.predict(sample[start : start + batch])
    batched = len(sample) / (time.perf_counter() - t)
    # Texts per CPU second: on a shared machine the wall clock measures the neighbours
    # too, the process's CPU time much less so (one thread: the model's own work).
    batched_cpu = len(sample) / (time.process_time() - cpu)
    report = evaluate(model_dir, backend=backend)  # type: ignore[arg-type]
    files = (
        [model_dir / "model.int8.onnx"]
        if backend == "onnx-int8"
        else [
            model_dir / "model.safetensors",
            model_dir / "heads.safetensors",
        ]
    )
    return {
        "backend": backend,
        "load_s": load_seconds,
        "size_mb": sum(f.stat().st_size for f in files) / 1e6,
        "batch1_per_s": len(latencies) / (sum(latencies) / 1000),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "batched_per_s": batched,
        "batched_per_cpu_s": batched_cpu,
        "intent_f1": report["overall"]["intent"]["macro_f1"],
        "sentiment_f1": report["overall"]["sentiment"]["macro_f1"],
        "version": predictor.version,
    }


def worker_throughput(events: int) -> tuple[str, float, float, float, float]:
    settings = ClassifySettings()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="classify-bench-"))
    worker = ServiceProcess(
        ["classify", "worker"],
        env={
            "SOCIALCARE_CLASSIFY_APP_ID": "socialcare-classify-bench",
            "SOCIALCARE_CLASSIFY_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(workdir),
            "SOCIALCARE_LOG_LEVEL": "WARNING",
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=workdir / "worker.log",
    )
    consumer = kafka.consumer(settings)
    partitions = [TopicPartition(CLASSIFIED.name, p) for p in range(CLASSIFIED.partitions)]
    consumer.assign(partitions)
    for tp, offset in consumer.end_offsets(partitions).items():
        consumer.seek(tp, offset)
    producer = kafka.producer(settings, linger_ms=20)
    texts = [e.text for e in load()]
    run = uuid.uuid4().hex[:8]

    def event(n: int) -> Event:
        return Event.model_validate(
            {
                "platform": "twitter",
                "platform_message_id": f"{run}-{n}",
                "kind": "mention",
                "brand_account_id": "bench",
                "conversation_id": f"bench-{run}-{n}",
                "author": {"id": f"a{n}"},
                "text": texts[n % len(texts)],
                "created_at": "2026-11-23T09:00:00Z",
                "received_at": "2026-11-23T09:00:01Z",
            }
        )

    def wait(wanted: set[str], seen_at: dict[str, float], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while wanted - seen_at.keys() and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                now = time.perf_counter()
                for record in batch:
                    event_id = dict(record.headers).get("event_id", b"").decode()
                    if event_id in wanted:
                        seen_at.setdefault(event_id, now)

    started = time.perf_counter()
    worker.start(timeout=300)
    ready_seconds = time.perf_counter() - started
    try:
        marker = event(-1)
        producer.send(RAW.name, key=marker.key, value=marker.to_bytes()).get(30)
        wait({marker.event_id}, {}, timeout=900)  # any backlog drained
        batch = [event(n) for n in range(events)]
        sent_at, seen_at = {}, {}
        started = time.perf_counter()
        for e in batch:
            producer.send(RAW.name, key=e.key, value=e.to_bytes())
            sent_at[e.event_id] = time.perf_counter()
        producer.flush()
        wait(set(sent_at), seen_at, timeout=900)
        elapsed = max(seen_at.values()) - started
    finally:
        worker.stop()
        producer.close()
        consumer.close()
    latencies = [(seen_at[i] - sent_at[i]) * 1000 for i in seen_at]
    return (
        settings.classify_backend,
        ready_seconds,
        len(seen_at) / elapsed,
        statistics.median(latencies),
        percentile(latencies, 0.99),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--texts", type=int, default=960, help="texts in the batched run")
    parser.add_argument("--batch", type=int, default=ClassifySettings().classify_batch_size)
    parser.add_argument("--events", type=int, default=2000, help="events through the worker")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the per-backend child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_backend(args.one, args.batch, args.texts)))
        return

    rows = []
    for backend in args.backends.split(","):
        print(f"measuring {backend} ...", file=sys.stderr, flush=True)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                backend,
                "--batch",
                str(args.batch),
                "--texts",
                str(args.texts),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(
        f"model {rows[0]['version']}; batch/s: micro-batches of {args.batch} texts in arrival "
        "order; F1: macro, test split"
    )
    print(
        f"{'backend':<11} {'load s':>6} {'MB':>5} {'batch1/s':>8} {'p50 ms':>6} {'p99 ms':>6} "
        f"{'batch/s':>7} {'per CPU-s':>9} {'intent F1':>9} {'sent. F1':>8}"
    )
    for r in rows:
        print(
            f"{r['backend']:<11} {r['load_s']:>6.1f} {r['size_mb']:>5.0f} "
            f"{r['batch1_per_s']:>8.0f} {r['p50_ms']:>6.1f} {r['p99_ms']:>6.1f} "
            f"{r['batched_per_s']:>7.0f} {r['batched_per_cpu_s']:>9.0f} "
            f"{r['intent_f1']:>9.3f} {r['sentiment_f1']:>8.3f}"
        )
    if args.events:
        print(f"classify worker: {args.events} events raw -> classified ...", file=sys.stderr)
        backend, ready, rate, p50, p99 = worker_throughput(args.events)
        print(
            f"worker ({backend}, one process): ready in {ready:.1f} s; {rate:.0f} events/s "
            f"raw -> classified; publish-to-classified latency p50 {p50:.0f} ms, "
            f"p99 {p99:.0f} ms (burst of {args.events})"
        )


if __name__ == "__main__":
    main()
