"""``socialcare stack``: run the local Kafka + Elasticsearch stack."""

from __future__ import annotations

import typer

from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack, StackError

app = typer.Typer(
    help=(
        "Run a real single-node Kafka broker and Elasticsearch node on this machine, "
        "without Docker. Downloads come from Maven Central on the first `up` and are "
        "cached under SOCIALCARE_STACK_DIR (default .stack/)."
    ),
    no_args_is_help=True,
)


def _fail(exc: StackError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def up() -> None:
    """Install if needed, start Kafka and Elasticsearch, wait until both answer, then
    create the topics and the index template. A second `up` is a no-op."""
    settings = StackSettings()
    try:
        timings = LocalStack(settings).up()
    except StackError as exc:
        _fail(exc)
    total = sum(timings.values())
    typer.echo(
        f"stack up: Kafka at {settings.kafka_bootstrap_servers}, Elasticsearch at "
        f"{settings.elasticsearch_url}" + (f" (started in {total:.1f} s)" if timings else "")
    )


@app.command()
def down() -> None:
    """Stop both servers (SIGTERM, then SIGKILL after 60 s). Data stays on disk."""
    stopped = LocalStack(StackSettings()).down()
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status() -> None:
    """Show each server's address, pid, readiness and log files; exit 1 unless all ready."""
    statuses = LocalStack(StackSettings()).status()
    for s in statuses:
        state = "ready" if s.ready else ("starting" if s.pid else "stopped")
        typer.echo(f"{s.name:<14} {state:<9} {s.address:<24} pid={s.pid or '-'}")
        for log in s.logs:
            typer.echo(f"{'':<14} log: {log}")
    if not all(s.ready for s in statuses):
        raise typer.Exit(1)
