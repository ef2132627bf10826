"""Bulk indexing of routed events: idempotent, patient with Elasticsearch, honest
about documents it refuses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from elasticsearch import AsyncElasticsearch, helpers
from elasticsearch.exceptions import ApiError, ConnectionError, TransportError

from services.search.documents import index_actions, is_reply
from socialcare.logging import get_logger
from socialcare.metrics import STAGE_SECONDS
from socialcare.schema import RoutedEvent

log = get_logger(__name__)

_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)


class IndexRejected(Exception):
    """Elasticsearch refused a document (a mapping error, say): retrying cannot help."""


class Indexer:
    def __init__(self, es: AsyncElasticsearch, alias: str) -> None:
        self.es = es
        self.alias = alias

    async def index(self, events: list[RoutedEvent]) -> dict[str, str]:
        """Index ``events``; returns event_id -> reason for each document refused.

        Returns only when every document is either stored or refused for good:
        while Elasticsearch is unreachable or overloaded this waits and retries,
        which holds the batch - and the Kafka offsets - back (back-pressure).
        """
        pending = {e.event_id: e for e in events}
        rejected: dict[str, str] = {}
        attempt = 0
        with STAGE_SECONDS.labels("index", "bulk").time():
            while pending:
                try:
                    failures = await self._bulk(list(pending.values()))
                except (ConnectionError, TransportError, ApiError) as exc:
                    failures = {event_id: (503, repr(exc)) for event_id in pending}
                retry: dict[str, RoutedEvent] = {}
                for event_id, (status, reason) in failures.items():
                    if status == 429 or status >= 500:
                        retry[event_id] = pending[event_id]
                    else:
                        rejected[event_id] = reason
                if retry:
                    delay = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
                    log.warning(
                        "index.retry",
                        documents=len(retry),
                        retry_in=delay,
                        reason=next(iter(failures.values()))[1][:300],
                    )
                    await asyncio.sleep(delay)
                    attempt += 1
                pending = retry
        replies = [e for e in events if is_reply(e) and e.event_id not in rejected]
        if replies:
            await self._mark_answered(replies)
        return rejected

    async def _bulk(self, events: list[RoutedEvent]) -> dict[str, tuple[int, str]]:
        failures: dict[str, tuple[int, str]] = {}
        async for ok, item in helpers.async_streaming_bulk(
            self.es,
            index_actions(self.alias, events),
            raise_on_error=False,
            raise_on_exception=True,
            max_retries=0,  # retries are ours, above, for the whole batch
            chunk_size=len(events),
        ):
            if not ok:
                result = item.get("index", {})
                error = result.get("error", {})
                reason = f"{error.get('type')}: {error.get('reason')}" if error else str(result)
                failures[result.get("_id", "")] = (int(result.get("status", 500)), reason)
        return failures

    async def _mark_answered(self, replies: list[RoutedEvent]) -> None:
        """Record on the customer's messages that the brand answered, and whether late.

        This is what lets agents filter on breached first-response deadlines.
        """
        await self.es.indices.refresh(index=self.alias)
        actions: list[dict[str, Any]] = []
        for reply in replies:
            found = await self.es.search(
                index=self.alias,
                size=500,
                query={
                    "bool": {
                        "filter": [
                            {"term": {"conversation_id": reply.conversation_id}},
                            {"term": {"direction": "inbound"}},
                            {"range": {"created_at": {"lte": reply.created_at.isoformat()}}},
                        ],
                        "must_not": [{"exists": {"field": "response.answered_at"}}],
                    }
                },
                source=["routing.first_response_due_at"],
            )
            for hit in found["hits"]["hits"]:
                due = (hit["_source"].get("routing") or {}).get("first_response_due_at")
                late = due is not None and reply.created_at.isoformat() > _normalized(due)
                actions.append(
                    {
                        "_op_type": "update",
                        "_index": hit["_index"],
                        "_id": hit["_id"],
                        "doc": {
                            "response": {
                                "answered_at": reply.created_at.isoformat(),
                                "answered_late": late,
                            }
                        },
                    }
                )
        if actions:
            await helpers.async_bulk(self.es, actions, raise_on_error=False)


def _normalized(timestamp: str) -> str:
    # Both sides as "+00:00" ISO strings, so they compare as times.
    return timestamp.replace("Z", "+00:00")
