"""One supervisor for every local process the development tools start: the stack's
servers (Kafka, Elasticsearch) and the pipeline's services.

Each process runs in its own session with its log appended to a file. It is stopped
by signalling its whole process group (which also reaches the child JVM that
Elasticsearch's launcher forks), and stop returns only once the group is gone. With a
pid file the process outlives the command that started it (``stack up`` returns while
the servers keep running) and a later command finds it again; with ``port_setting`` a
service that lost its port between picking and binding is started on another one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

# The repository: services run from here, as `python -m socialcare` does in a checkout.
ROOT = Path(__file__).resolve().parents[2]

_ERROR_LINE = re.compile(r"\bERROR\b|\bFATAL\b|Exception: ")
# Written to the (appended) log before each start, so an error shows only the lines
# of the run that failed, never the previous run's shutdown.
_RUN_HEADER = "==== socialcare: starting "
# How long a live process may show an empty command line (it is inside execve).
_EXEC_GRACE = 1.0
# How uvicorn and aiohttp (faust's web server) report EADDRINUSE when they bind.
_PORT_TAKEN = re.compile(r"address already in use|\[Errno 98\]", re.IGNORECASE)


class ProcessError(RuntimeError):
    """A local process could not be installed, started or stopped; the message says why."""


def free_port() -> int:
    """A port free at this moment. Another process may take it before the service
    binds it: ManagedProcess(port_setting=...) moves to another port if that happens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_free_ports(name: str, host: str, ports: Iterable[int]) -> None:
    """Refuse to start ``name`` on a port something else already listens on: a node
    left running by an earlier run would answer the readiness probe for the one that
    just failed to bind, and tests would talk to a stranger."""
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                raise ProcessError(
                    f"{name}: port {port} on {host} is already in use by a process this "
                    "stack did not start (an earlier run's server?); stop it first"
                )


