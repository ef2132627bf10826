"""The pipeline's services as separate local processes, the way Kubernetes runs them,
with the platform emulator standing in for the platforms' send APIs: `socialcare
demo`, the end-to-end and fault tests and `bench/e2e.py` use this.

Each service is `python -m socialcare <role>`, configured only by ``SOCIALCARE_*``
environment variables, with a readiness URL to wait on and a log file of its own.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from socialcare import kafka
from socialcare.settings import Settings
from socialcare_dev.emulator.clients import listen_env, respond_env
from socialcare_dev.process import ROOT, ManagedProcess, free_port

__all__ = [
    "ROLES",
    "Pipeline",
    "ServiceProcess",
    "cpu_list",
    "free_port",
    "pinning",
    "skip_backlog",
]


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
        skip = {tp: OffsetAndMetadata(end, kafka.BACKLOG_SKIPPED, -1) for tp, end in ends.items()}
        consumer.commit(skip)
    finally:
        consumer.close()
    return skipped


class ServiceProcess(ManagedProcess):
    """`socialcare <args>` as a ManagedProcess: named for its arguments, with a readiness
    URL to wait on (see ManagedProcess for ``port_setting``)."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        ready_url: str,
        log: Path,
        port_setting: str | None = None,
        command: list[str] | None = None,
        cores: str | None = None,
    ) -> None:
        command = command or [sys.executable, "-m", "socialcare", *args]
        super().__init__(
            " ".join(args),
            log,
            # taskset execs the command: the pid, session and signals stay the service's.
            command=["taskset", "-c", cores, *command] if cores else command,
            env=env,
            ready_url=ready_url,
            port_setting=port_setting,
        )


# role -> (its `socialcare` arguments, the setting that names its HTTP port); each
# is ready when /readyz on that port answers 200
ROLES: dict[str, tuple[list[str], str]] = {
    "ingest": (["ingest", "serve"], "SOCIALCARE_INGEST_PORT"),
    "classify": (["classify", "worker"], "SOCIALCARE_CLASSIFY_WEB_PORT"),
    "route": (["route", "worker"], "SOCIALCARE_ROUTE_WEB_PORT"),
    "conversations": (["conversations", "worker"], "SOCIALCARE_CONVERSATIONS_WEB_PORT"),
    "alerts": (["alerts", "worker"], "SOCIALCARE_ALERTS_WEB_PORT"),
    "index": (["index", "worker"], "SOCIALCARE_INDEX_WEB_PORT"),
    "search": (["search", "serve"], "SOCIALCARE_SEARCH_PORT"),
    "respond": (["respond", "worker"], "SOCIALCARE_RESPOND_WEB_PORT"),
    "listen": (["listen", "worker"], "SOCIALCARE_LISTEN_WEB_PORT"),
}
EMULATOR_PORT = "SOCIALCARE_EMULATOR_PORT"

# taskset's CPU list syntax: numbers and ranges, comma-separated ("0", "0,2", "0-3,6")
_CPU_LIST = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")


def cpu_list(text: str) -> tuple[int, ...]:
    """The CPUs a taskset-style list names, in order; ValueError if it is malformed or
    names a CPU this machine does not have (taskset would fail only once started)."""
    if not _CPU_LIST.fullmatch(text):
        raise ValueError(f"{text!r} is not a CPU list like 0, 0,2 or 0-3")
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if last and int(last) < int(first):
            raise ValueError(f"{part!r} in {text!r} is a range that runs backwards")
        cpus.update(range(int(first), int(last or first) + 1))
    count = os.cpu_count() or 1
    if max(cpus) >= count:
        raise ValueError(f"{text!r} names CPU {max(cpus)}; this machine has 0-{count - 1}")
    return tuple(sorted(cpus))


def pinning(specs: Iterable[str], roles: Iterable[str]) -> dict[str, list[str]]:
    """``ROLE=LIST`` arguments -> each role's CPU lists, in the order given.

    One list pins every replica of the role to it; a role given again adds a list, and
    the replicas take them in turn (``classify=0``, ``classify=1``: the first replica
    on CPU 0, the second on CPU 1). ValueError names an unknown role or a bad list.
    """
    known = set(roles)
    chosen: dict[str, list[str]] = {}
    for spec in specs:
        role, sep, cpus = spec.partition("=")
        role = role.strip()
        if not sep or role not in known:
            names = ", ".join(sorted(known))
            raise ValueError(f"{spec!r}: expected ROLE=LIST, ROLE one of {names}")
        cpu_list(cpus.strip())
        chosen.setdefault(role, []).append(cpus.strip())
    return chosen


