"""``socialcare emulator``: registered with the ``socialcare`` CLI by this package's
entry point (``socialcare.commands``)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help=(
        "A local emulator of the platforms' send APIs (Graph API for Messenger, Instagram, "
        "Facebook and WhatsApp; Telegram Bot API; Viber REST; X API v2) for tests and the "
        "demo: it records what it receives and can be told to fail."
    ),
    no_args_is_help=True,
)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(
        8090, min=0, max=65535, envvar="SOCIALCARE_EMULATOR_PORT", help="Port to listen on."
    ),
    hang_seconds: float = typer.Option(
        30.0, min=0, help="How long a `timeout` fault hangs before answering 504."
    ),
) -> None:
    """Serve the emulated send endpoints and the control endpoints (/_emulator/requests,
    /_emulator/faults, /healthz) until stopped."""
    import uvicorn

    from socialcare_dev.emulator import create_app

    uvicorn.run(create_app(hang_seconds=hang_seconds), host=host, port=port, log_level="info")
