"""The pipeline's five services as separate local processes, the way Kubernetes runs
them: `socialcare demo`, the end-to-end and fault tests and `bench/e2e.py` use this.

Each service is `python -m socialcare <role>`, configured only by ``SOCIALCARE_*``
environment variables, with a readiness URL to wait on and a log file of its own.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from socialcare import kafka
from socialcare.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def skip_backlog(settings: Settings, group: str, topic: str) -> int:
    """Commit the topic's end offsets for ``group``: it starts with what comes next,
    not with what earlier runs left on the shared local topics. Returns how many
    records the group would otherwise have had to work through first."""
    consumer = kafka.consumer(settings, group_id=group, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        skipped = 0
        for tp in partitions:
            committed = consumer.committed(tp)
            skipped += ends[tp] - max(starts[tp], committed if committed is not None else 0)
        consumer.commit({tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()})
    finally:
        consumer.close()
    return skipped


def free_port() -> int:
    """A port free at this moment. Another process may take it before the service
    binds it: ServiceProcess(port_setting=...) moves to another port if that happens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# How uvicorn and aiohttp (faust's web server) report EADDRINUSE when they bind.
_PORT_TAKEN = re.compile(r"address already in use|\[Errno 98\]", re.IGNORECASE)


class ServiceProcess:
    """`socialcare <args>` in its own process, with a readiness URL to wait on.

    With ``port_setting`` (the variable that names the service's HTTP port, its value
    in ``env`` picked by free_port()), a service that exits because the port was taken
    between picking and binding is started again on another free port, so a port race
    never fails a run.
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        ready_url: str,
        log: Path,
        port_setting: str | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.args, self.env, self.ready_url, self.log = args, env, ready_url, log
        self.port_setting = port_setting
        self.command = command or [sys.executable, "-m", "socialcare", *args]
        self.process: subprocess.Popen | None = None
        self._log_start = 0

    @property
    def port(self) -> int | None:
        return int(self.env[self.port_setting]) if self.port_setting else None

    def spawn(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self._log_start = out.tell()
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C in a terminal reaches only the parent,
                # which then stops each service in order.
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120.0, port_retries: int = 3) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                if port_retries > 0 and self._lost_port_race():
                    port_retries -= 1
                    self._move_to(free_port())
                    self.spawn()
                    continue
                raise RuntimeError(f"{' '.join(self.args)} exited:\n{self.tail()}")
            if self.ready():
                return
            time.sleep(0.25)
        raise RuntimeError(f"{' '.join(self.args)} not ready in {timeout:.0f} s:\n{self.tail()}")

    def _lost_port_race(self) -> bool:
        if self.port_setting is None or not self.log.exists():
            return False
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            return bool(_PORT_TAKEN.search(log.read().decode(errors="replace")))

    def _move_to(self, port: int) -> None:
        old = self.port
        self.env = self.env | {self.port_setting: str(port)}  # type: ignore[dict-item]
        self.ready_url = self.ready_url.replace(f":{old}/", f":{port}/", 1)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 120.0) -> None:
        self.spawn()
        self.wait_ready(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> None:
        """Signal the process and wait for it (SIGKILL after ``timeout``)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no leaving the group - a crash."""
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# role -> (command, the setting that names its HTTP port, the readiness path)
ROLES: dict[str, tuple[list[str], str]] = {
    "ingest": (["ingest", "serve"], "SOCIALCARE_INGEST_PORT"),
    "classify": (["classify", "worker"], "SOCIALCARE_CLASSIFY_WEB_PORT"),
    "route": (["route", "worker"], "SOCIALCARE_ROUTE_WEB_PORT"),
    "index": (["search", "index-worker"], "SOCIALCARE_INDEX_WEB_PORT"),
    "search": (["search", "serve"], "SOCIALCARE_SEARCH_PORT"),
}


class Pipeline:
    """ingest, classify, route, index and search, each in its own process.

    The classifier runs as two one-thread replicas by default: on two cores that
    beats one two-thread process (PERF-NOTES), and it is how Kubernetes scales it.
    """

    def __init__(
        self,
        log_dir: Path,
        env: dict[str, str] | None = None,
        ports: dict[str, int] | None = None,
        replicas: dict[str, int] | None = None,
    ) -> None:
        self.log_dir = log_dir
        counts = {"classify": 2} | (replicas or {})
        names = [
            (role, role if n == 0 else f"{role}-{n + 1}")
            for role in ROLES
            for n in range(counts.get(role, 1))
        ]
        chosen = {name: (ports or {}).get(name) or free_port() for _, name in names}
        common = {"SOCIALCARE_INGEST_HOST": "127.0.0.1", "SOCIALCARE_SEARCH_HOST": "127.0.0.1"}
        common |= env or {}
        data_dir = Path(
            common.get("SOCIALCARE_WORKER_DATA_DIR")
            or os.environ.get("SOCIALCARE_WORKER_DATA_DIR")
            or ROOT / ".stack" / "workers"
        )
        self.services: dict[str, ServiceProcess] = {}
        for role, name in names:
            command, port_setting = ROLES[role]
            self.services[name] = ServiceProcess(
                command,
                # Replicas of a worker share its group but not its scratch directory.
                env=common
                | {port_setting: str(chosen[name])}
                | {"SOCIALCARE_WORKER_DATA_DIR": str(data_dir / name)},
                ready_url=f"http://127.0.0.1:{chosen[name]}/readyz",
                log=log_dir / f"{name}.log",
                # A port given by the caller is meant; one picked here may move.
                port_setting=None if (ports or {}).get(name) else port_setting,
            )
        self._fixed = {name: chosen[name] for name in chosen if (ports or {}).get(name)}

    @property
    def ports(self) -> dict[str, int]:
        """Each service's HTTP port (after any move away from a port taken meanwhile)."""
        return {name: s.port or self._fixed[name] for name, s in self.services.items()}

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['ingest']}"

    @property
    def search_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['search']}"

    def start(
        self, timeout: float = 180.0, on_ready: Callable[[str, float], None] | None = None
    ) -> None:
        """Spawn every service at once, then wait until each is ready."""
        started = time.monotonic()
        for service in self.services.values():
            service.spawn()
        try:
            for name, service in self.services.items():
                service.wait_ready(timeout)
                if on_ready:
                    on_ready(name, time.monotonic() - started)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM to every service at once: workers commit and leave their groups."""
        for service in self.services.values():
            if service.running:
                service.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for service in self.services.values():
            service.stop()
