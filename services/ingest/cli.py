"""``socialcare ingest``: the webhook front door, and replays of event files."""

from __future__ import annotations

from pathlib import Path

import typer

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
    """Serve the webhook endpoints; answers 2xx only once Kafka has the event.

    Endpoints: POST /webhooks/{meta,twitter,viber,telegram}, GET /webhooks/meta and
    /webhooks/twitter (subscription checks; /webhooks/x is the deprecated alias of
    /webhooks/twitter), POST /v1/events (API key), /healthz, /readyz, /metrics, and
    the OpenAPI docs at /docs.
    """
    import uvicorn

    from socialcare.ingest.app import create_app

    # log_config=None keeps uvicorn on the process's structured logging. uvloop and
    # httptools: about 15 % less CPU per webhook than asyncio's loop and h11
    # (bench/ingest.py, docs/ingest.md).
    uvicorn.run(
        create_app(),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


@app.command()
def replay(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL, one event a line."),
    url: str = typer.Option(
        "http://127.0.0.1:8000", envvar="SOCIALCARE_INGEST_URL", help="Ingest base URL."
    ),
    api_key: str | None = typer.Option(
        None, envvar="SOCIALCARE_API_KEY", help="Key for POST /v1/events."
    ),
    kafka: bool = typer.Option(
        False, "--kafka", help="Publish straight to social.events.raw instead of over HTTP."
    ),
    batch_size: int = typer.Option(100, min=1, max=1000, help="Events per request."),
) -> None:
    """Post (or publish) a file of events in the shared schema, with a progress bar.

    For backfills and demos. Events are validated first; an invalid line stops the
    replay before anything is sent, naming the line.
    """
    from socialcare.ingest.replay import replay_file

    replay_file(file, url=url, api_key=api_key, to_kafka=kafka, batch_size=batch_size)


@app.command("enrichment-sweep")
def enrichment_sweep(
    once: bool = typer.Option(False, "--once", help="Sweep once and exit (a CronJob's run)."),
    metrics_port: int | None = typer.Option(
        None, help="Serve Prometheus /metrics on this port while sweeping every interval."
    ),
) -> None:
    """Fetch again the Instagram mentions whose text and author are still missing.

    Finds in the events index the mentions marked enrichment=failed within
    SOCIALCARE_INGEST_ENRICHMENT_RETRY_HOURS and those left pending longer than
    SOCIALCARE_INGEST_ENRICHMENT_RETRY_GRACE_SECONDS, fetches each through the Graph
    API, and republishes the same event done (docs/ingest.md). At most
    SOCIALCARE_INGEST_ENRICHMENT_SWEEP_PAGE_SIZE a sweep; without --once, one sweep
    every SOCIALCARE_INGEST_ENRICHMENT_SWEEP_INTERVAL_SECONDS (longer when the Graph
    API asks to wait).
    """
    import asyncio

    from socialcare.ingest.enrichment_sweep import run
    from socialcare.ingest.settings import IngestSettings

    if metrics_port is not None and not once:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    report = asyncio.run(run(IngestSettings(), once))
    if once and report is None:
        raise typer.Exit(1)  # no Graph token: nothing was, or could be, fetched
