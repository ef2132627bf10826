"""``socialcare alerts``: spikes in the inbound stream, on social.alerts."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Watch the inbound stream for spikes (a product name, an intent, a language or a "
    "platform far above its baseline): social.events.classified -> social.alerts "
    "(compacted) and the <alias>-alerts index.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust alerts worker (one replica: it needs every partition's events).

    Health, readiness and metrics on SOCIALCARE_ALERTS_WEB_PORT (6072).
    """
    from socialcare.alerts.settings import AlertsSettings
    from socialcare.alerts.worker import create_worker
    from socialcare.kafka import run_worker

    settings = AlertsSettings()
    run_worker(create_worker(settings).app, settings.log_level)
