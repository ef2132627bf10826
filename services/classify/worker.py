"""The classify worker: social.events.raw -> social.events.classified.

Events are taken in micro-batches (size and wait bound) so the model sees several
texts at once, sorted by length; the batch is acknowledged - its offsets committed -
only after Kafka acknowledged every classified event and dead letter of it. The model
and the language detector see at most ``classify_max_text_chars`` of each text, a text
seen recently (a retweet, a copy-paste campaign) is taken from a bounded cache
(`socialcare.classify.repeats`) instead of being classified again, and a
batch gets ``classify_batch_budget_seconds``: a record that fails or overruns it on
its own goes to the DLQ and the stream goes on (`socialcare.streams.run_batch`).
"""

from __future__ import annotations

import asyncio

import faust
from faust.types import EventT
from pydantic import ValidationError

from socialcare import kafka
from socialcare.classify.language import LanguageIdentifier
from socialcare.classify.predict import Predictor
from socialcare.classify.repeats import RepeatCache, repeat_key
from socialcare.classify.settings import ClassifySettings
from socialcare.metrics import EVENTS, STAGE_SECONDS
from socialcare.offsets import offset_guard
from socialcare.schema import ClassifiedEvent, Event
from socialcare.streams import (
    Outgoing,
    bytes_topic,
    dead_letter,
    dlq_topic,
    process_batches,
)
from socialcare.topics import CLASSIFIED, RAW

SERVICE = "classify"


class EventClassifier:
    """The model and the language detector, loaded once: raw events in, classified
    events (and dead letters) out."""

    def __init__(self, settings: ClassifySettings) -> None:
        self.predictor = Predictor(
            settings.model_dir, settings.classify_backend, threads=settings.classify_threads
        )
        self.languages = LanguageIdentifier(
            max_chars=settings.classify_max_text_chars, languages=settings.classify_languages
        )
        self.max_chars = settings.classify_max_text_chars
        self.repeats = RepeatCache(settings.classify_repeat_cache_size)

    def classify(self, events: list[Event]) -> list[ClassifiedEvent]:
        # The model keeps 64 tokens anyway, but the tokenizer encodes the whole text.
        keys = [repeat_key(e.text[: self.max_chars]) for e in events]
        results = self.repeats.known(keys)
        fresh = [key for key in dict.fromkeys(keys) if key not in results]
        if fresh:
            with STAGE_SECONDS.labels(SERVICE, "model").time():
                predictions = self.predictor.predict(fresh)
            for key, prediction in zip(fresh, predictions, strict=True):
                results[key] = (prediction, self.languages.detect(key))
                self.repeats.put(key, *results[key])
        return [
            ClassifiedEvent.model_validate(
                {
                    **event.model_dump(),
                    "classification": results[key][0]
                    .classification(results[key][1], self.predictor.version)
                    .model_dump(),
                }
            )
            for event, key in zip(events, keys, strict=True)
        ]

    async def handle(
        self, batch: list[EventT], sink: faust.TopicT, dlq: faust.TopicT
    ) -> list[Outgoing]:
        outgoing, parsed = [], []
        for event in batch:
            try:
                parsed.append(Event.model_validate_json(event.message.value))
            except ValidationError as exc:
                outgoing.append(dead_letter(dlq, SERVICE, event, exc))
        if parsed:
            # The model runs in a thread: the event loop keeps heartbeating to Kafka.
            for c in await asyncio.to_thread(self.classify, parsed):
                outgoing.append(
                    Outgoing(sink, c.key, c.to_bytes(), {"event_id": c.event_id.encode()})
                )
        EVENTS.labels(SERVICE, RAW.name, "ok").inc(len(parsed))
        return outgoing


def create_worker(settings: ClassifySettings) -> faust.App:
    """The classify worker's faust app. The model is loaded here, at start-up, so a
    missing model fails the start (`ModelNotFound`), not the first event."""
    classifier = EventClassifier(settings)
    app = kafka.worker_app(
        settings.classify_app_id, settings, settings.classify_web_port, SERVICE, RAW.name
    )
    sink = bytes_topic(app, CLASSIFIED)
    dlq = dlq_topic(app)

    async def handle(batch: list[EventT]) -> list[Outgoing]:
        return await classifier.handle(batch, sink, dlq)

    @app.agent(bytes_topic(app, RAW))
    async def classify_events(stream: faust.StreamT) -> None:
        await process_batches(
            stream,
            handle,
            service=SERVICE,
            size=settings.classify_batch_size,
            within=settings.classify_batch_seconds,
            dlq=dlq,
            guard=offset_guard(app, settings),
            budget=settings.classify_batch_budget_seconds,
        )

    return app