class Pipeline:
    """ingest, classify, route, conversations, alerts, index, search, respond and
    listen, each in its own process, and the platform emulator that respond sends to
    and listen searches (unless ``env`` names the platforms' base URLs itself).

    The classifier runs as two one-thread replicas by default: on two cores that
    beats one two-thread process (255 vs 226 texts/s, docs/performance.md), and it is
    how Kubernetes scales it. ``cores`` (role or "emulator" -> CPU lists, see
    pinning()) starts processes under ``taskset -c``; replica n of a role takes the
    role's list n modulo their number; unlisted processes run where this one may.
    """

    def __init__(
        self,
        log_dir: Path,
        env: dict[str, str] | None = None,
        ports: dict[str, int] | None = None,
        replicas: dict[str, int] | None = None,
        cores: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.log_dir = log_dir
        counts = {"classify": 2} | (replicas or {})
        replica = {
            role if n == 0 else f"{role}-{n + 1}": (role, n)
            for role in ROLES
            for n in range(counts.get(role, 1))
        }
        # Each process's CPU list (None: not pinned).
        self.cores: dict[str, str | None] = {
            name: _nth(cores, role, n) for name, (role, n) in replica.items()
        }
        self.cores["emulator"] = _nth(cores, "emulator", 0)
        chosen = {name: (ports or {}).get(name) or free_port() for name in replica}
        common = {"SOCIALCARE_INGEST_HOST": "127.0.0.1", "SOCIALCARE_SEARCH_HOST": "127.0.0.1"}
        common |= env or {}
        data_dir = Path(
            common.get("SOCIALCARE_WORKER_DATA_DIR")
            or os.environ.get("SOCIALCARE_WORKER_DATA_DIR")
            or ROOT / ".stack" / "workers"
        )
        self.services: dict[str, ServiceProcess] = {}
        for name, (role, _) in replica.items():
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
                cores=self.cores[name],
            )
        self._fixed = {name: chosen[name] for name in chosen if (ports or {}).get(name)}
        self.emulator: ServiceProcess | None = None
        if "SOCIALCARE_RESPOND_GRAPH_BASE_URL" not in common:
            port = self._emulator_port = (ports or {}).get("emulator") or free_port()
            self.emulator = ServiceProcess(
                ["emulator", "serve"],
                env={EMULATOR_PORT: str(port)},
                ready_url=f"http://127.0.0.1:{port}/healthz",
                log=log_dir / "emulator.log",
                port_setting=None if (ports or {}).get("emulator") else EMULATOR_PORT,
                cores=self.cores["emulator"],
            )

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

    @property
    def emulator_url(self) -> str | None:
        if self.emulator is None:
            return None
        # A port the caller gave is fixed (no port_setting); one picked here may move.
        return f"http://127.0.0.1:{self.emulator.port or self._emulator_port}"

    def start(
        self, timeout: float = 180.0, on_ready: Callable[[str, float], None] | None = None
    ) -> None:
        """Spawn every service at once (the emulator first: respond is told its final
        port), then wait until each is ready."""
        started = time.monotonic()
        if self.emulator is not None:
            self.emulator.start(timeout)
            pointed = {"respond": respond_env, "listen": listen_env}
            for name, service in self.services.items():
                role = name.split("-")[0]
                if role in pointed:
                    service.env |= pointed[role](self.emulator_url)
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
        services = [*self.services.values(), *([self.emulator] if self.emulator else [])]
        for service in services:
            service.send_signal(signal.SIGTERM)
        for service in services:
            service.stop()


def _nth(cores: Mapping[str, Sequence[str]] | None, role: str, n: int) -> str | None:
    """The CPU list of replica ``n`` (from 0) of ``role``: the role's lists in turn."""
    lists = (cores or {}).get(role) or []
    return lists[n % len(lists)] if lists else None
