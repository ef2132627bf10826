"""Classified events of one conversation published to the real topic, and the
routed events read back by id (the route worker's tests)."""

from socialcare import kafka
from socialcare.schema import ClassifiedEvent, RoutedEvent
from socialcare.topics import CLASSIFIED
from tests.support.events import event_data


def classified(conversation, n, intent="shipping", score=0.9, language="en", **extra):
    return ClassifiedEvent.model_validate(
        event_data(
            n,
            platform_message_id=f"{conversation}-{n}",
            conversation_id=conversation,
            classification={
                "intent": intent,
                "intent_scores": {intent: score},
                "sentiment": "negative",
                "sentiment_scores": {"negative": 0.9},
                "language": language,
                "language_confidence": 0.95,
                "model_version": "test",
            },
            **extra,
        )
    )


def publish(settings, *records):
    producer = kafka.producer(settings)
    for key, value in records:
        producer.send(CLASSIFIED.name, key=key, value=value)
    producer.flush(timeout=30)
    producer.close()


def routed_by_id(tail, expect, *conversations):
    """Routed events of these conversations, by event id (other traffic skipped)."""
    keys = {c.encode() for c in conversations}
    records = tail.read(expect=expect, match=lambda r: r.key in keys)
    return {e.event_id: (r, e) for r in records if (e := RoutedEvent.model_validate_json(r.value))}
