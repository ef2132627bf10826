"""The labeled corpus and its fixed train/dev/test split.

The split is a function of each message's text (a stable hash), so it never changes
when files are added or reordered, and the same message is never both trained on and
tested on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from socialcare.schema import Intent, Sentiment

CORPUS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "corpus"
INTENTS = [i.value for i in Intent]
SENTIMENTS = [s.value for s in Sentiment]
SPLITS = {"train": (0, 80), "dev": (80, 90), "test": (90, 100)}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    sentiment: str
    language: str


def split_of(text: str) -> str:
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100
    return next(name for name, (low, high) in SPLITS.items() if low <= bucket < high)


def load(corpus: Path = CORPUS_DIR, split: str | None = None) -> list[Example]:
    examples = []
    for path in sorted(corpus.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["intent"] not in INTENTS or row["sentiment"] not in SENTIMENTS:
                raise ValueError(f"{path}:{number}: unknown label in {row}")
            example = Example(row["text"], row["intent"], row["sentiment"], row["language"])
            if split is None or split_of(example.text) == split:
                examples.append(example)
    return examples


def counts(examples: Iterable[Example]) -> dict[str, dict[str, int]]:
    """language -> label -> count, for the data card."""
    table: dict[str, dict[str, int]] = {}
    for e in examples:
        row = table.setdefault(e.language, {})
        for label in (e.intent, e.sentiment):
            row[label] = row.get(label, 0) + 1
    return table
