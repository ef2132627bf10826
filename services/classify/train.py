"""Fine-tuning: the base encoder plus two heads on the project's corpus.

Seeded and reproducible. The 250k-row word embedding matrix is frozen by default:
updating it costs most of a training step on CPU and the corpus is far too small to
move 96 million parameters usefully.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

from socialcare.classify.calibrate import CALIBRATION_FILE, calibration_report
from socialcare.classify.data import (
    CORPUS_DIR,
    HELDOUT_DIR,
    INTENTS,
    SENTIMENTS,
    SUPPLEMENT_DIR,
    Example,
    load,
    load_unlabelled,
    split_of,
)
from socialcare.classify.export import INT8_FILE, export_int8
from socialcare.classify.model import Classifier
from socialcare.classify.predict import Predictor
from socialcare.classify.tokenizer import encode, load_tokenizer

# What training does besides the data and the settings hashed with it: a model cached
# under an older recipe (before calibration) is trained again, not restored.
RECIPE = "calibrated-1"


@dataclass
class TrainConfig:
    base: Path
    out: Path
    corpus: Path = CORPUS_DIR
    # Trained on in full besides the corpus's train split (None: the corpus alone).
    supplement: Path | None = SUPPLEMENT_DIR
    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    max_length: int = 96
    seed: int = 13
    freeze_embeddings: bool = True
    # Off: 0.1 raised fp32 dev intent macro-F1 0.900 -> 0.908 but the served int8 graph's
    # 0.912 -> 0.902 (softer margins flip more under quantization; README, Classifier).
    label_smoothing: float = 0.0
    # The first N encoder layers of the base (None: all 12). Each layer is about a twelfth
    # of the classifier's inference time (docs/performance.md, "Fewer layers, distilled").
    layers: int | None = None
    # A trained model directory whose served (int8) logits the student also learns from:
    # the loss adds the KL divergence to the teacher's softened distributions.
    teacher: Path | None = None
    distill_temperature: float = 2.0
    distill_weight: float = 0.5
    # Weight of the cosine distance between the student's sentence embedding and the
    # teacher's (0: off). Two heads' logits are eight numbers a text; the embedding is
    # 384, and it is also what similar-conversation search compares.
    distill_embedding_weight: float = 0.0
    # Texts without labels (a directory of {"text", "language"} lines) the student also
    # learns the teacher's outputs on; only with a teacher.
    unlabelled: Path | None = None
    # Start the student from the teacher's own layers (evenly spaced) and heads instead
    # of the base encoder's first ``layers``.
    init_from_teacher: bool = False
    max_steps: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One check for the library and the CLI: a student setting without its teacher
        # would otherwise be ignored or fail half-way.
        if self.teacher is None and (
            self.unlabelled is not None or self.distill_embedding_weight or self.init_from_teacher
        ):
            raise ValueError(
                "unlabelled texts, the embedding term and a start from the "
                "teacher's layers need a teacher"
            )
        if self.init_from_teacher and self.layers is None:
            raise ValueError("a student starts from its teacher's layers only with layers set")

    def data_dirs(self) -> list[Path]:
        """Every directory ``training_examples`` reads: an image that trains its own
        model must copy them all, since a missing one silently gives another model."""
        dirs = [self.corpus, self.supplement, self.unlabelled]
        if self.unlabelled is not None:
            dirs.append(HELDOUT_DIR)  # its texts are left out of the unlabelled ones
        return [d for d in dirs if d is not None]


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    shuffled = examples[:]
    rng.shuffle(shuffled)
    # Length-bucketed within windows of 8 batches: less padding, still shuffled.
    window = size * 8
    batches = []
    for start in range(0, len(shuffled), window):
        chunk = sorted(shuffled[start : start + window], key=lambda e: len(e.text))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def train(
    config: TrainConfig,
    on_step: Callable[[int, int, float], None] | None = None,
    on_stage: Callable[[str], None] = lambda _stage: None,
) -> dict:
    """Train, save the model directory, and return what happened (for metrics.json).
    ``on_step`` hears of every step, ``on_stage`` of each stage after the training."""
    _seed(config.seed)
    tokenizer = load_tokenizer(config.base, config.max_length)
    if config.init_from_teacher and config.teacher and config.layers:
        model = Classifier.from_trained(config.teacher, config.layers)
    else:
        model = Classifier.from_base(config.base, layers=config.layers)
    if config.freeze_embeddings:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    examples = training_examples(config)
    if not examples:
        raise ValueError(f"no training examples in {config.corpus}")
    soft = _teacher_outputs(config.teacher, examples) if config.teacher else None
    started = time.perf_counter()
    losses = _fit(model, tokenizer, examples, config, on_step, soft)
    elapsed = time.perf_counter() - started

    model.eval()
    version = _version(config, examples)
    model.save(config.out, version)
    tokenizer_file = config.base / "tokenizer.json"
    (config.out / "tokenizer.json").write_bytes(tokenizer_file.read_bytes())
    on_stage(f"exporting {INT8_FILE}")
    export_int8(config.out)
    on_stage("calibrating the scores on the dev split")
    calibration = _calibrate(config.out, config.corpus)
    step = len(losses)
    report = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(),
        "examples": len(examples),
        "steps": step,
        "seconds": round(elapsed, 1),
        "seconds_per_step": round(elapsed / max(1, step), 3),
        "final_loss": round(float(np.mean(losses[-20:])), 4),
        "calibration": calibration,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
    }
    (config.out / "training.json").write_text(json.dumps(report, indent=2))
    return report


def training_examples(config: TrainConfig) -> list[Example]:
    # The whole corpus once: its train split is trained on, and with unlabelled texts
    # every split's texts are left out of those.
    corpus = load(config.corpus)
    examples = [e for e in corpus if split_of(e.text) == "train"]
    if config.supplement is not None and config.supplement.is_dir():
        examples += load(config.supplement)
    if config.unlabelled is not None:
        # A text of the dev, test or held-out sets is never trained on, labels or not.
        held = {e.text for e in corpus} | {e.text for e in load(HELDOUT_DIR)}
        examples += [e for e in load_unlabelled(config.unlabelled) if e.text not in held]
    return examples


Soft = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


def _teacher_outputs(teacher: Path, examples: list[Example]) -> Soft:
    """text -> the teacher's (intent logits, sentiment logits, embedding), from the
    graph it serves."""
    texts = sorted({e.text for e in examples})
    intent, sentiment, embedding = Predictor(teacher, "onnx-int8").outputs(texts)
    return {t: (intent[i], sentiment[i], embedding[i]) for i, t in enumerate(texts)}


def _distillation_loss(student: torch.Tensor, teacher: np.ndarray, temperature: float) -> Any:
    """KL(teacher || student) at ``temperature``, scaled by its square so its gradients
    keep the size of the hard-label loss's (Hinton et al., 2015)."""
    target = torch.softmax(torch.from_numpy(teacher) / temperature, dim=-1)
    log_student = torch.log_softmax(student / temperature, dim=-1)
    kl = nn.functional.kl_div(log_student, target, reduction="batchmean")
    return kl * temperature**2


