"""``socialcare route``: language and skill queues, priorities and deadlines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from socialcare.route.config import ConfigError, load_config

app = typer.Typer(
    help="Assign classified events to support.queue.<language>.<skill> topics with a "
    "priority and a first-response deadline: social.events.classified -> "
    "social.events.routed and the queue topics.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust routing worker.

    Rules come from SOCIALCARE_ROUTING_CONFIG (default: the shipped
    default_routing.yaml); invalid rules stop start-up with the file and line.
    `kill -HUP <pid>` reloads the rules without losing events (invalid ones are
    rejected and the old rules kept). Health, readiness and metrics on
    SOCIALCARE_ROUTE_WEB_PORT (6067).
    """
    from socialcare.kafka import run_worker
    from socialcare.route.settings import RouteSettings
    from socialcare.route.worker import create_worker

    settings = RouteSettings()
    try:
        route_worker = create_worker(settings)
    except ConfigError as exc:
        typer.secho(f"invalid routing rules:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    router = route_worker.router
    router.ensure_queue_topics(router.config)
    run_worker(route_worker.app, settings.log_level)


@app.command()
def explain(
    event: Path = typer.Option(
        ..., "--event", exists=True, dir_okay=False, help="A classified event (JSON file)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Rules file (default: SOCIALCARE_ROUTING_CONFIG or the shipped)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only the routing block as JSON."),
) -> None:
    """Show which rule routes an event where, and why.

    The event is taken as the first message of its conversation (explain has no
    access to the worker's conversation table).
    """
    from socialcare.route.rules import route
    from socialcare.route.settings import RouteSettings
    from socialcare.schema import ClassifiedEvent

    try:
        rules = load_config(config or RouteSettings().routing_config)
    except ConfigError as exc:
        typer.secho(f"invalid routing rules:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    try:
        classified = ClassifiedEvent.model_validate_json(event.read_bytes())
    except ValueError as exc:
        typer.secho(f"{event} is not a classified event:\n{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    decision = route(classified, rules, None, datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps(decision.routing.model_dump(mode="json"), indent=2))
        return
    for line in decision.trace:
        typer.echo(f"  {line}")
    r = decision.routing
    typer.echo(
        f"\n-> {r.queue}  priority {r.priority}  due {r.first_response_due_at:%Y-%m-%d %H:%M} UTC"
        f"  rule {r.rule}" + ("  (needs translation)" if r.needs_translation else "")
    )
