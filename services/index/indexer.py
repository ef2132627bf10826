"""Bulk indexing of routed events: idempotent, patient with Elasticsearch, honest
about documents it refuses.

A document is written with a ``create``; when it is there already (a redelivery, a
topic replay) the event is written again as an upserting partial ``update``
(``doc_as_upsert``), never an ``index``: that rewrites every field the event has - all
of them, nulls included, as the schema dumps them whole - but keeps what later events
wrote into its document: ``response``, set when the brand answered. So a replay cannot
turn answered messages back into SLA breaches. Creating first spares Elasticsearch the
update's work (look the document up, parse and merge its source, 384 floats included)
for new documents, which are nearly all a batch holds. (A script that replaces the
source would also drop fields a newer schema removed, but needs the painless module,
which the local test node lacks; reprocessing into a new index starts from empty
documents anyway.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.exceptions import ApiError, ConnectionError, TransportError

from socialcare.index.documents import answers_customer, document_json
from socialcare.logging import get_logger
from socialcare.metrics import STAGE_SECONDS
from socialcare.retry import retry_forever
from socialcare.schema import RoutedEvent

log = get_logger(__name__)


# A `create` refused because the document is there: the event is written again as
# an upsert, which keeps the fields later events wrote.
_EXISTS = "document_exists"


class _NotStored(Exception):
    """Documents Elasticsearch cannot take now (overload, unavailable): written again."""

    def __init__(self, documents: int, status: int, reason: str) -> None:
        super().__init__(f"{documents} documents not stored: {status}")
        self.documents = documents
        self.status = status
        self.error_type = reason.split(":", 1)[0]  # never the reason: it quotes values


def _not_stored_fields(exc: BaseException) -> dict[str, object]:
    if isinstance(exc, _NotStored):
        return {"documents": exc.documents, "status": exc.status, "error_type": exc.error_type}
    return {"error_type": type(exc).__name__}


class IndexRejected(Exception):
    """Elasticsearch refused a document (a mapping error, say): retrying cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # Only the error type is logged: Elasticsearch's reason may quote field values.
        self.log_detail = reason.split(":", 1)[0]


def retryable(status: int) -> bool:
    """Whether a refusal with this HTTP status is Elasticsearch's state, not the
    document's fault: overload, unavailability, a version conflict, and also a
    missing index or missing privileges - a deployment error to fix and wait out,
    never a reason to throw the events away."""
    return status in (401, 403, 404, 408, 409, 429) or status >= 500


