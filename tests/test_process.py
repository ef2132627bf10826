import subprocess
import sys

import pytest

from socialcare.stack.errors import StackError
from socialcare.stack.process import ManagedProcess


def _process(tmp_path, marker="sleep-marker"):
    return ManagedProcess(
        name="sleeper",
        pid_file=tmp_path / "p.pid",
        log_file=tmp_path / "logs" / "p.log",
        marker=marker,
    )


def test_start_status_and_stop_of_a_process_group(tmp_path):
    proc = _process(tmp_path)
    code = "import time,sys; print('sleep-marker up', flush=True); time.sleep(60)"
    pid = proc.start([sys.executable, "-c", code, "sleep-marker"], cwd=tmp_path, env={})
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
    proc.start([sys.executable, "-c", code, "sleep-marker"], cwd=tmp_path, env={})
    with pytest.raises(StackError) as failure:
        proc.wait_ready(lambda: False, timeout=10)
    assert "exited while starting" in str(failure.value)
    assert str(proc.log_file) in str(failure.value)
    assert "address in use" in str(failure.value)
