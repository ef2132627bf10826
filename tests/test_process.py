import subprocess
import sys
import time
from pathlib import Path

import pytest

from socialcare_dev.process import ManagedProcess, ProcessError, free_port, require_free_ports


def _process(tmp_path, marker="sleep-marker"):
    return ManagedProcess(
        "sleeper",
        tmp_path / "logs" / "p.log",
        cwd=tmp_path,
        pid_file=tmp_path / "p.pid",
        marker=marker,
    )


def _start(proc: ManagedProcess, *command: str) -> int:
    proc.command = [sys.executable, *command]
    return proc.spawn()


def test_start_status_and_stop_of_a_process_group(tmp_path):
    proc = _process(tmp_path)
    code = "import time,sys; print('sleep-marker up', flush=True); time.sleep(60)"
    pid = _start(proc, "-c", code, "sleep-marker")
    assert proc.pid() == pid
    assert proc.stop(timeout=5) is True
    assert proc.pid() is None
    assert not proc.pid_file.exists()
    assert proc.stop() is False


def test_a_recycled_pid_of_another_program_is_not_ours(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        proc = _process(tmp_path)
        proc.pid_file.write_text(str(other.pid))
        assert proc.pid() is None
        assert proc.stop() is False
        assert other.poll() is None  # never signalled
    finally:
        other.kill()
        other.wait()


def test_wait_ready_reports_the_log_when_the_process_dies(tmp_path):
    proc = _process(tmp_path)
    code = "import sys; print('bind failed: address in use'); sys.exit(1)"
    _start(proc, "-c", code, "sleep-marker")
    with pytest.raises(ProcessError) as failure:
        proc.wait_ready(10, lambda: False)
    assert "exited while starting" in str(failure.value)
    assert str(proc.log_file) in str(failure.value)
    assert "address in use" in str(failure.value)


def test_a_launcher_still_inside_exec_is_not_called_dead(tmp_path):
    # bin/elasticsearch is a bash script that execs java: while the kernel swaps the
    # image its command line is empty, then shows the marker. This launcher shows no
    # marker for a second, then execs into a program that does (deterministically
    # the state the exec race leaves for a moment), and the server is ready after.
    proc = _process(tmp_path)
    ready = tmp_path / "ready"
    server = f"import pathlib,time; pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    launcher = (
        "import os,sys,time; time.sleep(1); "
        # The marker is assembled at run time: the launcher's own command line lacks it.
        f"os.execv(sys.executable, [sys.executable, '-c', {server!r}, 'sleep-' + 'marker'])"
    )
    _start(proc, "-c", launcher)
    try:
        assert proc.wait_ready(30, ready.exists) >= 1
        assert proc.running
    finally:
        proc.stop(timeout=5)


def test_an_empty_command_line_of_a_live_process_is_looked_at_again(tmp_path, monkeypatch):
    from socialcare_dev import process

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "mark-x"])
    try:
        real, calls = process._cmdline, []

        def mid_exec(pid):
            calls.append(pid)
            return "" if len(calls) < 3 else real(pid)

        monkeypatch.setattr(process, "_cmdline", mid_exec)
        assert process._is_running(sleeper.pid, "mark-x")
        assert len(calls) == 3
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_error_shows_only_this_runs_log_lines(tmp_path):
    proc = _process(tmp_path)
    proc.log_file.parent.mkdir(parents=True)
    proc.log_file.write_text(
        "[2026-12-01] ERROR fatal exception while booting\n"
        "ERROR: Elasticsearch exited unexpectedly, with exit code 143\n"
    )
    code = "import sys; print('bind failed: address in use'); sys.exit(1)"
    _start(proc, "-c", code, "sleep-marker")
    with pytest.raises(ProcessError) as failure:
        proc.wait_ready(10, lambda: False)
    message = str(failure.value)
    assert "address in use" in message
    assert "143" not in message and "while booting" not in message
    assert "exit code 143" in proc.log_file.read_text()  # the log itself keeps both


def test_stop_returns_when_the_whole_group_is_gone(tmp_path):
    # Elasticsearch's launcher forks the server JVM; the launcher may exit on SIGTERM
    # before the server has finished shutting down (and released port and data lock).
    proc = _process(tmp_path)
    marker = tmp_path / "server-pid"
    server = (
        "import os,pathlib,signal,sys,time; "
        "signal.signal(signal.SIGTERM, lambda *_: (time.sleep(2), sys.exit(0))); "
        f"pathlib.Path({str(marker)!r}).write_text(str(os.getpid())); time.sleep(60)"
    )
    launcher = (
        "import subprocess,sys,time; "
        f"subprocess.Popen([sys.executable, '-c', {server!r}]); time.sleep(60)"
    )
    _start(proc, "-c", launcher, "sleep-marker")
    proc.wait_ready(30, marker.exists)
    time.sleep(0.3)  # the server's SIGTERM handler is installed before its pid file
    server_pid = int(marker.read_text())
    assert proc.stop(timeout=10) is True
    state = Path(f"/proc/{server_pid}/stat")
    assert not state.exists() or state.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_the_environment_is_this_processs_with_the_overlay(monkeypatch):
    from socialcare_dev.process import environment

    monkeypatch.setenv("KEPT", "1")
    monkeypatch.setenv("DROPPED", "1")
    env = environment({"DROPPED": None, "ADDED": "2"})
    assert env["KEPT"] == "1" and env["ADDED"] == "2" and "DROPPED" not in env


def test_a_server_is_not_started_on_a_port_something_else_listens_on():
    import socket

    port = free_port()
    require_free_ports("node", "127.0.0.1", [port])  # nobody there: no error
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        # A stranger answering there would pass for the node that failed to bind.
        with pytest.raises(ProcessError, match=f"port {port} .* already in use"):
            require_free_ports("node", "127.0.0.1", [port])
