"""Counting what a test's events became on the pipeline's topics, per ``event_id``.

Elasticsearch holds one document per ``event_id`` by construction (``_id``), so it
cannot show a duplicate. The topics can: a worker killed after publishing but before
committing publishes again after the restart, and every downstream consumer of
``social.events.classified``, ``social.events.routed`` and the queue topics sees each
copy. A census reads those topics with its own consumer (no group, nothing committed)
from the end offsets taken when it was created, so it sees exactly what came after.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED, QUEUE_PREFIX, ROUTED

QUEUES = "queues"  # every queue topic counted as one: an event goes to one queue
MAX_RECORD = 8 * 1024 * 1024


@dataclass(frozen=True)
class TopicCount:
    topic: str
    wanted: int
    seen: int  # distinct wanted event ids with at least one record
    records: int  # records of wanted ids, copies included
    duplicated: int  # wanted ids with more than one record

    @property
    def missing(self) -> int:
        return self.wanted - self.seen

    @property
    def extra_copies(self) -> int:
        return self.records - self.seen

    def line(self) -> str:
        return (
            f"{self.topic}: {self.seen}/{self.wanted} events, {self.records} records, "
            f"{self.duplicated} events duplicated ({self.extra_copies} extra copies)"
        )


class EventCensus:
    """Per-topic record counts per event id, for records appended after creation."""

    def __init__(self, settings: Settings) -> None:
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            max_partition_fetch_bytes=MAX_RECORD,
            fetch_max_bytes=4 * MAX_RECORD,
        )
        queues = sorted(t for t in self.consumer.topics() if t.startswith(f"{QUEUE_PREFIX}."))
        self.topics = [CLASSIFIED.name, ROUTED.name, *queues]
        self.partitions = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        self.start = self.consumer.end_offsets(self.partitions)
        self.consumer.assign(self.partitions)
        for tp, offset in self.start.items():
            self.consumer.seek(tp, offset)
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        # Every routing decision published per event id: a replayed event must get
        # the decision it got the first time (idempotent by event_id).
        self.decisions: dict[str, set[str]] = defaultdict(set)

    @staticmethod
    def _group(topic: str) -> str:
        return QUEUES if topic.startswith(f"{QUEUE_PREFIX}.") else topic

    def poll(self, timeout_ms: int = 500) -> None:
        for tp, batch in self.consumer.poll(timeout_ms=timeout_ms).items():
            group = self._group(tp.topic)
            for record in batch:
                event_id = dict(record.headers).get("event_id")
                if event_id is None:
                    continue
                eid = event_id.decode()
                self.counts[group][eid] += 1
                if tp.topic == ROUTED.name:
                    routing = json.loads(record.value)["routing"]
                    routing.pop("routed_at", None)  # when, not what: may differ
                    self.decisions[eid].add(json.dumps(routing, sort_keys=True))

    def catch_up(self, timeout: float = 120.0) -> None:
        """Read up to the topics' current end offsets."""
        ends = self.consumer.end_offsets(self.partitions)
        deadline = time.monotonic() + timeout
        while any(self.consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, "the census could not read the topics"
            self.poll()

    def seen(self, topic: str, ids: Iterable[str]) -> int:
        """Distinct ``ids`` on ``topic`` so far (after reading up to its end)."""
        self.catch_up()
        counts = self.counts[topic]
        return sum(1 for i in set(ids) if counts[i])

    def wait_for(self, topic: str, ids: list[str], at_least: int, timeout: float = 300) -> int:
        deadline = time.monotonic() + timeout
        while (found := self.seen(topic, ids)) < at_least:
            assert time.monotonic() < deadline, f"only {found} of {at_least} on {topic}"
            time.sleep(0.5)
        return found

    def report(self, ids: Iterable[str], timeout: float = 300) -> dict[str, TopicCount]:
        """Waits until every id is on every topic (or ``timeout``), then counts; prints
        one line per topic (pytest shows it with -rP or -s)."""
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while True:
            self.catch_up()
            counts = {name: self._count(name, wanted) for name in (*self.topics[:2], QUEUES)}
            if all(c.missing == 0 for c in counts.values()) or time.monotonic() > deadline:
                break
            time.sleep(1)
        for count in counts.values():
            print(f"[census] {count.line()}")
        return counts

    def _count(self, name: str, wanted: set[str]) -> TopicCount:
        counts = self.counts[name]
        copies = [counts[i] for i in wanted if counts[i]]
        return TopicCount(
            topic=name,
            wanted=len(wanted),
            seen=len(copies),
            records=sum(copies),
            duplicated=sum(1 for c in copies if c > 1),
        )

    def inconsistent_decisions(self, ids: Iterable[str]) -> dict[str, set[str]]:
        """Events whose copies on the routed topic carry different routing decisions."""
        return {i: self.decisions[i] for i in set(ids) if len(self.decisions[i]) > 1}

    def close(self) -> None:
        self.consumer.close()


def assert_at_least_once(counts: dict[str, TopicCount]) -> None:
    """The contract downstream consumers rely on: each accepted event on each topic.
    Copies are allowed (DESIGN.md: duplicates are harmless, idempotent by event_id,
    no bound promised), so they are reported, not bounded."""
    for count in counts.values():
        assert count.missing == 0, f"{count.missing} accepted events never on {count.topic}"


def conversation_contacts(settings: Settings, changelog: str, keys: set[str]) -> dict[str, int]:
    """Inbound contacts the router remembers per conversation: the latest value of each
    key on the route worker's table changelog (JSON keys and values), read in full."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        max_partition_fetch_bytes=MAX_RECORD,
    )
    try:
        partitions = [
            TopicPartition(changelog, p) for p in consumer.partitions_for_topic(changelog) or ()
        ]
        assert partitions, f"no changelog topic {changelog}"
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        latest: dict[str, dict | None] = {}
        deadline = time.monotonic() + 120
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, f"could not read {changelog}"
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    key = json.loads(record.key)
                    if key in keys:
                        latest[key] = json.loads(record.value) if record.value else None
    finally:
        consumer.close()
    return {key: _contacts(state) for key, state in latest.items() if state is not None}


def _contacts(state: dict) -> int:
    # Contacts are kept by event id (inbound and the brand's replies); a state written
    # before routing was idempotent kept only the time of each inbound message.
    if "contacts" in state:
        return sum(1 for c in state["contacts"].values() if c.get("inbound", True))
    return len(state.get("inbound_at", []))
