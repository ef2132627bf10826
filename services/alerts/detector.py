"""Spikes from the windowed counts, and the alert each one raises, grows and clears.

A key (a term, or an intent x language x platform count) spikes when its count in
the window is at least ``min_count`` and ``factor`` times what the baseline expects:

- a term by its share of the events (salience): expected = (baseline count + 1) /
  (baseline events + 1) x window events, so a term that was never seen needs only
  the volume, a busier hour raises no term, and a word common in the baseline (a
  stop word of any language) can never be over-represented ``factor`` times once
  its share is above ``1 / factor`` (those are not named at all, see ``MAX_SHARE``);
- an intent count by its rate: expected = (baseline count + 1) / baseline seconds x
  window seconds.

No alert storm: a spiking key joins the open alert whose events it mostly shares (a
product name's word pair, the intent its complaints have) instead of opening one of
its own; so one spike is one alert, with one ``alert_id`` (a hash of what first
spiked and since when). An alert stays open while any of its keys is still
``clear_factor`` times above the baseline with half the volume (hysteresis, so it
does not flap at the threshold), is re-published as ``updated`` when it spans new
languages, platforms or terms or has grown by a quarter, and is ``cleared`` once
none is. Nothing is raised before the baseline covers ``warmup`` seconds.

A restarted worker is handed the alerts its predecessor left open (``adopt``): a
spike that is still going when the counts have warmed up continues under its old
``alert_id`` and start (re-published as ``updated``); one that is not is cleared
then, so no alert stays open for ever because the worker that raised it stopped.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from socialcare.alerts.windows import DIM, TERM, Key, Observation, Windows
from socialcare.schema import Alert, AlertStatus

# A term in more than this share of the baseline's events is a common word, never news.
MAX_SHARE = 0.2
# Spikes are judged against the baseline count plus this many standard deviations
# (Poisson): what a short baseline has not seen enough of is not news yet.
CAUTION = 2.0
MAX_TERMS = 8
EXAMPLES = 5
_GROWTH = 1.25  # re-publish an alert once it has this many times the events it had
_NAMED = 0.25  # an alert names the keys in at least this share of its events
_JOIN = 0.5  # a spiking key joins an alert when this share of its events are the alert's
_SEEN_CAP = 100_000  # event ids remembered per alert (counting beyond stops, not the alert)


@dataclass(frozen=True)
class DetectorConfig:
    bucket: float = 1.0
    window: float = 5.0
    baseline: float = 300.0
    warmup: float = 3.0
    factor: float = 4.0
    min_count: int = 10
    dimension_min_count: int = 20
    clear_factor: float = 2.0
    evaluate_every: float = 1.0


@dataclass(frozen=True)
class Score:
    key: Key
    count: int
    expected: float

    @property
    def factor(self) -> float:
        return self.count / self.expected


@dataclass
class _Spike:
    """One open alert: what it is made of and what it has seen."""

    alert_id: str
    since: float
    keys: set[Key]
    seen: set[str] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    intents: Counter[str] = field(default_factory=Counter)
    named: Counter[Key] = field(default_factory=Counter)  # the spike's events per key
    published: tuple[int, frozenset[str]] | None = None  # (events, what it named)
    opened_at: float | None = None  # when first published
    strongest: Score | None = None
    # The key furthest above its baseline (a product name rather than a common word
    # that came with it): an event is the spike's when it has this key.
    core: Key | None = None
    count: int = 0

    def matches(self, keys: frozenset[Key]) -> bool:
        """Whether an event is the spike's: it has the spike's most telling key."""
        return (self.core in keys) if self.core else bool(keys & self.keys)

    def take(self, observation: Observation, keys: frozenset[Key]) -> None:
        self.count += 1
        if observation.event_id in self.seen or len(self.seen) >= _SEEN_CAP:
            return
        self.seen.add(observation.event_id)
        self.named.update(keys & self.keys)
        if len(self.examples) < EXAMPLES:
            self.examples.append(observation.event_id)
        self.languages[observation.language] += 1
        self.platforms[observation.platform] += 1
        self.intents[observation.intent] += 1


class Detector:
    """Feeds observations to the windows and turns spikes into alert messages."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.windows = Windows(config.bucket, config.window, config.baseline)
        self.open: dict[str, _Spike] = {}
        # Alerts a previous run left open, not yet continued or cleared.
        self.orphans: dict[str, Alert] = {}
        self._evaluated: float | None = None
        self._arrived: float | None = None  # wall time of the latest observation
        self._adopted_at: float | None = None  # wall time of ``adopt``

    def warm(self, observations: list[Observation]) -> None:
        """Count what a previous run had counted (oldest first), raising nothing."""
        for observation in observations:
            self.windows.add(observation)

    def adopt(self, alerts: list[Alert], wall: float) -> None:
        """Take over the open alerts of a previous run (the latest state of each)."""
        self.orphans = {a.alert_id: a for a in alerts if a.status != AlertStatus.cleared}
        self._adopted_at = wall

    def observe(self, observation: Observation, wall: float | None = None) -> list[Alert]:
        """Count an event; the alert messages due, if the clock moved far enough."""
        self.windows.add(observation)
        self._arrived = wall
        return self._maybe_evaluate()

    def tick(self, wall: float) -> list[Alert]:
        """With no event for a bucket or more, let the clock follow the wall clock from
        the latest event (a quiet stream still clears its alerts)."""
        clock = self.windows.clock
        if clock is None and self._adopted_at is not None:
            # Not one event since the restart: the old spikes are over by the warm-up.
            if wall - self._adopted_at >= self.config.warmup:
                return self._clear_orphans(wall)
            return []
        if clock is None or self._arrived is None or wall - self._arrived < self.config.bucket:
            return []
        self.windows.advance(clock + (wall - self._arrived))
        self._arrived = wall
        return self._maybe_evaluate()

    def _maybe_evaluate(self) -> list[Alert]:
        clock = self.windows.clock
        assert clock is not None
        if self._evaluated is not None and clock - self._evaluated < self.config.evaluate_every:
            return []
        self._evaluated = clock
        return self.evaluate()

    def expected(self, key: Key, caution: float = 0.0) -> float:
        """What the baseline expects of ``key`` in the window; with ``caution``, that
        many standard deviations of its baseline count above (a short baseline's
        counts are rough: a word seen twice in it may well be common)."""
        w = self.windows
        seen = w.base[key] + 1
        seen += caution * math.sqrt(seen)
        if key[0] == TERM:
            return seen / (w.base_total + 1) * w.window_total
        return seen / max(w.baseline_seconds, w.bucket) * w.window_seconds

    def score(self, key: Key, caution: float = 0.0) -> Score:
        return Score(key, self.windows.window[key], self.expected(key, caution))

    def spiking(self) -> list[Score]:
        """The keys above ``factor`` x their baseline with the volume, biggest first."""
        w, c = self.windows, self.config
        if w.baseline_seconds < c.warmup:
            return []
        common = MAX_SHARE * max(w.base_total, 1)
        scores = [
            self.score(key, CAUTION)
            for key, count in w.window.items()
            if (count >= c.min_count and key[0] == TERM and w.base[key] <= common)
            or (count >= c.dimension_min_count and key[0] == DIM)
        ]
        found = [self.score(s.key) for s in scores if s.factor >= c.factor]
        return sorted(found, key=lambda s: (-s.count, -len(s.key[1]), s.key))

    def elevated(self, score: Score) -> bool:
        c = self.config
        return score.count >= c.min_count / 2 and score.factor >= c.clear_factor

    def evaluate(self) -> list[Alert]:
        """Open, grow and clear alerts from the current window; the messages to publish."""
        for score in self.spiking():
            self._assign(score)
        messages = []
        if self.orphans and self.windows.baseline_seconds >= self.config.warmup:
            assert self.windows.clock is not None
            messages += self._clear_orphans(self.windows.clock)
        for alert_id, spike in list(self.open.items()):
            message = self._follow(spike)
            if message is not None:
                messages.append(message)
            if message is not None and message.status == AlertStatus.cleared:
                del self.open[alert_id]
        return messages

    def _assign(self, score: Score) -> None:
        if any(score.key in s.keys for s in self.open.values()):
            return
        events = [keys for _, keys in self.windows.observations() if score.key in keys]
        for spike in self.open.values():
            shared = sum(1 for keys in events if spike.matches(keys))
            if shared >= _JOIN * len(events):
                spike.keys.add(score.key)
                return
        since = self.windows.window_start
        spike = _Spike(_alert_id(score.key, since), since, {score.key})
        orphan = self._orphan_of(score.key)
        if orphan is not None:  # the same spike, raised before a restart
            spike.alert_id, spike.since = orphan.alert_id, orphan.since.timestamp()
            spike.published = (orphan.events, frozenset())  # known: the next is an update
            spike.opened_at = orphan.opened_at.timestamp() if orphan.opened_at else None
        self.open[spike.alert_id] = spike

    def _orphan_of(self, key: Key) -> Alert | None:
        """The open alert of a previous run that named ``key``, taken off the orphans."""
        for alert_id, alert in self.orphans.items():
            if key[1] in (alert.terms if key[0] == TERM else alert.dimensions):
                return self.orphans.pop(alert_id)
        return None

    def _clear_orphans(self, clock: float) -> list[Alert]:
        """Clear what a previous run left open and no spike has continued."""
        now = _datetime(clock)
        cleared = [
            a.model_copy(
                update={"status": AlertStatus.cleared, "updated_at": now, "cleared_at": now}
            )
            for a in self.orphans.values()
        ]
        self.orphans = {}
        return cleared

    def _follow(self, spike: _Spike) -> Alert | None:
        """The spike's message now: cleared, updated, opened, or None (nothing new)."""
        scores = [self.score(key) for key in spike.keys]
        live = [s for s in scores if self.elevated(s)]
        if live:
            spike.core = self._core(live)
        spike.count = 0
        for observation, keys in self.windows.observations():
            if spike.matches(keys):
                spike.take(observation, keys)
        if not live:
            return self._message(spike, AlertStatus.cleared)
        spike.strongest = max(live, key=lambda s: (s.count, s.factor))
        named = frozenset(
            {*spike.languages, *spike.platforms, *(f"{k}:{n}" for k, n in spike.keys)}
        )
        if spike.published is None:
            status = AlertStatus.open
            spike.opened_at = self.windows.clock
        elif named - spike.published[1] or len(spike.seen) >= _GROWTH * spike.published[0]:
            status = AlertStatus.updated
        else:
            return None
        spike.published = (len(spike.seen), named)
        return self._message(spike, status)

    def _core(self, live: list[Score]) -> Key:
        """The spike's most telling key: of its terms, the one whose events most often
        have another of them too (``voltbuds pro`` rather than ``pro``, which steady
        messages have as well), then the most frequent."""
        scores = [s for s in live if s.key[0] == TERM] or live
        keys = {s.key for s in scores}
        events = [k for _, k in self.windows.observations() if k & keys]

        def cohesion(score: Score) -> float:
            having = [k for k in events if score.key in k]
            return sum(1 for k in having if len(k & keys) > 1) / max(len(having), 1)

        return max(scores, key=lambda s: (cohesion(s), s.count, len(s.key[1]))).key

    def _message(self, spike: _Spike, status: AlertStatus) -> Alert:
        assert self.windows.clock is not None
        now = _datetime(self.windows.clock)
        strongest = spike.strongest or self.score(next(iter(spike.keys)))
        terms = [k[1] for k in self._ranked(spike, TERM)]
        intent = spike.intents.most_common(1)[0][0] if spike.intents else None
        return Alert(
            alert_id=spike.alert_id,
            status=status,
            intent=intent,
            terms=terms[:MAX_TERMS],
            dimensions=[k[1] for k in self._ranked(spike, DIM)],
            languages=[lang for lang, _ in spike.languages.most_common()],
            platforms=[p for p, _ in spike.platforms.most_common()],
            since=_datetime(spike.since),
            opened_at=None if spike.opened_at is None else _datetime(spike.opened_at),
            window_seconds=self.config.window,
            count=spike.count,
            baseline=round(strongest.expected, 3),
            factor=round(strongest.factor, 3),
            events=len(spike.seen),
            example_event_ids=spike.examples,
            updated_at=now,
            cleared_at=now if status == AlertStatus.cleared else None,
        )

    def _ranked(self, spike: _Spike, kind: str) -> list[Key]:
        """The spike's keys of one kind, the most of its events first (over its life),
        leaving out those in less than a quarter of its events (words that came with it)."""
        keys = [k for k in spike.keys if k[0] == kind]
        most = max((spike.named[k] for k in keys), default=0)
        keys = [k for k in keys if spike.named[k] >= _NAMED * most]
        return sorted(keys, key=lambda k: (-spike.named[k], -len(k[1]), k[1]))


def _alert_id(key: Key, since: float) -> str:
    digest = hashlib.sha256(f"{key[0]}:{key[1]}@{since:.3f}".encode()).hexdigest()
    return f"alert-{digest[:20]}"


def _datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
