"""The queries of ``GET /v1/stats``: its parameters, the width of its buckets (fitted
to the range, bounded by Elasticsearch's bucket limit) and its aggregations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from socialcare.search.queries import TimeWindow, breached_query, epoch_millis, terms

MAX_STATS_BUCKETS = 1000
# A chart a person reads at a glance: at most this many bars when the API picks.
READABLE_BUCKETS = 100
# Longest length of each calendar interval, finest first.
INTERVALS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=31),
    "quarter": timedelta(days=92),
    "year": timedelta(days=366),
}


class StatsParams(TimeWindow):
    interval: Literal["minute", "hour", "day", "week", "month"] | None = Field(
        None,
        description="Width of the `over_time` buckets. Absent: the finest that splits the "
        f"window (`since` to `until`, or the messages' own span where one is absent) into "
        f"at most {READABLE_BUCKETS}. When it would give more than {MAX_STATS_BUCKETS} "
        "buckets, the finest coarser one that does not (day, week, month, quarter, year) "
        "is used; the answer's `interval` says which.",
    )


def _fits(names: list[str], span: timedelta, most: int) -> str:
    for name in names:
        if span // INTERVALS[name] + 2 <= most:  # +2: partial ends
            return name
    return names[-1]


def stats_interval(requested: str, first_ms: float | None, last_ms: float | None) -> str:
    """The finest calendar interval, from ``requested`` on, that splits the span of
    the messages (epoch millis of the first and last) into at most MAX_STATS_BUCKETS."""
    names = list(INTERVALS)[list(INTERVALS).index(requested) :]
    if first_ms is None or last_ms is None:
        return requested
    return _fits(names, timedelta(milliseconds=last_ms - first_ms), MAX_STATS_BUCKETS)


def readable_interval(window: TimeWindow, first_ms: float | None, last_ms: float | None) -> str:
    """The interval that splits the window (its missing ends: the first and last
    message's epoch millis) into at most READABLE_BUCKETS: minutes for a few minutes
    of traffic, weeks or months for a year."""
    start = epoch_millis(window.since) if window.since else first_ms
    end = epoch_millis(window.until) if window.until else last_ms
    if start is None or end is None or end <= start:
        return "hour"
    return _fits(list(INTERVALS), timedelta(milliseconds=end - start), READABLE_BUCKETS)


def span_aggs() -> dict[str, Any]:
    """The first and last message: how long a span the stats histogram covers."""
    return {
        "first": {"min": {"field": "created_at"}},
        "last": {"max": {"field": "created_at"}},
    }


STATS_FACETS = ("intent", "sentiment", "language", "platform", "queue")


def stats_aggs(interval: str, now: datetime) -> dict[str, Any]:
    """Volumes over time by intent and sentiment, totals by facet, SLA breaches."""
    return {
        "over_time": {
            "date_histogram": {"field": "created_at", "calendar_interval": interval},
            "aggs": {"intent": terms("intent"), "sentiment": terms("sentiment")},
        },
        **{name: terms(name) for name in STATS_FACETS},
        "breached": {"filter": breached_query(now)},
    }
