"""``socialcare route``: language and skill queues, priorities and deadlines."""

import typer

from services._pending import pending

app = typer.Typer(
    help="Assign classified events to support.queue.<language>.<skill> topics with a "
    "priority and a first-response deadline: social.events.classified -> "
    "social.events.routed and the queue topics.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust routing worker."""
    pending(5, "route worker")
