"""Ingest benchmark: signed webhooks in, events acknowledged by Kafka out.

Starts `socialcare ingest serve` as its own process (as it runs in production)
against the local stack, posts signed Meta Messenger deliveries from concurrent
clients, and prints accepted events/s and request latency percentiles. Every 200
counted here means Kafka acknowledged the event (acks=all).

    .venv/bin/socialcare stack up
    .venv/bin/python bench/ingest.py --requests 3000 --concurrency 8 --batch 1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def request(port: int, body: bytes) -> bytes:
    """A whole signed HTTP/1.1 POST, built before the clock starts."""
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST /webhooks/meta HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: sha256={signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol.

    A general client (httpx) cost the load generator about as much CPU per request as
    ingest itself, on the same cores: this one costs a fraction, so the figures are
    ingest's.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def exchange(self, data: bytes) -> int:
        """Send one request, read its whole answer; returns the status."""
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


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
        run_id = uuid.uuid4().hex[:8]
        requests = [request(port, delivery(run_id, i, args.batch)) for i in range(args.requests)]
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for item in requests:
            queue.put_nowait(item)

        async def worker() -> None:
            connection = await Connection.open(port)
            try:
                while not queue.empty():
                    item = queue.get_nowait()
                    started = time.perf_counter()
                    status = await connection.exchange(item)
                    latencies.append(time.perf_counter() - started)
                    statuses[status] = statuses.get(status, 0) + 1
            finally:
                connection.close()

        # Warm-up: the producer's first connection and metadata fetch.
        warm = await Connection.open(port)
        await warm.exchange(request(port, delivery("warm", 0, 1)))
        warm.close()
        pid = server.pid()
        assert pid is not None
        server_cpu, client_cpu = cpu_seconds(pid), own_cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(pid) - server_cpu
        client_cpu = own_cpu_seconds() - client_cpu
    finally:
        server.stop()

    report(args, statuses, latencies, elapsed, (server_cpu, client_cpu))


def report(
    args: argparse.Namespace,
    statuses: dict[int, int],
    latencies: list[float],
    elapsed: float,
    cpu: tuple[float, float],
) -> None:
    """Print the run's figures; ``cpu``: seconds of ingest and of the load generator."""
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
        f"CPU ms per event: ingest {cpu[0] * 1000 / max(accepted, 1):.2f}  "
        f"load generator {cpu[1] * 1000 / max(accepted, 1):.2f}"
    )
    print(
        f"request latency ms: p50 {statistics.median(ms):.1f}  "
        f"p99 {ms[int(len(ms) * 0.99) - 1]:.1f}  max {ms[-1]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="webhook deliveries to send")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--batch", type=int, default=1, help="messages per delivery")
    parser.add_argument(
        "--log-level", default="INFO", help="ingest log level (INFO logs every event)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
