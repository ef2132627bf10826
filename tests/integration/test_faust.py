import os
import signal
import subprocess
import sys
import uuid

import pytest
from kafka import KafkaConsumer

from socialcare import kafka
from socialcare.schema import Event
from socialcare.topics import TopicSpec
from tests.support.events import event_data
from tests.support.paths import REPO

pytestmark = pytest.mark.integration


def test_a_faust_agent_consumes_and_produces_through_the_real_broker(stack, settings, tmp_path):
    run = uuid.uuid4().hex[:10]
    source = TopicSpec(f"test.faust.in.{run}", 3, Event, "test")
    sink = TopicSpec(f"test.faust.out.{run}", 3, Event, "test")
    kafka.ensure_topics(settings, [source, sink])

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, str(REPO / "tests/support/echo_app.py"), "worker", "-l", "info"],
        cwd=tmp_path,  # faust writes its data directory into the working directory
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ECHO_APP_ID": f"test-echo-{run}",
            "ECHO_SOURCE": source.name,
            "ECHO_SINK": sink.name,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        sent = [Event.model_validate(event_data(n, text=f"parcel {n} lost")) for n in range(20)]
        producer = kafka.producer(settings)
        for event in sent:
            producer.send(source.name, key=event.key, value=event.to_bytes())
        producer.flush(timeout=30)
        producer.close()

        consumer = KafkaConsumer(
            sink.name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"test-{run}",
            auto_offset_reset="earliest",
            consumer_timeout_ms=90_000,
        )
        received = {}
        for record in consumer:
            event = Event.model_validate_json(record.value)
            received[event.event_id] = event
            if len(received) == len(sent):
                break
        consumer.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()

    assert set(received) == {e.event_id for e in sent}, (tmp_path / "worker.log").read_text()[
        -3000:
    ]
    assert all(received[e.event_id].text == e.text.upper() for e in sent)
