"""Ingest benchmark: signed webhooks in, events acknowledged by Kafka out.

Starts `socialcare ingest serve` as its own process (as it runs in production)
against the local stack, posts signed Meta Messenger deliveries from concurrent
clients, and prints accepted events/s and request latency percentiles. Every 200
counted here means Kafka acknowledged the event (acks=all).

    .venv/bin/socialcare stack up
    .venv/bin/python bench/ingest.py --requests 3000 --concurrency 32 --batch 1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from socialcare_dev.pipeline import ServiceProcess, free_port

SECRET = "bench-secret"
PAGE = "104729318201355"


def delivery(run: str, request: int, batch: int) -> bytes:
    messaging = [
        {
            "sender": {"id": f"69{request % 500:014d}"},
            "recipient": {"id": PAGE},
            "timestamp": 1795420800000 + request,
            "message": {
                "mid": f"m_{run}_{request}_{n}",
                "text": "Moje slúchadlá prestali nabíjať po dvoch dňoch 😡 objednávka #A-55120",
            },
        }
        for n in range(batch)
    ]
    # ensure_ascii like Meta: the signature is over these exact bytes.
    return json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": messaging}]}).encode()


def signed(body: bytes) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    server = ServiceProcess(
        ["ingest", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={"SOCIALCARE_META_APP_SECRET": SECRET, "SOCIALCARE_LOG_LEVEL": args.log_level},
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=Path(tempfile.mkdtemp(prefix="ingest-bench-")) / "ingest.log",
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            run_id = uuid.uuid4().hex[:8]
            bodies = [delivery(run_id, i, args.batch) for i in range(args.requests)]
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            for body in bodies:
                queue.put_nowait(body)

            async def post(body: bytes) -> httpx.Response:
                return await client.post("/webhooks/meta", content=body, headers=signed(body))

            async def worker() -> None:
                while not queue.empty():
                    body = queue.get_nowait()
                    started = time.perf_counter()
                    response = await post(body)
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            # Warm-up: the producer's first connection and metadata fetch.
            await post(delivery("warm", 0, 1))
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            elapsed = time.perf_counter() - started
    finally:
        server.stop()

    accepted = statuses.get(200, 0) * args.batch
    ms = sorted(x * 1000 for x in latencies)
    print(
        f"requests: {args.requests}  events/request: {args.batch}  "
        f"concurrency: {args.concurrency}  statuses: {statuses}"
    )
    print(
        f"accepted and acknowledged by Kafka: {accepted} events in {elapsed:.2f} s "
        f"= {accepted / elapsed:.0f} events/s ({statuses.get(200, 0) / elapsed:.0f} requests/s)"
    )
    print(
        f"request latency ms: p50 {statistics.median(ms):.1f}  "
        f"p99 {ms[int(len(ms) * 0.99) - 1]:.1f}  max {ms[-1]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="webhook deliveries to send")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument("--batch", type=int, default=1, help="messages per delivery")
    parser.add_argument(
        "--log-level", default="INFO", help="ingest log level (INFO logs every event)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
