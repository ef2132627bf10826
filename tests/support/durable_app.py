"""The durability tests' own faust worker (tests/test_streams_durability.py).

It reads $DURABLE_SOURCE and writes one record per input record, with the same key
and value, to $DURABLE_OUTPUT through `socialcare.streams` ($DURABLE_LOOP: `durably`
for process_durably, `batches` for process_batches). Each handled input offset is
appended to $DURABLE_HANDLED. With $DURABLE_DIE_AT the worker SIGKILLs itself around
the output of the record at offset $DURABLE_DIE_OFFSET:

- `before_ack`: that record was handled, its output never reaches Kafka;
- `after_ack`: Kafka acknowledged its output, its input offset is not committed yet.

The crash is placed by wrapping the output topic here, never in the product.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from faust.types import EventT

from socialcare import streams
from socialcare.kafka import faust_app, run_worker
from socialcare.logging import configure_logging
from socialcare.offsets import offset_guard
from socialcare.settings import Settings

ENV = os.environ
DIE_AT = ENV.get("DURABLE_DIE_AT", "")
DIE_OFFSET = int(ENV.get("DURABLE_DIE_OFFSET", "-1"))
SERVICE = "durability-test"

# Commit after every acked record, often: the committed offset follows the acks
# closely. The shortest session the broker allows: a restarted worker joins without
# waiting a minute for the killed one to be dropped from the group.
SETTINGS = Settings()
app = faust_app(
    ENV["DURABLE_APP_ID"],
    SETTINGS,
    broker_commit_every=1,
    broker_commit_interval=0.1,
    broker_session_timeout=6.0,
    broker_heartbeat_interval=1.0,
)
source = app.topic(ENV["DURABLE_SOURCE"], key_serializer="raw", value_serializer="raw")
output = app.topic(ENV["DURABLE_OUTPUT"], key_serializer="raw", value_serializer="raw")
dlq = app.topic(ENV["DURABLE_DLQ"], key_serializer="raw", value_serializer="raw")
handled = open(ENV["DURABLE_HANDLED"], "a", buffering=1)  # noqa: SIM115 - for the process's life


def crash() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingOutput:
    """The output topic, with the crash placed around one input record's output."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    async def send(self, **message: Any) -> Any:
        dies = self.offset == DIE_OFFSET
        if dies and DIE_AT == "before_ack":
            crash()
        acknowledgement = await output.send(**message)
        if dies and DIE_AT == "after_ack":
            await acknowledgement
            crash()
        return acknowledgement


def outgoing(event: EventT) -> streams.Outgoing:
    handled.write(f"{event.message.offset}\n")
    return streams.Outgoing(CrashingOutput(event.message.offset), event.key, event.value)  # type: ignore[arg-type]


async def handle_batch(batch: list[EventT]) -> list[streams.Outgoing]:
    return [outgoing(event) for event in batch]


@app.agent(source)
async def copy(stream: Any) -> None:
    guard = offset_guard(app, SETTINGS)
    if ENV["DURABLE_LOOP"] == "durably":
        await streams.process_durably(
            stream, lambda event: [outgoing(event)], service=SERVICE, guard=guard
        )
    else:
        await streams.process_batches(
            stream, handle_batch, service=SERVICE, size=3, within=0.2, dlq=dlq, guard=guard
        )


if __name__ == "__main__":
    configure_logging("WARNING", service=SERVICE)  # so a crash of the agent is in the log
    run_worker(app, "WARNING")
