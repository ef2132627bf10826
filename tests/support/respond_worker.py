"""A respond worker and the platform emulator, each as its own process, for the
respond tests; and the reply actions they send."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socialcare import kafka
from socialcare.schema import Action, ActionType, Actor, ActorKind, Kind, ReplyTarget
from socialcare.settings import Settings
from socialcare.topics import ACTIONS
from socialcare_dev.emulator.clients import respond_env
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess, free_port
from tests.support.worker_process import worker_process


def emulator_process(workdir: Path) -> tuple[ServiceProcess, str]:
    """(the emulator, its base URL); a timeout fault hangs 3 s."""
    port = free_port()
    process = ServiceProcess(
        ["emulator", "serve", "--port", str(port), "--hang-seconds", "3"],
        env={},
        ready_url=f"http://127.0.0.1:{port}/healthz",
        log=workdir / "emulator.log",
    )
    return process, f"http://127.0.0.1:{port}"


def respond_worker(
    settings: Settings,
    workdir: Path,
    name: str,
    emulator: str,
    group: str | None = None,
    **env: str,
) -> tuple[ServiceProcess, str]:
    """(the worker, its consumer group): a group of its own starting at the end of
    support.actions (or ``group``, to restart one), sending to ``emulator``."""
    group = group or fresh_group(settings, f"socialcare-respond-it-{name}", ACTIONS.name)
    worker = worker_process(
        "respond",
        group,
        workdir,
        name,
        {
            "SOCIALCARE_RESPOND_HTTP_TIMEOUT_SECONDS": "2",
            **respond_env(emulator),
            **env,
        },
    )
    return worker, group


def reply(platform: str, kind: Kind, message: str, *, action_id: str | None = None) -> Action:
    """A reply to a customer's message; its text and conversation are unique to it."""
    run = uuid.uuid4().hex[:10]
    now = datetime.now(UTC)
    return Action(
        action_id=action_id or f"it-{run}",
        type=ActionType.reply,
        conversation_id=f"{platform}:it-{run}",
        actor=Actor(kind=ActorKind.agent, id="agent-it"),
        requested_at=now,
        text=f"Thanks, we are on it ({run})",
        reply_to=ReplyTarget(
            event_id=f"{platform}:{message}",
            platform=platform,
            brand_account_id="1001",
            kind=kind,
            platform_message_id=message,
            recipient_id="1500",
            customer_wrote_at=now,
        ),
    )


def publish_actions(settings: Settings, *actions: Action) -> None:
    producer = kafka.producer(settings)
    for action in actions:
        producer.send(ACTIONS.name, key=action.key, value=action.to_bytes())
    producer.flush(timeout=30)
    producer.close()


def emulator_calls(base: str, text: str) -> list[dict[str, Any]]:
    """What the emulator received whose body carries ``text``, oldest first."""
    with urllib.request.urlopen(f"{base}/_emulator/requests", timeout=10) as answer:
        records = json.load(answer)["requests"]
    return [r for r in records if text in json.dumps(r["body"], ensure_ascii=False)]


def add_fault(base: str, **spec: Any) -> None:
    request = urllib.request.Request(
        f"{base}/_emulator/faults",
        data=json.dumps(spec).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
