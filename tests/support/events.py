"""Valid pipeline events as JSON-ready data: a raw event and the parts that the
classifier and the router add to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CLASSIFICATION = {
    "intent": "shipping",
    "intent_scores": {"shipping": 0.9, "other": 0.1},
    "sentiment": "negative",
    "sentiment_scores": {"negative": 0.8, "neutral": 0.2},
    "language": "en",
    "language_confidence": 0.97,
    "model_version": "test-1",
    "embedding": [0.1, 0.2],
}
ROUTING = {
    "queue": "support.queue.en.logistics",
    "language_queue": "en",
    "skill": "logistics",
    "priority": "P2",
    "first_response_due_at": "2026-11-23T10:00:00Z",
    "rule": "public-complaint",
    "routed_at": "2026-11-23T09:00:03Z",
}


def event_data(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid raw event as JSON-ready data; ``n`` varies ids and text."""
    data: dict[str, Any] = {
        "platform": "twitter",
        "platform_message_id": f"17900000000000{n:05d}",
        "kind": "mention",
        "direction": "inbound",
        "brand_account_id": "brand-1",
        "conversation_id": f"twitter:conv-{n % 3}",
        "author": {"id": f"u{n}", "handle": f"user{n}", "follower_count": 10 * n},
        "text": f"My order {n} never arrived 📦",
        "attachments": [],
        "created_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC).isoformat(),
        "received_at": datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC).isoformat(),
    }
    data.update(overrides)
    return data
