import socket

import pytest

from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack, StackError
from socialcare_dev.stack.kafka_server import KafkaServer

pytestmark = pytest.mark.integration


def test_all_servers_report_ready(stack):
    statuses = stack.status()
    assert [s.name for s in statuses] == ["kafka", "elasticsearch"]
    assert all(s.ready and s.pid for s in statuses)


def test_a_second_up_is_a_no_op(stack):
    pids = [s.pid for s in stack.status()]
    assert LocalStack(stack.settings, say=lambda _: None).up() == {}
    assert [s.pid for s in stack.status()] == pids


def test_a_broker_that_cannot_start_fails_fast_with_its_log(stack, settings, tmp_path):
    # Same jars, own directory, and a port that is already taken: the JVM exits. Bound
    # but not listening, so the stack's own check (nothing answers there) lets the JVM
    # try, and its bind fails (this socket did not set SO_REUSEADDR).
    (tmp_path / "downloads").symlink_to(settings.stack_dir.resolve() / "downloads")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        broken = KafkaServer(
            StackSettings(
                stack_dir=tmp_path,
                kafka_bootstrap_servers=f"127.0.0.1:{port}",
                stack_start_timeout=120,
            )
        )
        broken.start_process(say=lambda _: None)
        with pytest.raises(StackError) as failure:
            broken.wait_ready()
    message = str(failure.value)
    assert "Kafka exited while starting" in message
    assert str(broken.process.log_file) in message
    assert "Address already in use" in message or "BindException" in message
