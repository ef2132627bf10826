"""Confidence that means what it says: temperature scaling of each head, fitted on the
dev split after training (Guo et al., 2017), and the expected calibration error.

A fine-tuned classifier is over-confident: among the texts it scores 0.9, fewer than
90 % are right. The router sends an event to a person when its intent score is below
``triage.min_intent_confidence``; dividing each head's logits by a temperature fitted
to the held-apart dev split makes that score an honest probability, so the threshold
means what the routing file says. One number per head, so the ranking of labels (and
every accuracy figure) is unchanged. ``calibration.json`` in the model directory holds
the temperatures and the error before and after; a model without it is used as is.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

CALIBRATION_FILE = "calibration.json"
# Temperatures tried: a fine grid is exact enough for one parameter and never
# diverges the way a gradient fit on a few hundred examples can.
_GRID = np.geomspace(0.25, 8.0, 400)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    shifted = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimizes the negative log-likelihood of ``labels``."""
    rows = np.arange(len(labels))

    def nll(t: float) -> float:
        return float(-np.log(softmax(logits, t)[rows, labels] + 1e-12).mean())

    return float(min(_GRID, key=nll))


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """The gap between confidence and accuracy, averaged over equal-width confidence
    bins weighted by how many predictions fall in each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def calibration_report(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """{temperature, ece_before, ece_after} of one head on labelled examples."""
    temperature = fit_temperature(logits, labels)
    report = {"temperature": round(temperature, 4)}
    for name, t in (("ece_before", 1.0), ("ece_after", temperature)):
        p = softmax(logits, t)
        correct = (p.argmax(axis=-1) == labels).astype(float)
        report[name] = round(expected_calibration_error(p.max(axis=-1), correct), 4)
    return report


def temperatures(model_dir: Path) -> tuple[float, float]:
    """(intent, sentiment) temperatures of a model directory; 1.0 without calibration."""
    path = model_dir / CALIBRATION_FILE
    if not path.exists():
        return 1.0, 1.0
    data = json.loads(path.read_text())
    return float(data["intent"]["temperature"]), float(data["sentiment"]["temperature"])
