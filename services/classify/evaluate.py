"""Evaluation: accuracy and macro-F1 per language and overall, confusion matrices, and
how often the language detector names each language right.

On the corpus's test split and on the held-out set (``split="heldout"``): the test
split shares scenarios with the training split in other languages, so it is the
optimistic figure; the held-out set is the honest one."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from socialcare.classify.calibrate import expected_calibration_error
from socialcare.classify.data import CORPUS_DIR, HELDOUT, INTENTS, SENTIMENTS, load
from socialcare.classify.language import LanguageIdentifier
from socialcare.classify.predict import Backend, Predictor


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for gold, guess in pairs if gold == label and guess == label)
        fp = sum(1 for gold, guess in pairs if gold != label and guess == label)
        fn = sum(1 for gold, guess in pairs if gold == label and guess != label)
        if tp + fp + fn == 0:
            continue  # label absent from this slice: not counted
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def confusion(pairs: list[tuple[str, str]], labels: list[str]) -> dict[str, dict[str, int]]:
    table = {gold: dict.fromkeys(labels, 0) for gold in labels}
    for gold, guess in pairs:
        table[gold][guess] += 1
    return table


def evaluate(
    model_dir: Path,
    split: str = "test",
    corpus: Path = CORPUS_DIR,
    backend: Backend = "torch-fp32",
    languages: LanguageIdentifier | None = None,
    neighbours: dict[str, str] | None = None,
) -> dict:
    """The report of ``split``; ``neighbours`` (routing's ``languages.neighbours``)
    says which detected languages count as their neighbour's team."""
    examples = load(corpus, split=split)
    predictions = Predictor(model_dir, backend).predict([e.text for e in examples])
    identify = languages or LanguageIdentifier()
    teams = neighbours or {}
    by_language: dict[str, dict[str, list]] = defaultdict(
        lambda: {"intent": [], "sentiment": [], "language": [], "team": []}
    )
    confident: dict[str, list[tuple[float, bool]]] = {"intent": [], "sentiment": []}
    for e, p in zip(examples, predictions, strict=True):
        detected = identify.detect(e.text).code
        for scope in (e.language, "all"):
            by_language[scope]["intent"].append((e.intent, p.intent))
            by_language[scope]["sentiment"].append((e.sentiment, p.sentiment))
            by_language[scope]["language"].append((e.language, detected))
            by_language[scope]["team"].append((e.language, teams.get(detected, detected)))
        confident["intent"].append((max(p.intent_scores.values()), p.intent == e.intent))
        confident["sentiment"].append(
            (max(p.sentiment_scores.values()), p.sentiment == e.sentiment)
        )

    def summary(pairs: dict[str, list]) -> dict:
        scores = {
            task: {
                "n": len(pairs[task]),
                "accuracy": _accuracy(pairs[task]),
                "macro_f1": round(macro_f1(pairs[task], labels), 4),
            }
            for task, labels in (("intent", INTENTS), ("sentiment", SENTIMENTS))
        }
        language = {"accuracy": _accuracy(pairs["language"]), "team": _accuracy(pairs["team"])}
        return scores | {"language": language}

    overall = by_language.pop("all")
    calibration = {
        task: round(
            expected_calibration_error(*(np.array(column) for column in zip(*pairs, strict=True))),
            4,
        )
        for task, pairs in confident.items()
    }
    return {
        "model_version": (model_dir / "VERSION").read_text().strip(),
        "backend": backend,
        "split": split,
        "overall": summary(overall),
        # expected calibration error of each head's top score on this set
        "ece": calibration,
        "languages": {lang: summary(pairs) for lang, pairs in sorted(by_language.items())},
        "confusion": {
            "intent": confusion(overall["intent"], INTENTS),
            "sentiment": confusion(overall["sentiment"], SENTIMENTS),
        },
    }


def _accuracy(pairs: list[tuple[str, str]]) -> float:
    return round(sum(gold == guess for gold, guess in pairs) / len(pairs), 4)


def table(report: dict) -> str:
    lines = [
        f"model {report['model_version']} ({report['backend']}) on "
        + ("the held-out set" if report["split"] == HELDOUT else f"the {report['split']} split"),
        f"{'language':<9} {'n':>4}  {'intent acc':>10} {'intent F1':>9}  "
        f"{'sent. acc':>9} {'sent. F1':>8}  {'lang. id':>8} {'team':>6}",
    ]
    rows = [*report["languages"].items(), ("overall", report["overall"])]
    for language, s in rows:
        lines.append(
            f"{language:<9} {s['intent']['n']:>4}  {s['intent']['accuracy']:>10.1%} "
            f"{s['intent']['macro_f1']:>9.3f}  {s['sentiment']['accuracy']:>9.1%} "
            f"{s['sentiment']['macro_f1']:>8.3f}  {s['language']['accuracy']:>8.1%} "
            f"{s['language']['team']:>6.1%}"
        )
    lines.append(
        f"expected calibration error: intent {report['ece']['intent']:.3f}, "
        f"sentiment {report['ece']['sentiment']:.3f}"
    )
    for task in ("intent", "sentiment"):
        matrix = report["confusion"][task]
        labels = list(matrix)
        lines.append(f"\n{task} confusion (rows: truth, columns: predicted)")
        lines.append(" " * 12 + "".join(f"{label[:10]:>11}" for label in labels))
        for gold in labels:
            lines.append(f"{gold[:11]:<12}" + "".join(f"{matrix[gold][g]:>11}" for g in labels))
    return "\n".join(lines)
