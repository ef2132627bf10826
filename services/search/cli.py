"""``socialcare search``: indexing and the agents' search API."""

import typer

app = typer.Typer(
    help="Index routed events into Elasticsearch and serve the search API agents use.",
    no_args_is_help=True,
)


@app.command()
def serve(
    host: str = typer.Option("0.0.0.0", envvar="SOCIALCARE_SEARCH_HOST", help="Bind address."),
    port: int = typer.Option(8001, envvar="SOCIALCARE_SEARCH_PORT", help="HTTP port."),
) -> None:
    """Serve the search API (full text, threads, author history, similar messages,
    stats, erasure). Keys and scopes: SOCIALCARE_SEARCH_API_KEYS. OpenAPI docs at /docs."""
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


@app.command("index-worker")
def index_worker() -> None:
    """Run the faust agent that bulk-indexes social.events.routed into Elasticsearch.

    Batches by SOCIALCARE_INDEX_BATCH_SIZE / _SECONDS; offsets are committed only after
    the bulk request succeeded; refused documents go to the DLQ with the reason.
    Health, readiness and metrics on SOCIALCARE_INDEX_WEB_PORT (6068).
    """
    from socialcare import elastic
    from socialcare.kafka import run_worker
    from socialcare.search.settings import SearchSettings
    from socialcare.index.worker import create_app

    settings = SearchSettings()
    es = elastic.client(settings)
    try:
        elastic.ensure_index(es, settings)  # the template and alias must exist first
    finally:
        es.close()
    run_worker(create_app(settings), settings.log_level)