class Indexer:
    """``concurrency``: the bulk requests one write is split into, sent at the same
    time, so Elasticsearch indexes them on as many write threads (one request to a
    one-shard index is indexed by one thread). ``acks_answer``: the routing file counts
    automatic acknowledgements as first responses (`answers_customer`)."""

    def __init__(
        self,
        es: AsyncElasticsearch,
        alias: str,
        concurrency: int = 1,
        acks_answer: bool = False,
    ) -> None:
        self.es = es
        self.alias = alias
        self.concurrency = concurrency
        self.acks_answer = acks_answer

    async def index(self, events: list[RoutedEvent]) -> dict[str, str]:
        """Index ``events``; returns event_id -> reason for each document refused.

        Returns only when every document is either stored or refused for good:
        while Elasticsearch is unreachable or overloaded this waits and retries,
        which holds the batch - and the Kafka offsets - back (back-pressure). A
        request Elasticsearch refuses as a whole (400, 413) raises `ApiError`: the
        batch loop then finds the record that caused it.
        """
        now = datetime.now(UTC)
        by_id = {e.event_id: e for e in events}
        replies = [e for e in events if answers_customer(e, self.acks_answer)]
        # A batch with a reply makes its documents searchable at once, so the reply
        # finds the customer messages of this batch and of those just before it
        # (`refresh` on the bulk needs only the write privilege, unlike the refresh
        # API). Waiting for the next scheduled refresh instead ("wait_for") held every
        # batch behind it for half the refresh interval on average: with a reply in
        # most batches that was most of webhook -> indexed (bench/e2e.py).
        refresh = "true" if replies else None
        with STAGE_SECONDS.labels("index", "bulk").time():
            rejected = await self.write(
                {i: _create(self.alias, e, now) for i, e in by_id.items()}, refresh
            )
            existing = [i for i, reason in rejected.items() if reason == _EXISTS]
            if existing:  # a replay: keep what later events wrote into the document
                for i in existing:
                    del rejected[i]
                upserts = {i: _upsert(self.alias, by_id[i], now) for i in existing}
                rejected |= await self.write(upserts, refresh)
        # A reply stored before is marked again only when it says who sent it (respond's
        # own event, delivered again): a platform's echo of an automatic acknowledgement
        # does not say, and must not make it an answer.
        answered = [
            e
            for e in replies
            if e.event_id not in rejected and (e.event_id not in existing or e.sent_by is not None)
        ]
        if answered:
            await self._mark_answered(answered)
        return rejected

    async def write(
        self,
        actions: dict[str, dict[str, Any]],
        refresh: str | None = None,
        missing_is_final: bool = False,
    ) -> dict[str, str]:
        """Bulk ``actions`` (by document id) until each is stored or refused for good;
        returns document id -> reason for each refused. Deleting a document that is not
        there is done. ``missing_is_final``: a 404 on an item means its document is
        gone, not the index.
        """
        pending, rejected = dict(actions), {}

        async def attempt() -> None:
            nonlocal pending
            try:
                failures = await self._bulk(pending.values(), refresh)
            except ApiError as exc:
                if not retryable(exc.meta.status):
                    raise
                failures = {i: (exc.meta.status, type(exc).__name__) for i in pending}
            except (ConnectionError, TransportError) as exc:
                failures = {i: (503, type(exc).__name__) for i in pending}
            retry = {}
            for doc_id, (status, reason) in failures.items():
                if _already_deleted(pending[doc_id], status, reason):
                    continue
                if pending[doc_id]["_op_type"] == "create" and status == 409:
                    rejected[doc_id] = _EXISTS  # for the caller to update instead
                    continue
                if retryable(status) and not (missing_is_final and status == 404):
                    retry[doc_id] = pending[doc_id]
                else:
                    rejected[doc_id] = reason
            pending = retry
            if retry:
                raise _NotStored(len(retry), *next(iter(failures.values())))

        if pending:
            await retry_forever(
                attempt,
                retry_on=lambda exc: isinstance(exc, _NotStored),
                event="index.retry",
                describe=_not_stored_fields,
            )
        return rejected

    async def _bulk(
        self, actions: Iterable[dict[str, Any]], refresh: str | None
    ) -> dict[str, tuple[int, str]]:
        # Each document id is in one part only, so the parts' order does not matter.
        actions = list(actions)
        size = max(1, -(-len(actions) // self.concurrency))
        parts = [actions[i : i + size] for i in range(0, len(actions), size)]
        if len(parts) <= 1:
            return await self._bulk_request(actions, refresh)
        # Every part ends before an error is raised: none is still writing when the
        # caller retries the whole batch.
        results = await asyncio.gather(
            *(self._bulk_request(part, refresh) for part in parts), return_exceptions=True
        )
        failures: dict[str, tuple[int, str]] = {}
        for result in results:
            if isinstance(result, BaseException):
                raise result
            failures.update(result)
        return failures

    async def _bulk_request(
        self, actions: list[dict[str, Any]], refresh: str | None
    ) -> dict[str, tuple[int, str]]:
        # One bulk call with the body already serialized: the streaming helper built a
        # client copy per request (its tracing set-up read the environment each time)
        # and encoded every document with the standard library.
        lines = [line for action in actions for line in _ndjson(action)]
        response = await self.es.bulk(operations=lines, refresh=refresh)
        failures: dict[str, tuple[int, str]] = {}
        for item in response["items"]:
            result = next(iter(item.values()), {})
            status = int(result.get("status", 500))
            if 200 <= status < 300:
                continue
            error = result.get("error")
            reason = f"{error.get('type')}: {error.get('reason')}" if error else str(result)
            failures[result.get("_id", "")] = (status, reason)
        return failures

    async def _mark_answered(self, replies: list[RoutedEvent]) -> None:
        """Record on the customer's messages that the brand answered, and whether late.

        This is what lets agents filter on breached first-response deadlines.
        """
        actions: dict[str, dict[str, Any]] = {}
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
                if hit["_id"] in actions:  # an earlier reply of this batch answered it
                    continue
                due = (hit["_source"].get("routing") or {}).get("first_response_due_at")
                late = due is not None and reply.created_at.isoformat() > _normalized(due)
                actions[hit["_id"]] = {
                    "_op_type": "update",
                    "_index": hit["_index"],
                    "_id": hit["_id"],
                    "retry_on_conflict": 3,
                    "doc": {
                        "response": {
                            "answered_at": reply.created_at.isoformat(),
                            "answered_late": late,
                        }
                    },
                }
        if actions:
            # Retried like the events themselves, except that a message deleted since
            # the search (an erasure) is simply gone.
            refused = await self.write(actions, missing_is_final=True)
            if refused:
                log.warning("index.answer_not_recorded", documents=len(refused))


def _create(index: str, event: RoutedEvent, now: datetime) -> dict[str, Any]:
    source = document_json(event, now)
    return {"_op_type": "create", "_index": index, "_id": event.event_id, "_source": source}


def _upsert(index: str, event: RoutedEvent, now: datetime) -> dict[str, Any]:
    return {
        "_op_type": "update",
        "_index": index,
        "_id": event.event_id,
        "retry_on_conflict": 3,
        # Has no `response`: the stored one stays; nor, from a platform's echo of our
        # reply, a null `sent_by` over the stored sender.
        "doc": document_json(event, now, exclude={"sent_by"} if event.sent_by is None else None),
        "doc_as_upsert": True,
    }


_META = ("_index", "_id", "retry_on_conflict")


def _json(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def _ndjson(action: dict[str, Any]) -> list[bytes]:
    """The bulk body lines of one action in the helpers' form (``_op_type``,
    ``_index``, ``_id``, then ``_source`` or the update's fields); a value given as
    bytes is JSON already."""
    op = action["_op_type"]
    header = _json({op: {k: action[k] for k in _META if k in action}})
    if op == "delete":
        return [header]
    if op in ("create", "index"):
        return [header, _json(action["_source"])]
    fields = {k: v for k, v in action.items() if k != "_op_type" and k not in _META}
    body = b",".join(json.dumps(k).encode() + b":" + _json(v) for k, v in fields.items())
    return [header, b"{" + body + b"}"]


def _already_deleted(action: dict[str, Any], status: int, reason: str) -> bool:
    # A delete's 404 without an error is "not_found": the document is gone, as asked.
    # With an error (index_not_found_exception) the index is missing: retried.
    return action["_op_type"] == "delete" and status == 404 and not reason.startswith("index_")


def _normalized(timestamp: str) -> str:
    # Both sides as "+00:00" ISO strings, so they compare as times.
    return timestamp.replace("Z", "+00:00")
