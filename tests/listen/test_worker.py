"""The listening poller as a process on the real Kafka, searching the platform emulator
(a process too): every post about the brand once on social.events.raw as
kind=listening, across pages, through a 429 and across a restart."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from socialcare import kafka
from socialcare.schema import Event, Kind
from socialcare.topics import LISTENING_POSITIONS, RAW
from socialcare_dev.pipeline import ServiceProcess
from tests.support.kafka_tail import TopicTail
from tests.support.respond_worker import add_fault, emulator_process
from tests.support.worker_process import worker_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("listen")


@pytest.fixture(scope="module")
def emulator(stack, settings, workdir):
    kafka.ensure_topics(settings, [LISTENING_POSITIONS])
    process, base = emulator_process(workdir)
    process.start()
    yield base
    process.stop()


class Brand:
    """A brand of its own (a name and a term no other test uses) and its rules file."""

    def __init__(self, workdir: Path) -> None:
        run = uuid.uuid4().hex[:8]
        self.name = f"it-{run}"
        self.term = f"Zq{run}"
        self.rules = workdir / f"listening-{run}.yaml"
        self.rules.write_text(
            f"version: 1\nbrands:\n  - name: {self.name}\n    terms:\n      any: [{self.term}]\n"
            f"    exclude:\n      any: [we are hiring]\n"
            f'    own_accounts:\n      twitter: ["1550000000000000009"]\n'
        )

    def posts(self, count: int, start: int = 0) -> list[str]:
        return [f"{self.term} no signal for {i} days" for i in range(start, start + count)]

    def is_ours(self, record: Any) -> bool:
        return self.term.encode() in record.value


def poller(workdir: Path, name: str, emulator: str, brand: Brand) -> ServiceProcess:
    return worker_process(
        "listen",
        f"socialcare-listen-it-{name}",
        workdir,
        name,
        {
            "SOCIALCARE_LISTEN_X_BASE_URL": emulator,
            "SOCIALCARE_LISTEN_X_BEARER_TOKEN": "x-token",
            "SOCIALCARE_LISTEN_POLL_INTERVAL_SECONDS": "0.5",
            "SOCIALCARE_LISTEN_MAX_RESULTS": "10",
            "SOCIALCARE_LISTENING_CONFIG": str(brand.rules),
        },
    )


def seed(emulator: str, texts: list[str], **fields: Any) -> list[str]:
    body = json.dumps({"tweets": [{"text": t, **fields} for t in texts]}).encode()
    request = urllib.request.Request(
        f"{emulator}/_emulator/x/tweets",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return [t["id"] for t in json.load(answer)]


def searches(emulator: str, brand: Brand) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{emulator}/_emulator/requests?platform=x", timeout=10) as answer:
        records = json.load(answer)["requests"]
    return [
        r
        for r in records
        if r["endpoint"] == "search_recent" and brand.term in r["query"].get("query", "")
    ]


def published(tail: TopicTail, brand: Brand, expect: int) -> list[Event]:
    records = tail.read(expect=expect, timeout=60, settle=2.0, match=brand.is_ours)
    return [Event.model_validate_json(r.value) for r in records]


def test_posts_across_two_pages_are_published_once_as_listening(settings, emulator, workdir):
    brand = Brand(workdir)
    ids = seed(emulator, brand.posts(15), author_id="42", username="ana", lang="hr")
    seed(emulator, [f"{brand.term}: we are hiring"])  # excluded by the rules
    tail = TopicTail(settings, RAW.name)
    process = poller(workdir, "pages", emulator, brand)
    process.start()
    try:
        events = published(tail, brand, expect=15)
    finally:
        process.stop()
        tail.close()
    assert sorted(e.platform_message_id for e in events) == sorted(ids)
    assert {e.kind for e in events} == {Kind.listening}
    assert {e.brand_account_id for e in events} == {"1550000000000000009"}
    first = searches(emulator, brand)[0]
    assert first["query"]["max_results"] == "10" and "since_id" not in first["query"]
    assert any("next_token" in r["query"] for r in searches(emulator, brand))


def test_a_429_is_waited_out_and_the_search_resumes(settings, emulator, workdir):
    brand = Brand(workdir)
    tail = TopicTail(settings, RAW.name)
    process = poller(workdir, "limited", emulator, brand)
    process.start()
    try:
        add_fault(emulator, platform="x", kind="rate_limit", retry_after=3)
        ids = seed(emulator, brand.posts(3))
        events = published(tail, brand, expect=3)
    finally:
        process.stop()
        tail.close()
    assert sorted(e.platform_message_id for e in events) == sorted(ids)
    calls = searches(emulator, brand)
    limited = next(i for i, r in enumerate(calls) if r["status"] == 429)
    retried = calls[limited + 1]
    waited = _seconds(retried["received_at"]) - _seconds(calls[limited]["received_at"])
    assert retried["status"] == 200 and waited >= 2.5


def test_a_restarted_poller_picks_up_what_was_posted_while_it_was_down(settings, emulator, workdir):
    brand = Brand(workdir)
    tail = TopicTail(settings, RAW.name)
    before = seed(emulator, brand.posts(12))
    first = poller(workdir, "before", emulator, brand)
    first.start()
    try:
        assert len(published(tail, brand, expect=12)) == 12
    finally:
        first.stop()
    during = seed(emulator, brand.posts(4, start=100))
    second = poller(workdir, "after", emulator, brand)
    second.start()
    try:
        events = published(tail, brand, expect=16)
        since = [r["query"].get("since_id") for r in searches(emulator, brand)]
    finally:
        second.stop()
        tail.close()
    counts = {i: [e.platform_message_id for e in events].count(i) for i in before + during}
    assert set(counts.values()) == {1}, counts  # no gap, no repeat
    assert before[-1] in since  # the second poller went on from the first one's position


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
