"""The local stack: a real Kafka broker and a real Elasticsearch node, without Docker.

``up`` installs (first run only), starts and waits for both servers, then creates
the topics and the index template; it is idempotent. ``down`` stops both.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socialcare.provision import provision
from socialcare_dev.settings import StackSettings
from socialcare_dev.stack.elasticsearch_server import ElasticsearchServer
from socialcare_dev.stack.errors import StackError
from socialcare_dev.stack.kafka_server import KafkaServer

__all__ = ["LocalStack", "ServerStatus", "StackError"]


def _stderr(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    pid: int | None
    ready: bool
    logs: list[Path]


class LocalStack:
    def __init__(self, settings: StackSettings, say: Callable[[str], None] = _stderr) -> None:
        self.settings = settings
        self.say = say
        self.kafka = KafkaServer(settings)
        self.elasticsearch = ElasticsearchServer(settings)
        self.servers = (self.kafka, self.elasticsearch)

    def up(self) -> dict[str, float]:
        """Start what is not running; returns seconds each server took to get ready."""
        timings: dict[str, float] = {}
        for server in self.servers:
            server.install(self.say)
        # Both JVMs boot in parallel; only the readiness waits are sequential.
        started: dict[str, float] = {}
        for server in self.servers:
            if server.process.running:
                self.say(f"{server.name} already running at {server.address}")
            else:
                started[server.name] = time.monotonic()
                server.start_process(self.say)
        for server in self.servers:
            try:
                server.wait_ready()
            except StackError:
                # A half-started server would make the next `up` think all is well.
                if server.name in started:
                    server.process.stop(timeout=10)
                raise
            if server.name in started:
                timings[server.name] = time.monotonic() - started[server.name]
                self.say(f"{server.name} ready in {timings[server.name]:.1f} s")
        # Local only, unlike provision(), which also runs against remote clusters.
        self.kafka.ensure_sasl_user()
        self.provision()
        return timings

    def provision(self) -> None:
        """Create the pipeline topics and the index (socialcare.provision)."""
        provision(self.settings, self.say)

    def down(self) -> list[str]:
        stopped = []
        # Elasticsearch first: it is the slower one to stop, and nothing depends on it.
        for server in reversed(self.servers):
            if server.process.stop():
                stopped.append(server.name)
                self.say(f"{server.name} stopped")
        return stopped

    def status(self) -> list[ServerStatus]:
        return [
            ServerStatus(
                name=s.name,
                address=s.address,
                pid=s.process.pid(),
                ready=s.process.running and s.is_ready(),
                logs=s.log_paths(),
            )
            for s in self.servers
        ]
