"""``socialcare conversations``: one state per conversation, on support.conversations."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Keep every conversation's state (open, waiting on the customer, resolved; "
    "assignee, first response, resolution): social.events.routed, support.actions and "
    "support.action-results -> support.conversations (compacted).",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust conversations worker.

    Health, readiness and metrics on SOCIALCARE_CONVERSATIONS_WEB_PORT (6070).
    """
    from socialcare.conversations.settings import ConversationsSettings
    from socialcare.conversations.worker import create_worker
    from socialcare.kafka import run_worker

    settings = ConversationsSettings()
    run_worker(create_worker(settings).app, settings.log_level)
