"""The labeled corpus and its fixed train/dev/test split; the held-out set.

The split is a function of each message's text (a stable hash), so it never changes
when files are added or reordered, and the same message is never both trained on and
tested on. The held-out set (``data/heldout``) was written apart from the corpus (new
scenarios, brands and writers) and is never trained, tuned or selected on: it says
how the model does on text unlike anything it saw (data/README.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from socialcare.schema import Intent, Sentiment

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
CORPUS_DIR = DATA_DIR / "corpus"
HELDOUT_DIR = DATA_DIR / "heldout"
# Hard cases written to teach the boundaries the model confused (refund vs return in
# transit, cancellation vs delivery, delivery thanks vs praise): training only.
SUPPLEMENT_DIR = DATA_DIR / "supplement"
# Customer messages without labels, written apart from the corpus and the held-out set:
# a student model learns the teacher's outputs on them (`classify train --unlabelled`).
UNLABELLED_DIR = DATA_DIR / "unlabelled"
HELDOUT = "heldout"
INTENTS = [i.value for i in Intent]
SENTIMENTS = [s.value for s in Sentiment]
SPLITS = {"train": (0, 80), "dev": (80, 90), "test": (90, 100)}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str | None  # None: an unlabelled text, learned from a teacher only
    sentiment: str | None
    language: str

    @property
    def labelled(self) -> bool:
        return self.intent is not None


def split_of(text: str) -> str:
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100
    return next(name for name, (low, high) in SPLITS.items() if low <= bucket < high)


def load(corpus: Path = CORPUS_DIR, split: str | None = None) -> list[Example]:
    """The corpus's examples (of one split), or with ``split="heldout"`` the whole
    held-out set."""
    if split == HELDOUT:
        corpus, split = HELDOUT_DIR, None
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


def load_unlabelled(directory: Path = UNLABELLED_DIR) -> list[Example]:
    """The texts of ``directory``'s JSON lines (``{"text", "language"}``), without labels."""
    examples = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], None, None, row["language"]))
    return examples


def counts(examples: Iterable[Example]) -> dict[str, dict[str, int]]:
    """language -> label -> count, for the data card."""
    table: dict[str, dict[str, int]] = {}
    for e in examples:
        row = table.setdefault(e.language, {})
        for label in (e.intent, e.sentiment):
            row[label] = row.get(label, 0) + 1
    return table
