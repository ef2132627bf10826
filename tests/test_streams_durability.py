"""At-least-once delivery of `socialcare.streams`, proven by killing a worker.

A worker of the test's own (tests/support/durable_app.py) copies records from a fresh
one-partition topic to another with `process_durably` or `process_batches`. It is
SIGKILLed (a) after handling a record but before its output is acknowledged, (b)
after the output is acknowledged but before the input's offset is committed, and (c)
after the commit. The consumer group's committed offset and the output topic then
show that nothing committed lacks its output, nothing is lost after a restart, and
only records past the committed offset are handled again (duplicates of those are
allowed: consumers drop them by event id).
"""

from __future__ import annotations

import collections
import sys
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from socialcare import kafka
from socialcare.schema import Event
from socialcare.topics import TopicSpec
from socialcare_dev.process import ManagedProcess
from tests.support.paths import REPO

pytestmark = pytest.mark.integration

FIRST, TOTAL = 8, 16  # records before the crash run, and in all
DIE_OFFSET = 12  # the record around whose output the crash run dies


class Run:
    """One test's topics, consumer group and worker processes."""

    def __init__(self, settings, tmp_path: Path, loop: str) -> None:
        self.settings, self.tmp_path, self.loop = settings, tmp_path, loop
        run = uuid.uuid4().hex[:10]
        self.source, self.output = f"test.durable.in.{run}", f"test.durable.out.{run}"
        self.dlq, self.group = f"test.durable.dlq.{run}", f"test-durable-{run}"
        specs = [TopicSpec(name, 1, Event, "test") for name in (self.source, self.output, self.dlq)]
        kafka.ensure_topics(settings, specs)
        self.starts = 0

    def start(self, die_at: str = "") -> tuple[ManagedProcess, Path]:
        """A worker, and the file it lists the offsets it handles in."""
        self.starts += 1
        handled = self.tmp_path / f"handled-{self.starts}.txt"
        worker = ManagedProcess(
            f"durable worker {self.starts}",
            self.tmp_path / f"worker-{self.starts}.log",
            command=[sys.executable, str(REPO / "tests" / "support" / "durable_app.py")],
            cwd=self.tmp_path,
            env={
                "SOCIALCARE_WORKER_DATA_DIR": str(self.tmp_path / "data"),
                "DURABLE_APP_ID": self.group,
                "DURABLE_SOURCE": self.source,
                "DURABLE_OUTPUT": self.output,
                "DURABLE_DLQ": self.dlq,
                "DURABLE_LOOP": self.loop,
                "DURABLE_HANDLED": str(handled),
                "DURABLE_DIE_AT": die_at,
                "DURABLE_DIE_OFFSET": str(DIE_OFFSET),
            },
        )
        worker.spawn()
        return worker, handled

    def produce(self, numbers: range) -> None:
        producer = kafka.producer(self.settings)
        for n in numbers:
            producer.send(self.source, key=f"rec-{n:04d}".encode(), value=f"rec-{n:04d}".encode())
        producer.flush(timeout=30)
        producer.close()

    def committed(self) -> int:
        consumer = kafka.consumer(self.settings, group_id=self.group, enable_auto_commit=False)
        try:
            return consumer.committed(TopicPartition(self.source, 0)) or 0
        finally:
            consumer.close()

    def wait_committed(self, offset: int, worker: ManagedProcess, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while (found := self.committed()) < offset:
            assert worker.running, f"the worker died:\n{worker.tail()}"
            assert time.monotonic() < deadline, f"committed {found}, not {offset}:\n{worker.tail()}"
            time.sleep(0.3)

    def outputs(self) -> collections.Counter[int]:
        """How many times each input record's output is on the output topic."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, enable_auto_commit=False
        )
        tp = TopicPartition(self.output, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        counts: collections.Counter[int] = collections.Counter()
        while consumer.position(tp) < end:
            for records in consumer.poll(timeout_ms=500).values():
                counts.update(int(r.value.decode().removeprefix("rec-")) for r in records)
        consumer.close()
        return counts


def wait_dead(worker: ManagedProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while worker.running:
        assert time.monotonic() < deadline, f"the worker did not die:\n{worker.tail()}"
        time.sleep(0.2)
    assert worker.child is not None and worker.child.wait() == -9, worker.tail()


def offsets(handled: Path) -> list[int]:
    return [int(line) for line in handled.read_text().split()] if handled.exists() else []


@pytest.mark.parametrize("loop", ["durably", "batches"])
@pytest.mark.parametrize("die_at", ["before_ack", "after_ack"])
def test_a_killed_worker_loses_nothing_and_redoes_only_what_was_not_committed(
    stack, settings, tmp_path, loop, die_at
):
    run = Run(settings, tmp_path, loop)

    # (c) Killed after the commit: the restarted worker starts after the committed records.
    run.produce(range(FIRST))
    worker, _ = run.start()
    run.wait_committed(FIRST, worker)
    worker.kill()
    assert run.committed() == FIRST

    # (a) or (b): killed around the output of record DIE_OFFSET.
    worker, crash_handled = run.start(die_at)
    run.produce(range(FIRST, TOTAL))
    wait_dead(worker)
    assert offsets(crash_handled)[0] == FIRST, "records committed before were redelivered"
    committed, outputs = run.committed(), run.outputs()
    # Nothing is committed without its output: record DIE_OFFSET was never acked.
    assert FIRST <= committed <= DIE_OFFSET
    assert all(outputs[n] == 1 for n in range(committed))
    assert (DIE_OFFSET in outputs) == (die_at == "after_ack")

    # The restart handles exactly the records past the committed offset, and all of them.
    worker, redo_handled = run.start()
    try:
        run.wait_committed(TOTAL, worker)
    finally:
        worker.stop(timeout=30)
    assert offsets(redo_handled) == list(range(committed, TOTAL))
    outputs = run.outputs()
    assert set(outputs) == set(range(TOTAL)), "an input record has no output"
    assert all(outputs[n] == 1 for n in range(committed)), "a committed record was redone"
    assert all(outputs[n] <= 2 for n in range(committed, TOTAL))
