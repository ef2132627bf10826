"""``socialcare ingest``: the webhook front door."""

import typer

from services._pending import pending

app = typer.Typer(
    help="Receive platform webhooks (Meta, X, Viber, Telegram, generic), verify their "
    "signatures, normalize them to the shared event schema and publish to "
    "social.events.raw.",
    no_args_is_help=True,
)


@app.command()
def serve(
    host: str = typer.Option("0.0.0.0", envvar="SOCIALCARE_INGEST_HOST", help="Bind address."),
    port: int = typer.Option(8000, envvar="SOCIALCARE_INGEST_PORT", help="HTTP port."),
) -> None:
    """Serve the webhook endpoints; answers 2xx only once Kafka has the event."""
    pending(4, "ingest serve")
