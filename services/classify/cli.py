"""``socialcare classify``: the transformer classifier."""

import typer

from services._pending import pending

app = typer.Typer(
    help="Tag every event's intent, sentiment and language with a multilingual "
    "transformer: social.events.raw -> social.events.classified.",
    no_args_is_help=True,
)


@app.command()
def worker() -> None:
    """Run the faust classification worker."""
    pending(3, "classify worker")
