"""Replaying a JSONL file of events through ingest (HTTP) or straight into Kafka."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from socialcare.erasure import ErasureFollower
from socialcare.ingest.publisher import EventPublisher
from socialcare.ingest.settings import IngestSettings
from socialcare.schema import Event


def load_events(path: Path) -> list[Event]:
    events = []
    now = datetime.now(UTC).isoformat()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(Event.model_validate({"received_at": now, **json.loads(line)}))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise typer.BadParameter(f"{path}:{number}: {exc}") from exc
    return events


def drop_erased(events: list[Event], settings: IngestSettings | None = None) -> list[Event]:
    """The events no erasure covers: a replay never brings an erased person back."""
    follower = ErasureFollower(settings or IngestSettings())
    try:
        follower.sync()
        return [e for e in events if not follower.covers(e)]
    finally:
        follower.stop()


def replay_file(
    path: Path, *, url: str, api_key: str | None, to_kafka: bool, batch_size: int
) -> None:
    loaded = load_events(path)
    events = drop_erased(loaded)
    if erased := len(loaded) - len(events):
        typer.echo(f"skipped {erased} events of erased customers")
    batches = [events[i : i + batch_size] for i in range(0, len(events), batch_size)]
    accepted = duplicates = 0
    columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("events", total=len(events))
        if to_kafka:
            settings = IngestSettings()
            publisher = EventPublisher(settings, settings.ingest_publish_timeout_seconds)
            try:
                for batch in batches:
                    publisher.publish(batch)
                    accepted += len(batch)
                    progress.advance(task, len(batch))
            finally:
                publisher.close()
        else:
            headers = {"X-API-Key": api_key} if api_key else {}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                for batch in batches:
                    body = "[" + ",".join(e.model_dump_json() for e in batch) + "]"
                    response = client.post(
                        "/v1/events", content=body, headers={"Content-Type": "application/json"}
                    )
                    if response.status_code != 200:
                        raise typer.BadParameter(
                            f"ingest answered {response.status_code}: {response.text}"
                        )
                    result = response.json()
                    accepted += result["accepted"]
                    duplicates += result["duplicates"]
                    progress.advance(task, len(batch))
    typer.echo(f"replayed {len(events)} events: {accepted} accepted, {duplicates} duplicates")
