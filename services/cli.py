"""The ``socialcare`` command: one entry point, a subcommand group per service role."""

from __future__ import annotations

from pathlib import Path

import typer

from services.classify.cli import app as classify_app
from services.ingest.cli import app as ingest_app
from services.route.cli import app as route_app
from services.search.cli import app as search_app
from socialcare import schema_export
from socialcare.logging import configure_logging, log_id
from socialcare.settings import Settings
from socialcare.stack.cli import app as stack_app

app = typer.Typer(
    help=(
        "Social care pipeline: ingest platform webhooks, classify intent and sentiment, "
        "route to language and skill queues, search the history. Configuration comes from "
        "SOCIALCARE_* environment variables (see README)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(stack_app, name="stack")
app.add_typer(ingest_app, name="ingest")
app.add_typer(classify_app, name="classify")
app.add_typer(route_app, name="route")
app.add_typer(search_app, name="search")

schema_app = typer.Typer(help="The event schema as JSON Schema, per topic.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@app.callback()
def _configure() -> None:
    settings = Settings()
    key = settings.log_id_key.get_secret_value().encode() if settings.log_id_key else None
    configure_logging(settings.log_level, settings.log_format, id_key=key)


@app.command("log-id")
def log_id_cmd(
    ids: list[str] = typer.Argument(..., help="Event, conversation or author ids."),
) -> None:
    """The hash that stands for each id in the logs (they carry no personal ids), with
    this deployment's SOCIALCARE_LOG_ID_KEY: grep the logs for it."""
    for value in ids:
        typer.echo(f"{log_id(value)}  {value}")


@schema_app.command("export")
def schema_export_cmd(
    dest: Path = typer.Option(
        schema_export.DEFAULT_DIR, help="Directory to write <topic>.schema.json files into."
    ),
) -> None:
    """Write the JSON Schema of every topic's messages (regenerate after a model change)."""
    for path in schema_export.export(dest):
        typer.echo(path)


@app.command()
def demo(
    events: int = typer.Option(600, min=1, help="Webhooks to send (one message each)."),
    rate: float = typer.Option(40.0, min=0.1, help="Webhooks per second."),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Leave the stack and services up; Ctrl-C stops them."
    ),
) -> None:
    """The whole pipeline locally: start Kafka, Elasticsearch and the five services,
    post signed multilingual webhooks (with a defect spike), wait until every event is
    searchable and print a summary with example searches."""
    from services.demo import run

    run(Settings(), events=events, rate=rate, keep_running=keep_running)


def main() -> None:
    app()
