"""``socialcare demo``: registered with the ``socialcare`` CLI by this package's entry
point (``socialcare.commands``)."""

from __future__ import annotations

import typer

from socialcare_dev.settings import StackSettings


def demo_app(
    events: int = typer.Option(600, min=1, help="Webhooks to send (one message each)."),
    rate: float = typer.Option(40.0, min=0.1, help="Webhooks per second."),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Leave the stack and services up; Ctrl-C stops them."
    ),
) -> None:
    """The whole pipeline locally: start Kafka, Elasticsearch and the five services,
    post signed multilingual webhooks (with a defect spike), wait until every event is
    searchable and print a summary with example searches."""
    from socialcare_dev.demo import run

    run(StackSettings(), events=events, rate=rate, keep_running=keep_running)
