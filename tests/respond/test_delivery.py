"""Retries of one send: the platform's wait is honoured, refusals end it, a lost
partition gives it up. A fake transport in place of HTTP; no network."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from socialcare.respond.delivery import PartitionLost, deliver
from socialcare.respond.senders import PermanentFailure, PlatformResponse, SendRequest, senders
from socialcare.respond.settings import RespondSettings
from socialcare.schema import Kind, ReplyTarget

SENDER = senders(RespondSettings(respond_telegram_bot_token="t"))["telegram"]
TARGET = ReplyTarget(
    event_id="telegram:1:2",
    platform="telegram",
    brand_account_id="bot",
    kind=Kind.dm,
    platform_message_id="1:2",
    recipient_id="1",
    customer_wrote_at=datetime.now(UTC) - timedelta(minutes=5),
)
OK = PlatformResponse(200, {}, b'{"ok": true, "result": {"message_id": 3, "chat": {"id": 1}}}')


class Script:
    """Answers each call with the next response; records when it was called."""

    def __init__(self, *responses: PlatformResponse) -> None:
        self.responses = list(responses)
        self.calls: list[float] = []

    async def __call__(self, request: SendRequest) -> PlatformResponse:
        self.calls.append(time.monotonic())
        return self.responses.pop(0)


def run(transport, owned=lambda: True) -> str:
    return asyncio.run(deliver(SENDER, TARGET, "hi", transport, owned, action_id="a1"))


def test_a_rate_limit_is_waited_out_as_long_as_the_platform_asks():
    limited = PlatformResponse(429, {"retry-after": "0.4"}, b'{"ok": false, "error_code": 429}')
    script = Script(limited, OK)
    assert run(script) == "1:3"
    assert len(script.calls) == 2
    assert script.calls[1] - script.calls[0] >= 0.4


def test_a_refusal_is_not_retried():
    blocked = PlatformResponse(
        403, {}, b'{"ok": false, "error_code": 403, "description": "Forbidden: blocked"}'
    )
    script = Script(blocked, OK)
    with pytest.raises(PermanentFailure, match="Forbidden: blocked"):
        run(script)
    assert len(script.calls) == 1


def test_the_retry_is_given_up_when_the_partition_went_to_another_worker():
    unavailable = PlatformResponse(503, {"retry-after": "0"}, b"")
    script = Script(unavailable, OK)
    with pytest.raises(PartitionLost):
        run(script, owned=lambda: False)
    assert len(script.calls) == 1
