"""``socialcare search``: indexing and the agents' search API."""

import typer

from services._pending import pending

app = typer.Typer(
    help="Index routed events into Elasticsearch and serve the search API agents use.",
    no_args_is_help=True,
)


@app.command()
def serve(
    host: str = typer.Option("0.0.0.0", envvar="SOCIALCARE_SEARCH_HOST", help="Bind address."),
    port: int = typer.Option(8001, envvar="SOCIALCARE_SEARCH_PORT", help="HTTP port."),
) -> None:
    """Serve the search API (full text, threads, author history, similar messages)."""
    pending(6, "search serve")


@app.command("index-worker")
def index_worker() -> None:
    """Run the faust agent that bulk-indexes social.events.routed into Elasticsearch."""
    pending(6, "search index-worker")
