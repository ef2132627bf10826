"""Classified events for the routing rules' tests, at a fixed moment, with the
shipped default rules."""

from datetime import UTC, datetime

from socialcare.route.config import load_config
from socialcare.schema import ClassifiedEvent
from tests.support.events import event_data

CONFIG = load_config()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def classified(
    n=1,
    intent="shipping",
    score=0.9,
    sentiment="neutral",
    language="en",
    kind="dm",
    text="Where is my parcel?",
    followers=10,
    created=NOW,
    direction="inbound",
    platform="twitter",
):
    return ClassifiedEvent.model_validate(
        event_data(
            n,
            platform=platform,
            kind=kind,
            direction=direction,
            text=text,
            author={"id": "u1", "follower_count": followers},
            conversation_id="conv-1",
            created_at=created.isoformat(),
            classification={
                "intent": intent,
                "intent_scores": {intent: score},
                "sentiment": sentiment,
                "sentiment_scores": {sentiment: 0.9},
                "language": language,
                "language_confidence": 0.99,
                "model_version": "test",
            },
        )
    )