def environment(overlay: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with ``overlay`` applied; None removes a variable."""
    env = dict(os.environ)
    for name, value in overlay.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


class ManagedProcess:
    """``command`` in its own session, logging to ``log_file``.

    - ``env``: variables set over (None: removed from) this process's environment.
    - ``pid_file`` and ``marker``: the process is found again by later commands; the
      marker is a string its command line must contain, so a recycled pid of an
      unrelated process is never taken for (or killed as) ours.
    - ``ready_url``: readiness is an HTTP 200 there (unless wait_ready gets a check).
    - ``port_setting``: the variable in ``env`` that names the HTTP port, a value picked
      by free_port(); if the process exits because the port was taken meanwhile, it is
      started again on another free port, so a port race never fails a run.
    """

    def __init__(
        self,
        name: str,
        log_file: Path,
        *,
        command: list[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: Path = ROOT,
        user: str | None = None,
        pid_file: Path | None = None,
        marker: str | None = None,
        ready_url: str | None = None,
        port_setting: str | None = None,
    ) -> None:
        self.name, self.log_file, self.command = name, log_file, command or []
        self.env: dict[str, str | None] = dict(env or {})
        self.cwd, self.user = cwd, user
        self.pid_file, self.marker = pid_file, marker
        self.ready_url, self.port_setting = ready_url, port_setting
        # The process this object started, if any: while it is our unreaped child its
        # pid cannot be recycled, so its liveness needs no pid file and no command line.
        self.child: subprocess.Popen[bytes] | None = None

    # --- starting -------------------------------------------------------------------

    def spawn(self) -> int:
        """Start the command (without waiting for readiness); returns its pid."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            header = f"{_RUN_HEADER}{self.name} at {datetime.now(UTC).isoformat()} ====\n"
            log.write(header.encode())
            log.flush()
            self.child = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=environment(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C in a terminal reaches only the parent, which
                # then stops each process in order; and the group can be signalled.
                start_new_session=True,
                user=self.user,
                group=self.user,
                extra_groups=[] if self.user else None,
            )
        if self.pid_file is not None:
            # Atomically: a reader (`stack status`) never sees a half-written pid file.
            tmp = self.pid_file.with_suffix(".tmp")
            tmp.write_text(str(self.child.pid))
            tmp.replace(self.pid_file)
        return self.child.pid

    def wait_ready(
        self,
        timeout: float = 120.0,
        check: Callable[[], bool] | None = None,
        port_retries: int = 3,
    ) -> float:
        """Poll ``check`` (default: the ready URL) until it is true; returns the seconds
        waited. Fails at once if the process dies, unless it lost a port race."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.running:
                if port_retries > 0 and self._lost_port_race():
                    port_retries -= 1
                    self._move_to(free_port())
                    self.spawn()
                    continue
                raise ProcessError(
                    f"{self.name} exited while starting; see {self.log_file}\n{self.log_tail()}"
                )
            if (check or self.ready)():
                return time.monotonic() - started
            time.sleep(0.25)
        raise ProcessError(
            f"{self.name} was not ready within {timeout:.0f} s; see {self.log_file}\n"
            f"{self.log_tail()}"
        )

    def start(self, timeout: float = 120.0) -> float:
        self.spawn()
        return self.wait_ready(timeout)

    def ready(self) -> bool:
        if self.ready_url is None:
            return True
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    @property
    def port(self) -> int | None:
        value = self.env.get(self.port_setting) if self.port_setting else None
        return int(value) if value else None

    def _lost_port_race(self) -> bool:
        if self.port_setting is None:
            return False
        return bool(_PORT_TAKEN.search("\n".join(self._run_lines())))

    def _move_to(self, port: int) -> None:
        old = self.port
        self.env[self.port_setting] = str(port)  # type: ignore[index]
        if self.ready_url is not None:
            self.ready_url = self.ready_url.replace(f":{old}/", f":{port}/", 1)

    # --- state ------------------------------------------------------------------------

    def pid(self) -> int | None:
        if self.child is not None and self.child.poll() is None:
            return self.child.pid
        if self.pid_file is None or self.marker is None:
            return None
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _is_running(pid, self.marker) else None

    @property
    def running(self) -> bool:
        return self.pid() is not None

    # --- stopping ---------------------------------------------------------------------

    def send_signal(self, sig: int) -> None:
        """Signal the process's group (a no-op if it is not running)."""
        pid = self.pid()
        if pid is not None:
            # It leads its own session, so its pid is the group id.
            _signal_group(pid, sig)

    def stop(self, timeout: float = 60.0, sig: int = signal.SIGTERM) -> bool:
        """Signal the process group, SIGKILL it after ``timeout``; False if not running.

        Returns once every process of the group is gone, not only the launcher: a
        server JVM still shutting down holds its port and data lock, and the next
        start would fail on them.
        """
        pid = self.pid()
        if pid is None:
            if self.pid_file is not None:
                self.pid_file.unlink(missing_ok=True)
            return False
        # The group id stays usable after the launcher itself has exited.
        pgid = pid
        _signal_group(pgid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._group_alive(pgid):
            time.sleep(0.1)
        if self._group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
            kill_deadline = time.monotonic() + 10
            while time.monotonic() < kill_deadline and self._group_alive(pgid):
                time.sleep(0.1)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no leaving the group - a crash."""
        self.stop(sig=signal.SIGKILL)

    def _group_alive(self, pgid: int) -> bool:
        if self.child is not None:
            self.child.poll()  # reap our own launcher, or it stays a zombie in the group
        return bool(_group_members(pgid))

    # --- logs -------------------------------------------------------------------------

    def _run_lines(self) -> list[str]:
        """The log lines of the current run: those after the last start header."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        starts = [n for n, ln in enumerate(lines) if ln.startswith(_RUN_HEADER)]
        return lines[starts[-1] + 1 :] if starts else lines

    def log_tail(self, lines: int = 12) -> str:
        """The first error lines and the last lines of the current run's log.

        A JVM that fails logs the cause and then pages of orderly shutdown; the
        cause is what a person needs to see.
        """
        if not self.log_file.exists():
            return "(no log written)"
        run = self._run_lines()
        if not run:
            return "(nothing logged by this run)"
        errors = [ln for ln in run if _ERROR_LINE.search(ln)][:5]
        parts = ["first errors:", *errors] if errors else []
        return "\n".join([*parts, "last lines:", *run[-lines:]])

    def tail(self, chars: int = 4000) -> str:
        """The end of the whole log, across runs (for a failing test's message)."""
        return self.log_file.read_text(errors="replace")[-chars:] if self.log_file.exists() else ""


def _proc_state(pid: int) -> tuple[str, int] | None:
    """(state, process group) from /proc/<pid>/stat; None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name in parentheses may itself contain spaces or parentheses.
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[2])


def _cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _is_running(pid: int, marker: str) -> bool:
    deadline = time.monotonic() + _EXEC_GRACE
    while True:
        state = _proc_state(pid)
        # A zombie (exited, not yet reaped by a parent still running) is not running.
        if state is None or state[0] == "Z":
            return False
        cmdline = _cmdline(pid)
        if cmdline is None:
            return False
        if cmdline:
            return marker in cmdline
        # Empty: the process is inside execve (the kernel has swapped in the new image
        # but not yet its arguments), e.g. bin/elasticsearch exec-ing java. Look again
        # rather than call a starting server dead.
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        state = _proc_state(int(entry.name))
        if state is not None and state[1] == pgid and state[0] != "Z":
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
