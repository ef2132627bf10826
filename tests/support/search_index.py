"""Six routed events across platforms, languages and intents, and how to put them
in (and take them out of) a test's own Elasticsearch index."""

import asyncio
from datetime import UTC, datetime, timedelta

from socialcare import elastic
from socialcare.index.indexer import Indexer
from socialcare.schema import RoutedEvent
from socialcare.search.settings import SearchSettings
from socialcare_dev.isolation import drop_indices

# Two days ago at 09:00 UTC, not a fixed date: every deadline (T0 + n hours + 30 min)
# has passed whenever the tests run, and all six messages fall on one calendar day
# (the stats test counts per day).
T0 = (datetime.now(UTC) - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
AGENT = {"X-API-Key": "agent-key-0123456789"}
ADMIN = {"X-API-Key": "admin-key-0123456789"}

# (n, platform, author, conversation, language, intent, sentiment, kind, direction, text, vector)
ROWS = [
    (
        1,
        "twitter",
        "u-anna",
        "c-1",
        "en",
        "defect",
        "negative",
        "mention",
        "inbound",
        "My blender motor burns after a week",
        [1.0, 0.0, 0.0, 0.0],
    ),
    (
        2,
        "twitter",
        "brand",
        "c-1",
        "en",
        "other",
        "neutral",
        "reply",
        "outbound",
        "Sorry Anna, we are sending a new motor",
        [0.0, 0.0, 0.0, 1.0],
    ),
    (
        3,
        "facebook",
        "u-lukas",
        "c-2",
        "de",
        "shipping",
        "negative",
        "comment",
        "inbound",
        "Wo ist mein Paket? Seit Tagen keine Sendungsverfolgung",
        [0.0, 1.0, 0.0, 0.0],
    ),
    (
        4,
        "instagram",
        "u-marie",
        "c-3",
        "fr",
        "praise",
        "positive",
        "comment",
        "inbound",
        "Merci pour la livraison rapide !",
        [0.0, 0.2, 1.0, 0.0],
    ),
    (
        5,
        "whatsapp",
        "u-anna",
        "c-4",
        "en",
        "defect",
        "negative",
        "dm",
        "inbound",
        "The blender motor smells burnt again",
        [0.95, 0.05, 0.0, 0.0],
    ),
    (
        6,
        "telegram",
        "u-sara",
        "c-5",
        "fa",
        "order_issue",
        "negative",
        "dm",
        "inbound",
        "سفارش من اشتباه ارسال شده",
        [0.1, 0.0, 0.0, 0.9],
    ),
]


def routed(row, minutes_late=None) -> RoutedEvent:
    n, platform, author, conv, lang, intent, sentiment, kind, direction, text, vector = row
    created = T0 + timedelta(hours=n)
    skill = {
        "defect": "tech_support",
        "order_issue": "orders",
        "shipping": "logistics",
        "praise": "engagement",
        "other": "general",
    }[intent]
    return RoutedEvent.model_validate(
        {
            "platform": platform,
            "platform_message_id": f"m{n}",
            "kind": kind,
            "direction": direction,
            "brand_account_id": "brand",
            "conversation_id": conv,
            "author": {"id": author, "handle": f"@{author}", "follower_count": 100 * n},
            "text": text,
            "created_at": created.isoformat(),
            "received_at": created.isoformat(),
            "classification": {
                "intent": intent,
                "intent_scores": {intent: 0.9},
                "sentiment": sentiment,
                "sentiment_scores": {sentiment: 0.9},
                "language": lang,
                "language_confidence": 0.99,
                "model_version": "test",
                "embedding": vector,
            },
            "routing": {
                "queue": f"support.queue.{lang}.{skill}",
                "language_queue": lang,
                "skill": skill,
                "priority": "P2" if sentiment == "negative" else "P4",
                # Message 1 is due 30 minutes after it was written; the reply (2)
                # comes an hour later: late. The others are long overdue, unanswered.
                "first_response_due_at": None
                if direction == "outbound"
                else (created + timedelta(minutes=30)).isoformat(),
                "rule": "test",
                "routed_at": created.isoformat(),
            },
        }
    )


EVENTS = [routed(row) for row in ROWS]


def drop_index(settings: SearchSettings) -> None:
    drop_indices(settings, settings.index_alias)


def index_events(settings: SearchSettings, events, acks_answer: bool = False) -> dict[str, str]:
    async def run() -> dict[str, str]:
        es = elastic.async_client(settings)
        try:
            indexer = Indexer(es, settings.index_alias, acks_answer=acks_answer)
            rejected = await indexer.index(list(events))
            await es.indices.refresh(index=settings.index_alias)
            return rejected
        finally:
            await es.close()

    return asyncio.run(run())
