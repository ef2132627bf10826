"""The ``socialcare`` command: one entry point, a subcommand group per service role."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import typer

from socialcare import schema_export
from socialcare.alerts.cli import app as alerts_app
from socialcare.classify.cli import app as classify_app
from socialcare.conversations.cli import app as conversations_app
from socialcare.index.cli import app as index_app
from socialcare.ingest.cli import app as ingest_app
from socialcare.listen.cli import app as listen_app
from socialcare.logging import configure_logging, log_id
from socialcare.respond.cli import app as respond_app
from socialcare.route.cli import app as route_app
from socialcare.search.cli import app as search_app
from socialcare.settings import Settings

app = typer.Typer(
    help=(
        "Social care pipeline: ingest platform webhooks, classify intent and sentiment, "
        "route to language and skill queues, search the history. Configuration comes from "
        "SOCIALCARE_* environment variables (see README)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(classify_app, name="classify")
app.add_typer(route_app, name="route")
app.add_typer(respond_app, name="respond")
app.add_typer(conversations_app, name="conversations")
app.add_typer(alerts_app, name="alerts")
app.add_typer(listen_app, name="listen")
app.add_typer(index_app, name="index")
app.add_typer(search_app, name="search")

# The local stack and the demo live in devtools/ (package socialcare_dev), which the
# production image does not install.
DEVELOPMENT_COMMANDS = {
    "stack": "run a local Kafka and Elasticsearch",
    "demo": "the whole pipeline locally on sample traffic",
    "emulator": "a local emulator of the platforms' send APIs",
}

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
def provision() -> None:
    """Create the pipeline's topics and the events index where they are missing
    (idempotent: run before the services start, in every environment)."""
    from socialcare.provision import provision as run

    run(Settings())
    typer.echo("topics and index are in place")


def _add_development_commands() -> None:
    """Add the commands of installed development tools (``socialcare.commands`` entry
    points: ``stack`` and ``demo`` from devtools/), or say how to get them."""
    found = {entry.name: entry for entry in entry_points(group="socialcare.commands")}
    for name in DEVELOPMENT_COMMANDS:
        if name in found:
            command = found[name].load()
            if isinstance(command, typer.Typer):
                app.add_typer(command, name=name)
            else:
                app.command(name)(command)
        else:
            app.command(
                name,
                help=f"({DEVELOPMENT_COMMANDS[name]}; needs the development tools)",
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            )(_missing_development_tools)


def _missing_development_tools() -> None:
    typer.secho(
        "this command is a development tool, not part of the product: install it with "
        "`pip install -e ./devtools` from a clone of the repository (scripts/bootstrap.sh "
        "does this)",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(2)


_add_development_commands()


def main() -> None:
    app()
