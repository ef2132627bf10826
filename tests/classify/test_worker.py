"""The classify worker as a process on the real Kafka, with a tiny trained model."""

import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from socialcare import kafka
from socialcare.classify.train import TrainConfig, train
from socialcare.schema import ClassifiedEvent, DeadLetter, Event
from socialcare.topics import CLASSIFIED, DLQ, RAW
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess, free_port
from tests.support.events import event_data
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_model(tiny_base, tiny_corpus, tmp_path_factory) -> Path:
    model = tmp_path_factory.mktemp("classifier") / "model"
    train(TrainConfig(base=tiny_base, out=model, corpus=tiny_corpus, max_steps=2))
    return model


def ours(model: Path, run: str):
    """Whether a record is of this test: its key, and if classified, by this model.

    Other pipelines may be running on the shared topics (other test sessions, a
    demo): their classify workers classify the same raw events with their own model,
    and their dead letters (of any stage) cannot be told apart from ours by the key."""
    version = (model / "VERSION").read_text().strip().encode()
    key = f"c-{run}".encode()
    return lambda r: r.key == key and (r.topic == DLQ.name or version in r.value)


def classify_worker(settings, model: Path, workdir: Path, **env: str) -> ServiceProcess:
    port = free_port()
    return ServiceProcess(
        ["classify", "worker"],
        env={
            "SOCIALCARE_MODEL_DIR": str(model),
            "SOCIALCARE_CLASSIFY_APP_ID": fresh_group(settings, "socialcare-classify-it", RAW.name),
            "SOCIALCARE_CLASSIFY_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(workdir / "data"),
            **env,
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=workdir / "worker.log",
    )


def test_raw_events_come_out_classified_and_poison_goes_to_the_dlq(
    stack, settings, tiny_model, tmp_path
):
    model = tiny_model
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
    worker = classify_worker(settings, model, tmp_path)
    tail = TopicTail(settings, CLASSIFIED.name, DLQ.name)
    worker.start()
    try:
        producer = kafka.producer(settings)
        for event in events:
            producer.send(RAW.name, key=event.key, value=event.to_bytes())
        producer.send(RAW.name, key=f"c-{run}".encode(), value=poison)
        producer.flush(timeout=30)
        producer.close()
        records = tail.read(expect=4, match=ours(model, run))
        missing = len(events) - sum(r.topic == CLASSIFIED.name for r in records)
        if missing > 0:  # others' dead letters of the poison came first
            records = tail.read(expect=len(records) + missing, match=ours(model, run))
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
    assert {d.original_value() for d in letters if d.service == "classify"} == {poison}


# Texts that made the former handle/e-mail regex backtrack for minutes (cubic in the
# length of a token), at the sizes a message may have (the schema allows 65,536).
PATHOLOGICAL = [
    "@" * 10_000,
    "a@" * 5_000,
    "." * 10_000,
    "#" * 10_000,
    "@" * 60_000,
    "a@" * 30_000,
    "x@" + "." * 60_000,
    "www." * 15_000,
]


class HealthProbe(threading.Thread):
    """Asks /healthz over and over, as a liveness probe would, and keeps each failure
    (no answer within ``timeout`` seconds, or not 200)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.url, self.timeout = url, timeout
        self.answers = 0
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                    if response.status == 200:
                        self.answers += 1
                    else:
                        self.failures.append(f"status {response.status}")
            except OSError as exc:
                self.failures.append(repr(exc))
            self.done.wait(0.2)


def test_pathological_texts_neither_stall_the_worker_nor_get_lost(
    stack, settings, tiny_model, tmp_path
):
    run = uuid.uuid4().hex[:8]
    normal = [
        "Where is my parcel? Tracking stuck for a week",
        "Тапсырысым әлі келген жоқ, қашан жеткізесіздер?",
        "You charged me twice for order 4411",
        "Thank you, the support team was amazing!",
    ]
    texts = [t for pair in zip(normal * 2, PATHOLOGICAL, strict=True) for t in pair]
    events = [
        Event.model_validate(
            event_data(n, platform_message_id=f"{run}-{n}", conversation_id=f"c-{run}", text=text)
        )
        for n, text in enumerate(texts)
    ]
    worker = classify_worker(settings, tiny_model, tmp_path)
    tail = TopicTail(settings, CLASSIFIED.name, DLQ.name)
    worker.start()
    probe = HealthProbe(worker.ready_url.replace("/readyz", "/healthz"))
    probe.start()
    try:
        started = time.monotonic()
        producer = kafka.producer(settings)
        for event in events:
            producer.send(RAW.name, key=event.key, value=event.to_bytes())
        producer.flush(timeout=30)
        producer.close()
        records = tail.read(expect=len(events), timeout=180, match=ours(tiny_model, run))
        took = time.monotonic() - started
    finally:
        probe.done.set()
        probe.join(timeout=15)
        worker.stop()
        tail.close()
    classified = {
        ClassifiedEvent.model_validate_json(r.value).event_id
        for r in records
        if r.topic == CLASSIFIED.name
    }
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == DLQ.name]
    # Other pipelines' later stages may dead-letter them too.
    letters = [d for d in letters if d.service == "classify"]
    dead = {Event.model_validate_json(d.original_value()).event_id: d for d in letters}
    assert all(d.error for d in dead.values())  # a dead letter says why
    # Nothing lost: each event came out once, classified or dead-lettered.
    assert classified | set(dead) == {e.event_id for e in events}, worker.tail()
    ours_classified = [r for r in records if r.topic == CLASSIFIED.name]
    assert len(ours_classified) == len(classified)  # none classified twice
    # The customers' messages around the pathological ones were classified.
    assert {e.event_id for e in events if e.text in normal} <= classified
    # The worker answered its liveness probe all along.
    assert probe.answers > 0 and probe.failures == [], (probe.failures, took)
