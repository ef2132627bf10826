"""``socialcare listen``: social listening by polling the platforms' search APIs."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Poll X recent search for each brand of the listening rules and publish the posts "
    "about a brand as kind=listening events to social.events.raw.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the listening poller.

    The X base URL and bearer token come from SOCIALCARE_LISTEN_X_* and the brands from
    SOCIALCARE_LISTENING_CONFIG (see README and docs/listening.md). Health, readiness
    and metrics on SOCIALCARE_LISTEN_WEB_PORT (6073).
    """
    import uvicorn

    from socialcare.listen.app import create_app
    from socialcare.listen.settings import ListenSettings

    settings = ListenSettings()
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",
        port=settings.listen_web_port,
        log_config=None,
        access_log=False,
    )
