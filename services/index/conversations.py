"""Conversation states (support.conversations) -> the conversations index, in bulk.

The topic is compacted and keyed by conversation_id: each record is the whole latest
state, so it replaces the document (id = conversation_id), and a tombstone (null
value) deletes it. Within a batch only each conversation's last record counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from pydantic import ValidationError

from socialcare.care import Erasures, target_erased
from socialcare.index.indexer import Indexer, IndexRejected
from socialcare.metrics import EVENTS
from socialcare.route.calendar import staffed_time
from socialcare.route.config import BusinessHours
from socialcare.schema import Conversation
from socialcare.streams import Outgoing, dead_letter
from socialcare.topics import CONVERSATIONS, queue_language

SERVICE = "index"


class MissingKey(ValueError):
    """A tombstone without a key names no conversation to delete."""


# The staffed hours of each language queue (the routing file's business_hours).
Hours = Mapping[str, BusinessHours]


def conversation_document(
    state: Conversation, indexed_at: datetime, hours: Hours | None = None
) -> dict[str, Any]:
    return {
        **state.model_dump(mode="json"),
        "indexed_at": indexed_at.isoformat(),
        **measures(state, hours or {}),
    }


def _millis(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, (end - start) // timedelta(milliseconds=1))


def measures(state: Conversation, hours: Hours) -> dict[str, Any]:
    """What the care metrics aggregate (elastic.CONVERSATION_MEASURES), absent when not
    known. A reopening moves ``opened_at`` but keeps the first contact's
    ``first_response_at``: the first-response time of a reopened conversation is
    unknown, so it is measured only for conversations never reopened. In business
    hours, only the time its queue was staffed counts (what the deadline counts)."""
    first = state.first_response_at if state.reopen_count == 0 else None
    due = state.first_response_due_at
    staffed = hours.get(queue_language(state.queue or "") or "")
    business = None if first is None else staffed_time(state.opened_at, first, staffed)
    found = {
        "first_response_ms": _millis(state.opened_at, first),
        "first_response_business_ms": None
        if business is None
        else business // timedelta(milliseconds=1),
        "resolution_ms": _millis(state.opened_at, state.resolved_at),
        "answered_in_time": None
        if state.first_response_at is None or due is None
        else state.first_response_at <= due,
    }
    return {name: value for name, value in found.items() if value is not None}


def erased(erasures: Erasures, state: Conversation) -> bool:
    """An erased customer's state is not kept (deleted instead)."""
    target = state.reply_to
    return target is not None and target_erased(erasures, state.conversation_id, target)


class ConversationBatch:
    """Writes a batch of conversation states; returns the dead letters of the records
    that cannot be written (not a state, refused by Elasticsearch)."""

    def __init__(
        self, indexer: Indexer, erasures: Erasures, dlq: faust.TopicT, hours: Hours | None = None
    ) -> None:
        self.indexer, self.erasures, self.dlq = indexer, erasures, dlq
        self.hours = hours or {}

    async def __call__(self, batch: list) -> list[Outgoing]:
        now = datetime.now(UTC)
        dead: list[Outgoing] = []
        actions: dict[str, dict[str, Any]] = {}
        sources: dict[str, Any] = {}
        for event in batch:
            try:
                doc_id, action = self._action(event.message, now)
            except (ValidationError, MissingKey) as exc:
                dead.append(dead_letter(self.dlq, SERVICE, event, exc))
                continue
            actions.pop(doc_id, None)  # keep the order of the last record of each
            actions[doc_id], sources[doc_id] = action, event
        rejected = await self.indexer.write(actions)
        for doc_id, reason in rejected.items():
            dead.append(dead_letter(self.dlq, SERVICE, sources[doc_id], IndexRejected(reason)))
        EVENTS.labels(SERVICE, CONVERSATIONS.name, "ok").inc(len(actions) - len(rejected))
        return dead

    def _action(self, message: Any, now: datetime) -> tuple[str, dict[str, Any]]:
        alias = self.indexer.alias
        if message.value is None:
            if not message.key:
                raise MissingKey("a tombstone without a key (conversation_id)")
            doc_id = bytes(message.key).decode(errors="replace")
            return doc_id, {"_op_type": "delete", "_index": alias, "_id": doc_id}
        state = Conversation.model_validate_json(message.value)
        doc_id = state.conversation_id
        if erased(self.erasures, state):
            return doc_id, {"_op_type": "delete", "_index": alias, "_id": doc_id}
        return doc_id, {
            "_op_type": "index",
            "_index": alias,
            "_id": doc_id,
            "_source": conversation_document(state, now, self.hours),
        }
