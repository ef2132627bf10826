"""The classify worker as a process on the real Kafka, with a tiny trained model."""

import uuid

import pytest

from services.classify.train import TrainConfig, train
from services.pipeline import ServiceProcess, free_port
from socialcare import kafka
from socialcare.schema import ClassifiedEvent, DeadLetter, Event
from socialcare.topics import CLASSIFIED, DLQ, RAW
from tests.conftest import event_data
from tests.support.kafka_tail import TopicTail
from tests.support.pipeline import fresh_group

pytestmark = pytest.mark.integration


def test_raw_events_come_out_classified_and_poison_goes_to_the_dlq(
    stack, settings, tiny_base, tiny_corpus, tmp_path
):
    model = tmp_path / "model"
    train(TrainConfig(base=tiny_base, out=model, corpus=tiny_corpus, max_steps=2))
    run = uuid.uuid4().hex[:8]
    events = [
        Event.model_validate(
            event_data(n, platform_message_id=f"{run}-{n}", conversation_id=f"c-{run}", text=text)
        )
        for n, text in enumerate(
            [
                "Тапсырысым әлі келген жоқ, қашан жеткізесіздер?",
                "Where is my parcel? Tracking stuck for a week",
                "😡😡",
            ]
        )
    ]
    poison = f'{{"platform": "{run}"'.encode()
    port = free_port()
    worker = ServiceProcess(
        ["classify", "worker"],
        env={
            "SOCIALCARE_MODEL_DIR": str(model),
            "SOCIALCARE_CLASSIFY_APP_ID": fresh_group(settings, "socialcare-classify-it", RAW.name),
            "SOCIALCARE_CLASSIFY_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(tmp_path / "data"),
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=tmp_path / "worker.log",
    )
    tail = TopicTail(settings, CLASSIFIED.name, DLQ.name)
    worker.start()
    try:
        producer = kafka.producer(settings)
        for event in events:
            producer.send(RAW.name, key=event.key, value=event.to_bytes())
        producer.send(RAW.name, key=f"c-{run}".encode(), value=poison)
        producer.flush(timeout=30)
        producer.close()
        records = tail.read(expect=4, match=lambda r: r.key == f"c-{run}".encode())
    finally:
        worker.stop()
        tail.close()
    classified = {
        e.event_id: e
        for e in (
            ClassifiedEvent.model_validate_json(r.value)
            for r in records
            if r.topic == CLASSIFIED.name
        )
    }
    assert set(classified) == {e.event_id for e in events}, worker.tail()
    kazakh = classified[events[0].event_id].classification
    assert kazakh.language == "kk"
    assert len(kazakh.embedding) == 16
    assert kazakh.model_version == (model / "VERSION").read_text().strip()
    assert classified[events[2].event_id].classification.language == "und"
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == DLQ.name]
    assert [(d.service, d.original_value()) for d in letters] == [("classify", poison)]
