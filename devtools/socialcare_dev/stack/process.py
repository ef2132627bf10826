"""A long-running server process tracked by a pid file, started in its own session.

The process outlives the command that started it (``stack up`` returns while the
servers keep running) and is stopped by signalling its whole process group, which
also reaches the child JVM that Elasticsearch's launcher forks.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from socialcare_dev.stack.errors import StackError

_ERROR_LINE = re.compile(r"\bERROR\b|\bFATAL\b|Exception: ")
# Written to the (appended) log before each start, so an error shows only the lines
# of the run that failed, never the previous run's shutdown.
_RUN_HEADER = "==== socialcare stack: starting "
# How long a live process may show an empty command line (it is inside execve).
_EXEC_GRACE = 1.0


@dataclass
class ManagedProcess:
    name: str
    pid_file: Path
    log_file: Path
    # A string the process's command line must contain, so a recycled pid of an
    # unrelated process is never taken for (or killed as) our server.
    marker: str
    # The process this object started, if any: while it is our unreaped child its pid
    # cannot be recycled, so its liveness needs no pid file and no command line.
    _child: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def pid(self) -> int | None:
        if self._child is not None and self._child.poll() is None:
            return self._child.pid
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _is_running(pid, self.marker) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(
        self,
        cmd: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        user: str | None = None,
    ) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            header = f"{_RUN_HEADER}{self.name} at {datetime.now(UTC).isoformat()} ====\n"
            log.write(header.encode())
            log.flush()
            self._child = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=user,
                extra_groups=[] if user else None,
            )
        # Atomically: a reader (`stack status`) never sees a half-written pid file.
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(str(self._child.pid))
        tmp.replace(self.pid_file)
        return self._child.pid

    def wait_ready(self, check: Callable[[], bool], timeout: float) -> float:
        """Poll ``check`` until it is true; fail at once if the process dies."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.is_running():
                raise StackError(
                    f"{self.name} exited while starting; see {self.log_file}\n{self.log_tail()}"
                )
            if check():
                return time.monotonic() - started
            time.sleep(0.5)
        raise StackError(
            f"{self.name} was not ready within {timeout:.0f} s; see {self.log_file}\n"
            f"{self.log_tail()}"
        )

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM the process group, SIGKILL it after ``timeout``; False if not running.

        Returns once every process of the group is gone, not only the launcher: a
        server JVM still shutting down holds its port and data lock, and the next
        start would fail on them.
        """
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        # The launcher leads its own session, so its pid is the group id (and stays
        # usable after the launcher itself has exited).
        pgid = pid
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._group_alive(pgid):
            time.sleep(0.3)
        if self._group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
            kill_deadline = time.monotonic() + 10
            while time.monotonic() < kill_deadline and self._group_alive(pgid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _group_alive(self, pgid: int) -> bool:
        if self._child is not None:
            self._child.poll()  # reap our own launcher, or it stays a zombie in the group
        return bool(_group_members(pgid))

    def log_tail(self, lines: int = 12) -> str:
        """The first error lines and the last lines of the current run's log.

        A JVM that fails logs the cause and then pages of orderly shutdown; the
        cause is what a person needs to see. The log is appended to across runs;
        only the lines after the last start header belong to this run.
        """
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        all_lines = text.splitlines()
        starts = [n for n, ln in enumerate(all_lines) if ln.startswith(_RUN_HEADER)]
        if starts:
            all_lines = all_lines[starts[-1] + 1 :]
        if not all_lines:
            return "(nothing logged by this run)"
        errors = [ln for ln in all_lines if _ERROR_LINE.search(ln)][:5]
        parts = []
        if errors:
            parts += ["first errors:", *errors]
        parts += ["last lines:", *all_lines[-lines:]]
        return "\n".join(parts)


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


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
