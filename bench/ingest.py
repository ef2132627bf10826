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
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

import httpx

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SOCIALCARE_META_APP_SECRET": SECRET,
        "SOCIALCARE_LOG_LEVEL": args.log_level,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services",
            "ingest",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(120):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.25)
            else:
                raise SystemExit("ingest did not become ready")

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
        server.terminate()
        server.wait(timeout=30)

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
