"""Evaluation: accuracy and macro-F1 per language and overall, confusion matrices."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from socialcare.classify.data import CORPUS_DIR, INTENTS, SENTIMENTS, load
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
) -> dict:
    examples = load(corpus, split=split)
    predictions = Predictor(model_dir, backend).predict([e.text for e in examples])
    by_language: dict[str, dict[str, list]] = defaultdict(lambda: {"intent": [], "sentiment": []})
    for e, p in zip(examples, predictions, strict=True):
        for scope in (e.language, "all"):
            by_language[scope]["intent"].append((e.intent, p.intent))
            by_language[scope]["sentiment"].append((e.sentiment, p.sentiment))

    def summary(pairs: dict[str, list]) -> dict:
        return {
            task: {
                "n": len(pairs[task]),
                "accuracy": round(sum(g == p for g, p in pairs[task]) / len(pairs[task]), 4),
                "macro_f1": round(macro_f1(pairs[task], labels), 4),
            }
            for task, labels in (("intent", INTENTS), ("sentiment", SENTIMENTS))
        }

    overall = by_language.pop("all")
    return {
        "model_version": (model_dir / "VERSION").read_text().strip(),
        "backend": backend,
        "split": split,
        "overall": summary(overall),
        "languages": {lang: summary(pairs) for lang, pairs in sorted(by_language.items())},
        "confusion": {
            "intent": confusion(overall["intent"], INTENTS),
            "sentiment": confusion(overall["sentiment"], SENTIMENTS),
        },
    }


def table(report: dict) -> str:
    lines = [
        f"model {report['model_version']} ({report['backend']}) on the {report['split']} split",
        f"{'language':<9} {'n':>4}  {'intent acc':>10} {'intent F1':>9}  "
        f"{'sent. acc':>9} {'sent. F1':>8}",
    ]
    rows = [*report["languages"].items(), ("overall", report["overall"])]
    for language, s in rows:
        lines.append(
            f"{language:<9} {s['intent']['n']:>4}  {s['intent']['accuracy']:>10.1%} "
            f"{s['intent']['macro_f1']:>9.3f}  {s['sentiment']['accuracy']:>9.1%} "
            f"{s['sentiment']['macro_f1']:>8.3f}"
        )
    for task in ("intent", "sentiment"):
        matrix = report["confusion"][task]
        labels = list(matrix)
        lines.append(f"\n{task} confusion (rows: truth, columns: predicted)")
        lines.append(" " * 12 + "".join(f"{label[:10]:>11}" for label in labels))
        for gold in labels:
            lines.append(f"{gold[:11]:<12}" + "".join(f"{matrix[gold][g]:>11}" for g in labels))
    return "\n".join(lines)