def _embedding_loss(student: torch.Tensor, teacher: np.ndarray) -> Any:
    """Mean cosine distance between the student's and the teacher's embeddings."""
    target = torch.from_numpy(teacher)
    return (1 - nn.functional.cosine_similarity(student, target, dim=-1)).mean()


def _calibrate(model_dir: Path, corpus: Path) -> dict:
    """Fit each head's temperature on the dev split, with the backend the worker runs
    by default, and write calibration.json (see calibrate.py)."""
    dev = load(corpus, split="dev")
    if not dev:
        return {}
    intent, sentiment = Predictor(model_dir, "onnx-int8").logits([e.text for e in dev])
    report = {
        "split": "dev",
        "examples": len(dev),
        "intent": calibration_report(intent, np.array([INTENTS.index(e.intent) for e in dev])),
        "sentiment": calibration_report(
            sentiment, np.array([SENTIMENTS.index(e.sentiment) for e in dev])
        ),
    }
    (model_dir / CALIBRATION_FILE).write_text(json.dumps(report, indent=2))
    return report


def _fit(
    model: Classifier,
    tokenizer: Any,
    examples: list[Example],
    config: TrainConfig,
    on_step: Callable[[int, int, float], None] | None,
    soft: Soft | None = None,
) -> list[float]:
    """The training loop: the loss of each step taken."""
    rng = random.Random(config.seed)
    per_epoch = -(-len(examples) // config.batch_size)
    total = min(config.max_steps or per_epoch * config.epochs, per_epoch * config.epochs)
    optimizer, schedule = _optimizer(model, config, total)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    intent_index = {label: i for i, label in enumerate(INTENTS)}
    sentiment_index = {label: i for i, label in enumerate(SENTIMENTS)}

    model.train()
    losses: list[float] = []
    while len(losses) < total:
        for batch in _batches(examples, config.batch_size, rng):
            if len(losses) >= total:
                break
            ids, mask = encode(tokenizer, [e.text for e in batch])
            intent_logits, sentiment_logits, embedding = model(
                torch.from_numpy(ids), torch.from_numpy(mask)
            )
            labelled = [i for i, e in enumerate(batch) if e.labelled]
            loss = torch.zeros(())
            if labelled:
                rows = torch.tensor(labelled)
                loss = loss_fn(
                    intent_logits[rows],
                    torch.tensor([intent_index[batch[i].intent] for i in labelled]),
                ) + loss_fn(
                    sentiment_logits[rows],
                    torch.tensor([sentiment_index[batch[i].sentiment] for i in labelled]),
                )
            if soft is not None:
                t, w = config.distill_temperature, config.distill_weight
                teacher = [soft[e.text] for e in batch]
                distilled = _distillation_loss(
                    intent_logits, np.stack([o[0] for o in teacher]), t
                ) + _distillation_loss(sentiment_logits, np.stack([o[1] for o in teacher]), t)
                if config.distill_embedding_weight:
                    distilled = distilled + config.distill_embedding_weight * _embedding_loss(
                        embedding, np.stack([o[2] for o in teacher])
                    )
                loss = (1 - w) * loss + w * distilled
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if on_step:
                on_step(len(losses), total, loss.item())
    return losses


def _optimizer(model: Classifier, config: TrainConfig, total: int) -> tuple[Any, Any]:
    """AdamW with the heads' own learning rate, and a linear schedule with warm-up."""
    heads = [*model.intent.parameters(), *model.sentiment.parameters()]
    encoder = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder, "lr": config.learning_rate},
            {"params": heads, "lr": config.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    return optimizer, get_linear_schedule_with_warmup(optimizer, max(1, total // 10), total)


def expected_version(config: TrainConfig, teacher_version: str | None = None) -> str:
    """The version `train` would write for this corpus and configuration. A student's
    depends on its teacher's version: read from the teacher's directory unless given
    (an image tag is computed before either model is trained)."""
    return _version(config, training_examples(config), teacher_version)


def holds_version(model_dir: Path, version: str) -> bool:
    """True when ``model_dir`` already holds the trained model ``version``."""
    version_file = model_dir / "VERSION"
    return (
        (model_dir / "heads.safetensors").exists()
        and version_file.exists()
        and version_file.read_text().strip() == version
    )


def _version(
    config: TrainConfig, examples: list[Example], teacher_version: str | None = None
) -> str:
    digest = hashlib.sha256()
    for e in examples:
        if e.labelled:
            digest.update(f"{e.text}\t{e.intent}\t{e.sentiment}\n".encode())
        else:
            digest.update(f"{e.text}\n".encode())
    recipe = [config.seed, config.epochs, config.max_steps, config.freeze_embeddings, RECIPE]
    if config.label_smoothing:
        # Only when set, so the versions of models trained without it stay as they were.
        recipe.append(config.label_smoothing)
    if config.layers:
        recipe.append({"layers": config.layers})
    if config.teacher:
        teacher = teacher_version or (config.teacher / "VERSION").read_text().strip()
        settings = {"teacher": teacher, "t": config.distill_temperature, "w": config.distill_weight}
        if config.distill_embedding_weight:
            settings["embedding"] = config.distill_embedding_weight
        if config.init_from_teacher:
            settings["init"] = "teacher"
        recipe.append(settings)
    digest.update(json.dumps(recipe).encode())
    return f"e5-small-care-{digest.hexdigest()[:10]}"
