"""A Kafka broker of a test's own, on free ports, so the test may stop and start it
without touching the shared local stack (which other tests and sessions use)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from socialcare_dev.settings import StackSettings
from socialcare_dev.stack.errors import StackError
from socialcare_dev.stack.kafka_server import KafkaServer


def _free_block(size: int) -> int:
    """A first port with ``size`` consecutive ports free at this moment (the broker's
    PLAINTEXT, controller and SASL listeners); the caller retries if one is taken by
    the time the broker binds it."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + size > 65535:
            continue
        with ExitStack() as held:
            try:
                for port in range(first, first + size):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return first


@contextmanager
def own_broker(settings: StackSettings, workdir: Path, attempts: int = 5) -> Iterator[KafkaServer]:
    """A started single-node broker (the stack's jars, its own data), stopped after."""
    workdir.mkdir(parents=True, exist_ok=True)
    downloads = workdir / "downloads"
    if not downloads.exists():
        downloads.symlink_to(settings.stack_dir.resolve() / "downloads")
    for attempt in range(attempts):
        port = _free_block(3)
        # A fresh directory per attempt: the storage is formatted for its ports.
        home = workdir / f"kafka-{attempt}"
        home.mkdir()
        (home / "downloads").symlink_to(downloads.resolve())
        server = KafkaServer(
            StackSettings(
                stack_dir=home,
                kafka_bootstrap_servers=f"127.0.0.1:{port}",
                stack_kafka_heap="256m",
                stack_start_timeout=180,
            )
        )
        server.start_process(lambda _: None)
        try:
            server.wait_ready()
        except StackError as exc:
            server.process.stop(timeout=10)
            if "Address already in use" in str(exc) or "BindException" in str(exc):
                continue
            raise
        try:
            yield server
        finally:
            server.process.stop(timeout=30)
        return
    raise StackError(f"no free ports for a broker after {attempts} attempts")
