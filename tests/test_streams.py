"""The shared batch loop's decisions: whose fault a failure is, and what goes to the DLQ.

Pure logic with stand-in events (the loop only reads their message's topic, partition,
offset, key and value); the workers' tests run it against the real Kafka.
"""

import asyncio
import json
from types import SimpleNamespace

import pytest
from elastic_transport import ConnectionError as EsConnectionError
from structlog.testing import capture_logs

from socialcare import streams
from socialcare.schema import DeadLetter, Event
from socialcare.streams import Outgoing, run_batch

DLQ = SimpleNamespace(name="dlq")
SINK = SimpleNamespace(name="sink")
SECRET = "Call me on +49 151 2345678, my card is 4111 1111 1111 1111"


def record(offset: int, value: bytes = b"{}") -> SimpleNamespace:
    message = SimpleNamespace(
        topic="social.events.raw", partition=0, offset=offset, key=b"k", value=value
    )
    return SimpleNamespace(message=message)


def output(event) -> Outgoing:
    return Outgoing(SINK, None, str(event.message.offset).encode())


def letters(outgoing: list[Outgoing]) -> dict[int, DeadLetter]:
    found = (DeadLetter.model_validate_json(o.value) for o in outgoing if o.topic is DLQ)
    return {letter.offset: letter for letter in found}


def run(batch, handle, budget=None) -> list[Outgoing]:
    return asyncio.run(run_batch(batch, handle, service="test", dlq=DLQ, budget=budget))


def test_a_record_that_breaks_the_handler_is_a_dead_letter_and_the_rest_goes_on():
    calls: list[list[int]] = []

    async def handle(batch):
        calls.append([e.message.offset for e in batch])
        if any(e.message.offset == 2 for e in batch):
            raise KeyError("no such field")
        return [output(e) for e in batch]

    outgoing = run([record(n) for n in range(5)], handle)
    assert [o.value for o in outgoing if o.topic is SINK] == [b"0", b"1", b"3", b"4"]
    dead = letters(outgoing)
    assert list(dead) == [2]
    assert dead[2].error_type == "KeyError" and "no such field" in dead[2].error
    assert calls == [[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]


def test_a_record_that_overruns_the_budget_is_a_dead_letter_and_the_rest_goes_on():
    never = asyncio.Event()

    async def handle(batch):
        if any(e.message.offset == 1 for e in batch):
            await never.wait()  # stands in for work that never ends
        return [output(e) for e in batch]

    outgoing = run([record(n) for n in range(3)], handle, budget=0.5)
    assert [o.value for o in outgoing if o.topic is SINK] == [b"0", b"2"]
    dead = letters(outgoing)
    assert list(dead) == [1]
    assert dead[1].error_type == "BudgetExceeded" and "0.5 s budget" in dead[1].error


def test_a_timeout_raised_by_the_work_itself_is_not_taken_for_the_budget():
    async def handle(batch):
        if batch[0].message.offset == 0:
            raise ValueError("bad")
        return [output(e) for e in batch]

    # No budget overrun: the budget is long, the failure is the record's own.
    dead = letters(run([record(0), record(1)], handle, budget=60))
    assert dead[0].error_type == "ValueError"


def test_infrastructure_errors_are_retried_never_dead_lettered(monkeypatch):
    monkeypatch.setattr(streams, "_RETRY_BACKOFF", (0.0,))
    failures = [EsConnectionError("es down"), TimeoutError(), EsConnectionError("still")]

    async def handle(batch):
        if failures:
            raise failures.pop(0)
        return [output(e) for e in batch]

    outgoing = run([record(0), record(1)], handle)
    assert [o.value for o in outgoing] == [b"0", b"1"]


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"platform": "twitter", "text": SECRET}).encode(),
        b'{"text": "' + SECRET.encode() + b'", ',  # not even JSON
    ],
)
def test_dead_letter_logs_name_fields_and_error_types_never_values(value):
    try:
        Event.model_validate_json(value)
    except Exception as exc:  # a pydantic ValidationError, whose str() quotes the input
        error = exc
    assert "4111" in str(error)  # pydantic quotes (some of) the input
    with capture_logs() as logs:
        outgoing = streams.dead_letter(DLQ, "test", record(7, value), error)
    (entry,) = [e for e in logs if e["event"] == "stream.dead_letter"]
    assert entry["error_type"] == "ValidationError"
    assert entry["errors"] and all(set(e) == {"loc", "type"} for e in entry["errors"])
    assert "+49 151" not in repr(entry) and "4111" not in repr(entry)
    letter = DeadLetter.model_validate_json(outgoing.value)
    assert "+49 151" not in letter.error  # the reason; the original bytes are kept apart
    assert letter.original_value() == value
