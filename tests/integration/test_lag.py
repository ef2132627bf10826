import time
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from socialcare import kafka
from socialcare.lag import CONSUMER_LAG, LagProbe
from socialcare.schema import Event
from socialcare.settings import Settings
from socialcare.topics import TopicSpec
from tests.support.own_broker import own_broker

pytestmark = pytest.mark.integration


def committed_lag(
    settings: Settings, partitions: int, records: int, committed: list[int]
) -> tuple[str, str]:
    """A topic with ``records`` per partition and a group that has committed
    ``committed[p]`` of partition p; returns (topic, group)."""
    spec = TopicSpec(f"test.lag.{uuid.uuid4().hex}", partitions, Event, "test")
    kafka.ensure_topics(settings, [spec])
    producer = kafka.producer(settings)
    for n in range(records * partitions):
        producer.send(spec.name, value=b"x", partition=n % partitions)
    producer.flush(timeout=30)
    producer.close()
    group = f"test-lag-{uuid.uuid4().hex}"
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    consumer.commit(
        {
            TopicPartition(spec.name, p): OffsetAndMetadata(offset, "", -1)
            for p, offset in enumerate(committed)
        }
    )
    consumer.close()
    return spec.name, group


def test_lag_is_end_offset_minus_committed_offset_per_partition(stack, settings):
    # The group has handled 2 of partition 0's 5 records and all of partition 1's.
    topic, group = committed_lag(settings, partitions=2, records=5, committed=[2, 5])
    probe = LagProbe(settings, group=group, service="test")
    try:
        lag = probe.measure({topic})
    finally:
        probe.close()
    assert lag == {TopicPartition(topic, 0): 3, TopicPartition(topic, 1): 0}
    gauge = CONSUMER_LAG.labels("test", group, topic, "0")
    assert gauge._value.get() == 3


def test_the_probe_fails_while_its_broker_is_down_and_recovers_after(stack, settings, tmp_path):
    # A broker of the test's own: stopping the shared stack's would break other tests.
    with own_broker(settings, tmp_path / "broker") as broker:
        own = Settings(kafka_bootstrap_servers=broker.address)
        topic, group = committed_lag(own, partitions=1, records=4, committed=[1])
        expected = {TopicPartition(topic, 0): 3}
        probe = LagProbe(own, group=group, service="test-recovery")
        try:
            assert probe.measure({topic}) == expected
            broker.process.stop()
            # No stale figure while the broker is away: the measurement fails.
            for _ in range(3):  # as the worker's timer does while the broker is away
                with pytest.raises(Exception):  # noqa: B017 - whatever kafka-python raises
                    probe.measure({topic})
                time.sleep(1)
            broker.start_process(lambda _: None)
            broker.wait_ready()
            # The same probe measures again (kafka-python's admin client once kept
            # failing with NodeNotReadyError for good after a broker restart).
            deadline = time.monotonic() + 60
            while True:
                try:
                    lag = probe.measure({topic})
                    break
                except Exception as exc:
                    assert time.monotonic() < deadline, f"the probe did not recover: {exc!r}"
                    time.sleep(1)
            assert lag == expected
        finally:
            probe.close()
