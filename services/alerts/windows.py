"""Counting inbound events in time buckets: the current window and the baseline before it.

Time is the events' own (``received_at``, when ingest took them), bucketed in
``bucket`` seconds. The window is the last ``window`` seconds up to the clock (the
latest event time seen, or a later time the caller moves it to); the baseline is the
``baseline`` seconds before the window. Both keep running totals per key, so a window
and its baseline are compared without summing buckets; a bucket moves from the window
to the baseline, and out, as the clock passes. Only the window's buckets keep their
events (to name a spike's languages, platforms and examples); the baseline keeps
counts. An event older than the baseline is not counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

Key = tuple[str, str]
"""(kind, name): ``("term", "voltbuds pro")`` or ``("dim", "intent=defect,language=kk")``."""
TERM = "term"
DIM = "dim"


@dataclass(frozen=True)
class Observation:
    """One inbound event as the counts see it."""

    event_id: str
    at: float  # seconds since the epoch (received_at)
    intent: str
    language: str
    platform: str
    terms: frozenset[str]

    def keys(self) -> frozenset[Key]:
        """What this event counts towards: its terms, and its intent alone, by language,
        by platform, and by both (the intent x language x platform cell)."""
        intent = f"intent={self.intent}"
        dims = (
            intent,
            f"{intent},language={self.language}",
            f"{intent},platform={self.platform}",
            f"{intent},language={self.language},platform={self.platform}",
        )
        return frozenset({(TERM, t) for t in self.terms} | {(DIM, d) for d in dims})


@dataclass
class _Bucket:
    counts: Counter[Key] = field(default_factory=Counter)
    total: int = 0
    observations: list[tuple[Observation, frozenset[Key]]] = field(default_factory=list)
    in_window: bool = True


class Windows:
    """The buckets of the window and the baseline, with their running totals."""

    def __init__(self, bucket: float, window: float, baseline: float) -> None:
        self.bucket = bucket
        self.window_buckets = max(1, round(window / bucket))
        self.baseline_buckets = max(1, round(baseline / bucket))
        self.window: Counter[Key] = Counter()
        self.window_total = 0
        self.base: Counter[Key] = Counter()
        self.base_total = 0
        self.clock: float | None = None
        self.first_at: float | None = None
        self._buckets: dict[int, _Bucket] = {}

    def _index(self, at: float) -> int:
        return math.floor(at / self.bucket)

    @property
    def window_start(self) -> float:
        """Start of the current window (its first bucket's start)."""
        assert self.clock is not None
        return (self._index(self.clock) - self.window_buckets + 1) * self.bucket

    @property
    def window_seconds(self) -> float:
        """How much time the current window has covered so far."""
        assert self.clock is not None
        return max(self.bucket, self.clock - max(self.window_start, self.first_at or 0.0))

    @property
    def baseline_seconds(self) -> float:
        """How much time the baseline covers: less than configured while warming up."""
        if self.clock is None or self.first_at is None:
            return 0.0
        start = self.window_start
        return max(0.0, min(self.baseline_buckets * self.bucket, start - self.first_at))

    def add(self, observation: Observation) -> None:
        """Count one event (a late one too, in its own bucket) and move the clock."""
        if self.first_at is None or observation.at < self.first_at:
            self.first_at = observation.at
        self.advance(observation.at)
        assert self.clock is not None
        index = self._index(observation.at)
        if index <= self._index(self.clock) - self.window_buckets - self.baseline_buckets:
            return  # older than the baseline
        bucket = self._buckets.get(index)
        if bucket is None:
            current = self._index(self.clock)
            bucket = self._buckets[index] = _Bucket(in_window=index > current - self.window_buckets)
        keys = observation.keys()
        bucket.counts.update(keys)
        bucket.total += 1
        if bucket.in_window:
            bucket.observations.append((observation, keys))
            self.window.update(keys)
            self.window_total += 1
        else:
            self.base.update(keys)
            self.base_total += 1

    def advance(self, to: float) -> None:
        """Move the clock forward to ``to`` (never back): buckets leave the window for
        the baseline, and the oldest leave the baseline."""
        if self.clock is not None and to <= self.clock:
            return
        self.clock = to
        current = self._index(to)
        for index in sorted(self._buckets):
            bucket = self._buckets[index]
            if index <= current - self.window_buckets - self.baseline_buckets:
                self._drop(index, bucket)
            elif bucket.in_window and index <= current - self.window_buckets:
                self._to_baseline(bucket)

    def _to_baseline(self, bucket: _Bucket) -> None:
        self.window.subtract(bucket.counts)
        self.window_total -= bucket.total
        self.base.update(bucket.counts)
        self.base_total += bucket.total
        bucket.in_window, bucket.observations = False, []
        _prune(self.window)

    def _drop(self, index: int, bucket: _Bucket) -> None:
        if bucket.in_window:
            self._to_baseline(bucket)
        self.base.subtract(bucket.counts)
        self.base_total -= bucket.total
        del self._buckets[index]
        _prune(self.base)

    def observations(self) -> Iterator[tuple[Observation, frozenset[Key]]]:
        """The window's events with their keys, oldest bucket first."""
        for index in sorted(self._buckets):
            yield from self._buckets[index].observations


def _prune(counts: Counter[Key]) -> None:
    """Drop keys counted down to zero, so the counters hold only live keys."""
    for key in [k for k, n in counts.items() if n <= 0]:
        del counts[key]
