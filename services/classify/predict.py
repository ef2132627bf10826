"""Batched inference with a trained model directory, on one of three backends.

- ``onnx-int8`` (default): ONNX Runtime on ``model.int8.onnx``; the fastest here and
  within one macro-F1 point of fp32. It never imports torch, so a worker starts in
  about a second.
- ``torch-fp32``: the reference the evaluation is reported on.
- ``torch-bf16``: torch with bfloat16 autocast (CPUs with AVX-512 bf16).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from socialcare.classify.calibrate import softmax, temperatures
from socialcare.classify.data import INTENTS, SENTIMENTS
from socialcare.classify.export import INPUTS, INT8_FILE
from socialcare.classify.tokenizer import load_tokenizer, pad, token_ids
from socialcare.schema import Classification

if TYPE_CHECKING:  # not at run time: lingua loads with it, and predict needs none
    from socialcare.classify.language import DetectedLanguage

Backend = Literal["onnx-int8", "torch-fp32", "torch-bf16"]
BACKENDS: tuple[Backend, ...] = ("onnx-int8", "torch-fp32", "torch-bf16")
# (input_ids, attention_mask) -> (intent logits, sentiment logits, sentence embedding)
Run = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
# Tokens of a text the model sees. 4.9 % of corpus texts are longer (none of the
# held-out set); cutting them from 128 to 64 saved about 5 % of the model's CPU with
# intent and sentiment macro-F1 unchanged on dev and held-out (docs/performance.md).
MAX_TOKENS = 64


class ModelNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Prediction:
    intent: str
    intent_scores: dict[str, float]
    sentiment: str
    sentiment_scores: dict[str, float]
    embedding: list[float]

    def classification(self, language: DetectedLanguage, model_version: str) -> Classification:
        """An event's ``classification`` block: this prediction and the text's language."""
        return Classification(
            intent=self.intent,
            intent_scores=self.intent_scores,
            sentiment=self.sentiment,
            sentiment_scores=self.sentiment_scores,
            language=language.code,
            language_confidence=language.confidence,
            model_version=model_version,
            embedding=self.embedding,
        )


class Predictor:
    def __init__(
        self,
        model_dir: Path,
        backend: Backend = "onnx-int8",
        max_length: int = MAX_TOKENS,
        batch_size: int = 16,
        threads: int = 0,
    ) -> None:
        if not (model_dir / "VERSION").exists():
            raise ModelNotFound(f"no trained model in {model_dir}")
        self.version = (model_dir / "VERSION").read_text().strip()
        self.backend = backend
        self.tokenizer = load_tokenizer(model_dir, max_length)
        self.batch_size = batch_size
        self.temperatures = temperatures(model_dir)
        if backend == "onnx-int8":
            self._run = _onnx(model_dir, threads)
        else:
            self._run = _torch(model_dir, backend, threads)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Predictions in the order of ``texts``, which may be any number of them."""
        sequences = token_ids(self.tokenizer, texts)
        results: list[Prediction | None] = [None] * len(texts)
        intent_t, sentiment_t = self.temperatures
        for chunk in batches_by_length([len(s) for s in sequences], self.batch_size):
            intent, sentiment, embedding = self._run(*pad([sequences[i] for i in chunk]))
            intent_p, sentiment_p = softmax(intent, intent_t), softmax(sentiment, sentiment_t)
            for row, index in enumerate(chunk):
                results[index] = _prediction(intent_p[row], sentiment_p[row], embedding[row])
        return [r for r in results if r is not None]

    def logits(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(intent, sentiment) logits of ``texts`` in their order, before any
        temperature: what calibration is fitted on."""
        intent, sentiment, _ = self.outputs(texts)
        return intent, sentiment

    def outputs(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's raw (intent logits, sentiment logits, embedding) rows of ``texts``,
        in their order: what calibration is fitted on and a student learns from."""
        sequences = token_ids(self.tokenizer, texts)
        order: list[int] = []
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for chunk in batches_by_length([len(s) for s in sequences], self.batch_size):
            parts.append(self._run(*pad([sequences[i] for i in chunk])))
            order += chunk
        if not parts:
            return np.zeros((0, len(INTENTS))), np.zeros((0, len(SENTIMENTS))), np.zeros((0, 0))
        # Rows come in batch order; put them back in the order of ``texts``.
        back = np.argsort(order)
        intent, sentiment, embedding = (np.concatenate(p)[back] for p in zip(*parts, strict=True))
        return intent, sentiment, embedding

    def predict_stream(self, texts: Iterable[str], chunk: int = 256) -> Iterator[Prediction]:
        buffer: list[str] = []
        for text in texts:
            buffer.append(text)
            if len(buffer) == chunk:
                yield from self.predict(buffer)
                buffer = []
        if buffer:
            yield from self.predict(buffer)


def batches_by_length(lengths: list[int], size: int, slack: float = 1.25) -> list[list[int]]:
    """Indexes grouped into batches of similar length: at most ``size`` each, and none
    whose longest member is more than ``slack`` times its shortest (plus a few tokens).

    A batch pads to its longest text, and padding is the biggest cost on CPU (in
    arrival order 94 texts/s, sorted by length 226: docs/performance.md); a long tweet
    among short DMs would otherwise make each of them pay for its length.
    """
    batches: list[list[int]] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) == size
            or lengths[index] > lengths[current[0]] * slack + 4
        ):
            batches.append([index])
        else:
            current.append(index)
    return batches


def _onnx(model_dir: Path, threads: int) -> Run:
    import onnxruntime

    path = model_dir / INT8_FILE
    if not path.exists():
        raise ModelNotFound(f"{path} is missing: run `socialcare classify export`")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle threads would spin waiting for work, burning CPU the other services of a
    # shared machine need; measured here it bought only 7 % standalone.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # ONNX Runtime fuses each residual Add + LayerNormalization into one
    # SkipLayerNormalization at load; on this graph that kernel took 0.9 ms a call
    # where the two ops took 0.2, 16 % of the model's CPU (docs/performance.md).
    session = onnxruntime.InferenceSession(
        str(path),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=["SkipLayerNormFusion"],
    )

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        intent, sentiment, embedding = session.run(
            None, dict(zip(INPUTS, (ids, mask), strict=True))
        )
        return intent, sentiment, embedding

    return run


def _torch(model_dir: Path, backend: Backend, threads: int) -> Run:
    import torch

    from socialcare.classify.model import Classifier

    if threads:
        torch.set_num_threads(threads)
    model = Classifier.load(model_dir)
    bf16 = backend == "torch-bf16"

    @torch.inference_mode()
    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            outputs = model(torch.from_numpy(ids), torch.from_numpy(mask))
        intent, sentiment, embedding = (t.float().numpy() for t in outputs)
        return intent, sentiment, embedding

    return run


def _prediction(intent_p: np.ndarray, sentiment_p: np.ndarray, embedding: np.ndarray) -> Prediction:
    return Prediction(
        intent=INTENTS[int(intent_p.argmax())],
        intent_scores={k: round(float(v), 4) for k, v in zip(INTENTS, intent_p, strict=True)},
        sentiment=SENTIMENTS[int(sentiment_p.argmax())],
        sentiment_scores={
            k: round(float(v), 4) for k, v in zip(SENTIMENTS, sentiment_p, strict=True)
        },
        # Compact: 4 decimals are far below what cosine similarity search resolves.
        # Rounded by numpy in float64 (float32 values would print with 8 more digits):
        # 15 us a text where a Python loop over the 384 values took 215.
        embedding=np.round(embedding.astype(np.float64), 4).tolist(),
    )
