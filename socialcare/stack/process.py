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
from dataclasses import dataclass
from pathlib import Path

from socialcare.stack.errors import StackError

_ERROR_LINE = re.compile(r"\bERROR\b|\bFATAL\b|Exception: ")


@dataclass
class ManagedProcess:
    name: str
    pid_file: Path
    log_file: Path
    # A string the process's command line must contain, so a recycled pid of an
    # unrelated process is never taken for (or killed as) our server.
    marker: str

    def pid(self) -> int | None:
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
            proc = subprocess.Popen(
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
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

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
        """SIGTERM the process group, SIGKILL it after ``timeout``; False if not running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _is_running(pid, self.marker):
            time.sleep(0.3)
        if _is_running(pid, self.marker):
            _signal_group(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 12) -> str:
        """The first error lines and the last lines of the log.

        A JVM that fails logs the cause and then pages of orderly shutdown; the
        cause is what a person needs to see.
        """
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        all_lines = text.splitlines()
        errors = [ln for ln in all_lines if _ERROR_LINE.search(ln)][:5]
        parts = []
        if errors:
            parts += ["first errors:", *errors]
        parts += ["last lines:", *all_lines[-lines:]]
        return "\n".join(parts)


def _is_running(pid: int, marker: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # A zombie (exited, not yet reaped by a parent still running) is not running.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and marker in cmdline


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), sig)
