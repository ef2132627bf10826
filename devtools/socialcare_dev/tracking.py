"""Following accepted events until they are searchable, and what became of them.

Reads Elasticsearch directly (the index alias), by event id: the demo's summary, the
end-to-end and fault tests' counts, and bench/e2e.py's latencies come from here.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from elasticsearch import Elasticsearch

from socialcare.search.queries import FACETS as FACET_FIELDS
from socialcare.search.queries import breached_query

# terms queries take at most 65,536 values; stay well below.
_CHUNK = 10_000
_PAGE = 5_000
# The facets a pipeline run is summarised by: a few of the search API's.
FACETS = {
    name: FACET_FIELDS[name] for name in ("platform", "language", "intent", "sentiment", "queue")
}


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _hits(es: Elasticsearch, alias: str, query: dict, **request) -> Iterable[dict]:
    """Every hit of ``query``, page by page (search_after on the request's sort)."""
    after = None
    while True:
        page = es.search(index=alias, query=query, size=_PAGE, search_after=after, **request)[
            "hits"
        ]["hits"]
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1]["sort"]


def indexed_ids(es: Elasticsearch, alias: str, ids: Iterable[str]) -> Counter[str]:
    """How many documents the index holds for each of ``ids`` (exactly-once: all 1)."""
    found: Counter[str] = Counter()
    for chunk in _chunks(sorted(set(ids))):
        hits = _hits(
            es,
            alias,
            {"terms": {"event_id": chunk}},
            sort=[{"event_id": "asc"}, {"indexed_at": "asc"}],
            source=False,
            fields=["event_id"],
            track_total_hits=False,
        )
        found.update(hit["fields"]["event_id"][0] for hit in hits)
    return found


def count(es: Elasticsearch, alias: str, ids: Iterable[str]) -> int:
    """Documents of ``ids`` in the index (a duplicate counts twice)."""
    return sum(
        es.count(index=alias, query={"terms": {"event_id": chunk}})["count"]
        for chunk in _chunks(sorted(set(ids)))
    )


def wait_searchable(
    es: Elasticsearch,
    alias: str,
    ids: Iterable[str],
    timeout: float,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Poll until every id is searchable or ``timeout`` passes; returns how many are."""
    wanted = sorted(set(ids))
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = count(es, alias, wanted)
        if on_progress:
            on_progress(seen)
        if seen >= len(wanted):
            break
        time.sleep(0.5)
    return seen


@dataclass
class Outcome:
    total: int
    facets: dict[str, dict[str, int]]
    past_deadline: int
    latency_ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latency_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latency_ms) if self.latency_ms else 0.0


def outcome(es: Elasticsearch, alias: str, ids: Iterable[str]) -> Outcome:
    """Counts per platform, language, intent, sentiment and queue; how many are past
    their first-response deadline unanswered; received -> indexed latency per event."""
    wanted = sorted(set(ids))
    now = datetime.now(UTC)
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    total = past = 0
    latency: list[float] = []
    for chunk in _chunks(wanted):
        query = {"terms": {"event_id": chunk}}
        answer = es.search(
            index=alias,
            query=query,
            size=0,
            aggs={name: {"terms": {"field": path, "size": 100}} for name, path in FACETS.items()}
            | {"late": {"filter": breached_query(now)}},
        )
        total += answer["hits"]["total"]["value"]
        past += answer["aggregations"]["late"]["doc_count"]
        for name in FACETS:
            for bucket in answer["aggregations"][name]["buckets"]:
                facets[name][bucket["key"]] += bucket["doc_count"]
        hits = _hits(
            es, alias, query, sort=[{"event_id": "asc"}], source=["received_at", "indexed_at"]
        )
        for hit in hits:
            doc = hit["_source"]
            took = datetime.fromisoformat(doc["indexed_at"]) - datetime.fromisoformat(
                doc["received_at"]
            )
            latency.append(took.total_seconds() * 1000)
    return Outcome(
        total=total,
        facets={name: dict(counter.most_common()) for name, counter in facets.items()},
        past_deadline=past,
        latency_ms=latency,
    )


def conversations_of(es: Elasticsearch, alias: str, ids: Iterable[str]) -> dict[str, str]:
    """{event id: conversation id} of the searchable events among ``ids``."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(ids))):
        hits = _hits(
            es,
            alias,
            {"terms": {"event_id": chunk}},
            sort=[{"event_id": "asc"}],
            source=["event_id", "conversation_id"],
        )
        found |= {h["_source"]["event_id"]: h["_source"]["conversation_id"] for h in hits}
    return found


def states(es: Elasticsearch, alias: str, conversations: Iterable[str]) -> dict[str, dict]:
    """The indexed state of each of ``conversations`` (``alias``: the conversations
    index) that has one."""
    found: dict[str, dict] = {}
    for chunk in _chunks(sorted(set(conversations))):
        hits = _hits(
            es,
            alias,
            {"terms": {"conversation_id": chunk}},
            sort=[{"conversation_id": "asc"}],
            ignore_unavailable=True,
        )
        found |= {h["_source"]["conversation_id"]: h["_source"] for h in hits}
    return found


def wait_states(
    es: Elasticsearch,
    alias: str,
    conversations: Iterable[str],
    done: Callable[[dict], bool],
    timeout: float,
) -> dict[str, dict]:
    """Poll until the state of every one of ``conversations`` is ``done`` (or
    ``timeout`` passes); returns the states last read."""
    wanted = set(conversations)
    deadline = time.monotonic() + timeout
    while True:
        found = states(es, alias, wanted)
        if all(c in found and done(found[c]) for c in wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


@dataclass
class CareOutcome:
    """What became of a run's conversations: how many in each status, and how long
    the first response took (first customer message to first human or help-desk
    reply) in each answered one."""

    statuses: dict[str, int]
    first_response_ms: list[float]
    reopened: int = 0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.first_response_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def care_outcome(found: dict[str, dict]) -> CareOutcome:
    statuses = Counter(state["status"] for state in found.values())
    took = []
    for state in found.values():
        # A reopening moves opened_at; the first response is the first contact's.
        if state.get("first_response_at") and not state.get("reopen_count"):
            delta = datetime.fromisoformat(state["first_response_at"]) - datetime.fromisoformat(
                state["opened_at"]
            )
            took.append(delta.total_seconds() * 1000)
    reopened = sum(1 for state in found.values() if state.get("reopen_count"))
    return CareOutcome(dict(statuses.most_common()), took, reopened)
