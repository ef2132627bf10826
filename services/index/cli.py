"""``socialcare index``: the worker that indexes routed events into Elasticsearch."""

import typer

app = typer.Typer(
    help="Index routed events and conversation states into Elasticsearch, in bulk, for "
    "the search API.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the index worker: it bulk-indexes social.events.routed and the conversation
    states of support.conversations into Elasticsearch.

    Batches by SOCIALCARE_INDEX_BATCH_SIZE / _SECONDS; offsets are committed only after
    the bulk request succeeded; refused documents go to the DLQ with the reason.
    Health, readiness and metrics on SOCIALCARE_INDEX_WEB_PORT (6068).
    """
    from socialcare import elastic
    from socialcare.index.settings import IndexSettings
    from socialcare.index.worker import create_worker
    from socialcare.kafka import run_worker

    settings = IndexSettings()
    es = elastic.client(settings)
    try:
        elastic.ensure_index(es, settings)  # the template and aliases must exist first
        elastic.ensure_conversations_index(es, settings)
    finally:
        es.close()
    run_worker(create_worker(settings), settings.log_level)
