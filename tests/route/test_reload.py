"""Reloading the rules of a running route worker with SIGHUP."""

import signal
import time
import uuid

import pytest

from socialcare.route.config import DEFAULT_CONFIG
from socialcare.schema import RoutedEvent
from socialcare.topics import ROUTED
from tests.support.classified_stream import classified, publish, routed_by_id
from tests.support.kafka_tail import TopicTail
from tests.support.route_worker import route_worker

pytestmark = pytest.mark.integration


def wait_for_log(worker, text, timeout=60.0):
    deadline = time.monotonic() + timeout
    while text not in worker.tail(1_000_000):
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{worker.tail()}"
        time.sleep(0.2)


def test_sighup_reloads_the_rules_without_losing_events(stack, settings, tmp_path):
    rules = tmp_path / "routing.yaml"
    rules.write_text(DEFAULT_CONFIG.read_text())
    worker, _ = route_worker(settings, tmp_path, "reload", SOCIALCARE_ROUTING_CONFIG=str(rules))
    worker.start()
    run = uuid.uuid4().hex[:8]
    tail = TopicTail(settings, ROUTED.name)
    try:
        before = classified(f"before-{run}", 1, intent="praise")
        publish(settings, (before.key, before.to_bytes()))
        assert routed_by_id(tail, 1, before.conversation_id)
        # An invalid edit is rejected and the old rules keep routing.
        rules.write_text("version: 1\nlanguages: {staffed: [en]}\n")
        worker.send_signal(signal.SIGHUP)
        wait_for_log(worker, "route.reload_rejected")
        rules.write_text(DEFAULT_CONFIG.read_text().replace("praise: engagement", "praise: social"))
        worker.send_signal(signal.SIGHUP)
        wait_for_log(worker, "route.reloaded")  # its queue topic exists from here on
        # Only a worker with the new rules writes to the new queue (other route workers
        # on the shared topics route the same event with the shipped rules).
        queue = TopicTail(settings, "support.queue.en.social")
        try:
            after = classified(f"after-{run}", 1, intent="praise")
            publish(settings, (after.key, after.to_bytes()))
            queued = queue.read(expect=1, match=lambda r: r.key == after.key)
        finally:
            queue.close()
    finally:
        tail.close()
        worker.stop()
    assert [RoutedEvent.model_validate_json(r.value).event_id for r in queued] == [after.event_id]
    log = worker.tail(200_000)
    assert "route.reload_rejected" in log
    assert "route.reloaded" in log
