"""Property tests of every platform adapter: whatever JSON arrives under a valid
signature, ingest answers a 4xx with a reason or takes it, and what it takes is a
whole event of the shared schema, never a half-normalized one.

Two kinds of input per adapter: arbitrary JSON, which mostly exercises the outer
checks, and the platform's own payloads (the fixtures) with a few leaves replaced by
arbitrary JSON or removed, which gets deep into each adapter. Seeds are fixed
(derandomize) and example counts bounded, so a run is repeatable and takes seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare.ingest.adapters import BadPayload, Context, generic, meta, telegram, twitter, viber
from socialcare.ingest.app import create_app
from socialcare.ingest.metrics import IGNORED_TYPES, IGNORING_PLATFORMS, ignored_label
from socialcare.listening import ListeningRules
from socialcare.schema import KNOWN_PLATFORMS, RESERVED_PLATFORMS, Event
from tests.support.events import event_data
from tests.support.webhooks import RecordingPublisher, signed_headers, unit_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
CTX = Context(
    received_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    brand_handles=frozenset({"voltmobile"}),
    listening=ListeningRules.from_keywords(("voltmobile", "volt mobile")),
)

# adapter module, its endpoint, and the fixtures that are its platform's payloads
ADAPTERS = {
    "meta": (meta, "/webhooks/meta", "meta_*.json"),
    "twitter": (twitter, "/webhooks/twitter", "twitter_*.json"),
    "viber": (viber, "/webhooks/viber", "viber_*.json"),
    "telegram": (telegram, "/webhooks/telegram", "telegram_*.json"),
    "generic": (generic, "/v1/events", None),
}


def payloads(name: str) -> list[Any]:
    pattern = ADAPTERS[name][2]
    if pattern is None:
        custom = event_data(1, platform="trustpilot", conversation_id="trustpilot:t-1")
        return [custom, [custom, {**custom, "platform_message_id": "2"}]]
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob(pattern))]


# Values that broke parsers before: overflowing and negative times, huge numbers, the
# wrong types, texts that make regexes backtrack.
EDGES = st.sampled_from(
    [
        1e20,
        -1e300,
        10**30,
        -1,
        0,
        2**63,
        1.5,
        "",
        "1e20",
        "nan",
        "@" * 2000,
        "a@" * 1000,
        "." * 2000,
        "#" * 2000,
        "x" * 300,
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "Mon Jan 01 00:00:00 +2359 0001",
        True,
        None,
        [],
        {},
    ]
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    EDGES,
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document, containers included."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(document: Any, path: tuple, new: Any, delete: bool) -> Any:
    """A copy of the document with the value at path replaced (or removed)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        copy = dict(document)
        if rest:
            copy[head] = _replace(copy[head], rest, new, delete)
        elif delete:
            del copy[head]
        else:
            copy[head] = new
        return copy
    copy = list(document)
    copy[head] = _replace(copy[head], rest, new, delete) if rest else new
    return copy


@st.composite
def platform_shaped(draw: st.DrawFn, name: str) -> Any:
    """One of the platform's payloads with up to four values replaced or removed."""
    documents = payloads(name)
    document = documents[draw(st.integers(0, len(documents) - 1))]
    # Mostly few changes: each one tends to make the payload invalid.
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 4]))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        delete = draw(st.booleans()) and isinstance(path[-1], str)
        document = _replace(document, path, draw(ANY_JSON), delete)
    return document


def bodies(name: str) -> st.SearchStrategy[bytes]:
    documents = st.one_of(ANY_JSON, platform_shaped(name), platform_shaped(name))
    return documents.map(lambda d: json.dumps(d).encode())


def check_taken(name: str, events: list[Event]) -> None:
    """A taken event is whole: it survives its own wire format and names a platform
    its source may use."""
    for event in events:
        again = Event.model_validate_json(event.to_bytes())
        assert again == event
        assert event.event_id == f"{event.platform}:{event.platform_message_id}"
        if name == "generic":
            assert event.platform not in RESERVED_PLATFORMS
        else:
            assert event.platform in KNOWN_PLATFORMS


PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_adapters_take_whole_events_or_answer_a_4xx(name):
    adapter = ADAPTERS[name][0]
    outcomes = {"taken": 0, "refused": 0}

    @PROPERTY
    @given(body=bodies(name))
    def check(body: bytes) -> None:
        try:
            parsed = adapter.parse({}, body, CTX)
        except BadPayload as refused:
            assert 400 <= refused.status < 500
            assert refused.reason
            outcomes["refused"] += 1
            return
        check_taken(name, parsed.events)
        assert all(ignored_label(kind) for kind in parsed.ignored)
        outcomes["taken"] += 1

    check()
    # The platform-shaped inputs reach the adapters' happy path, not only the errors.
    assert outcomes["taken"] > 5, outcomes
    assert outcomes["refused"] > 10, outcomes


@pytest.fixture(scope="module")
def app_and_publisher():
    publisher = RecordingPublisher()
    settings_ = unit_settings(brand_handles=["voltmobile"], listening_keywords=["voltmobile"])
    with TestClient(create_app(settings_, publisher)) as client:
        yield client, publisher


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_signed_deliveries_never_get_a_5xx_nor_publish_half_events(name, app_and_publisher):
    client, publisher = app_and_publisher
    path = ADAPTERS[name][1]

    @settings(PROPERTY, max_examples=60)
    @given(body=bodies(name))
    def check(body: bytes) -> None:
        published_before = len(publisher.published)
        response = client.post(path, content=body, headers=signed_headers(path, body))
        assert response.status_code < 500, response.text
        new = publisher.published[published_before:]
        if response.status_code == 200:
            result = response.json()
            assert result["accepted"] == len(new)
            check_taken(name, new)
        else:
            assert isinstance(response.json()["detail"], str)
            assert new == []

    check()
    metrics = client.get("/metrics/").text
    labels = {
        line.split('type="')[1].split('"')[0]
        for line in metrics.splitlines()
        if line.startswith("socialcare_ingest_ignored_total{")
    }
    assert labels <= IGNORED_TYPES | {f"{p}:other" for p in IGNORING_PLATFORMS} | {"other"}
