"""``socialcare respond``: replies out through each platform's send API."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Send agents' and help desks' replies through each platform's send API: "
    "support.actions -> the platforms, social.events.raw (the sent reply) and "
    "support.action-results.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust respond worker.

    Platform base URLs and tokens come from SOCIALCARE_RESPOND_* (see README); a
    platform without a token fails its replies with the reason. Health, readiness
    and metrics on SOCIALCARE_RESPOND_WEB_PORT (6071).
    """
    from socialcare.kafka import run_worker
    from socialcare.respond.settings import RespondSettings
    from socialcare.respond.worker import create_worker

    settings = RespondSettings()
    run_worker(create_worker(settings).app, settings.log_level)
