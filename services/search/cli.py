"""``socialcare search``: the agents' search API."""

import typer

from socialcare.index.cli import worker as index_worker_command

app = typer.Typer(
    help="Serve the API agents use over the indexed events and conversations (full text, "
    "inbox, threads, actions, customers, similar messages, stats, erasure).",
    no_args_is_help=True,
)


@app.command()
def serve(
    host: str = typer.Option("0.0.0.0", envvar="SOCIALCARE_SEARCH_HOST", help="Bind address."),
    port: int = typer.Option(8001, envvar="SOCIALCARE_SEARCH_PORT", help="HTTP port."),
) -> None:
    """Serve the search API (full text, inbox, threads, replies and other actions on
    support.actions, author history, similar messages, stats, erasure). Keys, scopes and
    agents: SOCIALCARE_SEARCH_API_KEYS. OpenAPI docs at /docs."""
    import uvicorn
    from pydantic import ValidationError

    from socialcare.search.api import create_app
    from socialcare.search.settings import SearchSettings

    try:
        settings = SearchSettings()
    except ValidationError as exc:  # refuse to start, and say why (never the keys)
        typer.echo(f"socialcare search serve: invalid configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


# `socialcare search index-worker` was the index worker's command before it had its own
# group; kept, hidden, for deployments that still run it.
app.command(
    "index-worker",
    hidden=True,
    help="Alias of `socialcare index worker` (the index worker; kept for old deployments).",
)(index_worker_command)
