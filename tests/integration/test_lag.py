import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from socialcare import kafka
from socialcare.lag import CONSUMER_LAG, LagProbe
from socialcare.schema import Event
from socialcare.topics import TopicSpec

pytestmark = pytest.mark.integration


def test_lag_is_end_offset_minus_committed_offset_per_partition(stack, settings):
    spec = TopicSpec(f"test.lag.{uuid.uuid4().hex}", 2, Event, "test")
    kafka.ensure_topics(settings, [spec])
    producer = kafka.producer(settings)
    for n in range(10):
        producer.send(spec.name, value=b"x", partition=n % 2)
    producer.flush(timeout=30)
    producer.close()
    group = f"test-lag-{uuid.uuid4().hex}"
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    # The group has handled 2 of partition 0's 5 records and all of partition 1's.
    consumer.commit(
        {
            TopicPartition(spec.name, 0): OffsetAndMetadata(2, "", -1),
            TopicPartition(spec.name, 1): OffsetAndMetadata(5, "", -1),
        }
    )
    consumer.close()

    probe = LagProbe(settings, group=group, service="test")
    try:
        lag = probe.measure({spec.name})
    finally:
        probe.close()
    assert lag == {TopicPartition(spec.name, 0): 3, TopicPartition(spec.name, 1): 0}
    gauge = CONSUMER_LAG.labels("test", group, spec.name, "0")
    assert gauge._value.get() == 3


def test_a_failed_measurement_drops_the_admin_client_so_the_next_one_reconnects(settings):
    probe = LagProbe(settings, group="g", service="test")

    class Broken:
        def list_group_offsets(self, *_):
            raise RuntimeError("NodeNotReadyError")

        def close(self):
            pass

    probe._admin = Broken()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        probe.measure({"t"})
    assert probe._admin is None
