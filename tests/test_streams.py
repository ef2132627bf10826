"""The shared batch loop's decisions: whose fault a failure is, and what goes to the DLQ.

Pure logic with stand-in events (the loop only reads their message's topic, partition,
offset, key and value); the workers' tests run it against the real Kafka.
"""

import asyncio
import json
from types import SimpleNamespace

import pytest
import structlog
from elastic_transport import ConnectionError as EsConnectionError
from structlog.testing import capture_logs

from socialcare import retry, streams
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


@pytest.fixture
def fresh_loggers(monkeypatch):
    """Module loggers that capture_logs() can see: once the CLI configured structlog
    with cache_logger_on_first_use, a module logger used before keeps its processors."""
    monkeypatch.setattr(streams, "log", structlog.get_logger("socialcare.streams"))
    monkeypatch.setattr(retry, "log", structlog.get_logger("socialcare.retry"))


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
    monkeypatch.setattr(retry, "WAITS", (0.0,))
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
def test_dead_letter_logs_name_fields_and_error_types_never_values(value, fresh_loggers):
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


def test_unacknowledged_output_is_sent_again_until_kafka_takes_it(monkeypatch, fresh_loggers):
    monkeypatch.setattr(retry, "WAITS", (0.0,))
    sent: list[bytes] = []

    class Topic:
        name = "sink"

        async def send(self, key, value, headers):
            sent.append(value)
            future = asyncio.get_running_loop().create_future()
            if value == b"b" and sent.count(b"b") < 3:
                future.set_exception(ConnectionError("broker away"))
            else:
                future.set_result(None)
            return future

    topic = Topic()
    messages = [Outgoing(topic, None, b"a"), Outgoing(topic, None, b"b")]
    with capture_logs() as logs:
        asyncio.run(streams.send_acknowledged(messages, service="test"))
    assert sent == [b"a", b"b", b"b", b"b"]  # only the failed one again
    retries = [e for e in logs if e["event"] == "stream.send_retry"]
    assert [(e["failed"], e["retry_in"]) for e in retries] == [(1, 0.0), (1, 0.0)]


def test_the_back_off_waits_grow_then_stay_at_ten_seconds(monkeypatch):
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    failures = iter(range(7))

    async def attempt() -> str:
        if next(failures, None) is not None:
            raise TimeoutError
        return "done"

    async def run_it() -> str:
        return await retry.retry_forever(
            attempt, retry_on=streams.is_infrastructure, event="test.retry"
        )

    assert asyncio.run(run_it()) == "done"
    assert waits == [0.5, 1.0, 2.0, 5.0, 10.0, 10.0, 10.0]


def test_a_record_error_is_raised_at_once_without_a_retry():
    calls = []

    async def attempt() -> None:
        calls.append(1)
        raise ValueError("the record's own")

    with pytest.raises(ValueError):
        asyncio.run(
            retry.retry_forever(attempt, retry_on=streams.is_infrastructure, event="test.retry")
        )
    assert calls == [1]
