"""``socialcare demo``: registered with the ``socialcare`` CLI by this package's entry
point (``socialcare.commands``)."""

from __future__ import annotations

from pathlib import Path

import typer

from socialcare_dev.settings import StackSettings


def demo_app(
    events: int = typer.Option(600, min=1, help="Webhooks to send (one message each)."),
    rate: float = typer.Option(40.0, min=0.1, help="Webhooks per second."),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Leave the stack and services up; Ctrl-C stops them."
    ),
    summary_json: Path | None = typer.Option(
        None,
        "--summary-json",
        dir_okay=False,
        writable=True,
        help="Also write the summary's figures to this file as one JSON object (events and "
        "replies sent per platform, conversations per status, first-response p50/p90 ms).",
    ),
) -> None:
    """The whole pipeline locally: start Kafka, Elasticsearch, the services and a
    platform emulator; post signed multilingual webhooks on seven platforms (with a
    defect spike), wait until every event is searchable, let a simulated agent and help
    desk answer and resolve, let a few customers write again, and print a summary with
    example searches."""
    from socialcare_dev.demo import run

    run(
        StackSettings(),
        events=events,
        rate=rate,
        keep_running=keep_running,
        summary_json=summary_json,
    )
