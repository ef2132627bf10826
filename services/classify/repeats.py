"""A bounded cache of the classifications of texts seen recently: retweets and
copy-paste campaigns send the same words many times within minutes.

The key is the text with its whitespace collapsed, and that key is also what the model
and the language detector see on a miss (the tokenizer collapses runs of spaces
anyway; only a trailing space would have added a token), so a hit returns exactly what
a miss would have computed. The embedding is kept as a float64 array: a list of 384
Python floats costs four times the memory, and float64 round-trips them exactly.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
from prometheus_client import Counter

from socialcare.classify.language import DetectedLanguage
from socialcare.classify.predict import Prediction

LOOKUPS = Counter(
    "socialcare_classify_repeats_total",
    "Texts the classify worker looked up in its repeat cache, by result (hit, miss).",
    ["result"],
)


def repeat_key(text: str) -> str:
    """The text as the model sees it: whitespace runs as one space, none at the ends."""
    return " ".join(text.split())


@dataclass(frozen=True)
class _Entry:
    prediction: Prediction  # with an empty embedding: the array below holds it
    embedding: np.ndarray
    language: DetectedLanguage


class RepeatCache:
    """Least recently used first out, at most ``size`` texts; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def known(self, keys: list[str]) -> dict[str, tuple[Prediction, DetectedLanguage]]:
        """The cached results among ``keys``. Every key counts as a lookup; a key that
        comes again within ``keys`` counts as a hit, since it is classified only once."""
        found: dict[str, tuple[Prediction, DetectedLanguage]] = {}
        seen: set[str] = set()
        for key in keys:
            entry = None if key in seen else self._entries.get(key)
            LOOKUPS.labels("hit" if key in seen or entry else "miss").inc()
            seen.add(key)
            if entry is not None:
                self._entries.move_to_end(key)
                prediction = replace(entry.prediction, embedding=entry.embedding.tolist())
                found[key] = (prediction, entry.language)
        return found

    def put(self, key: str, prediction: Prediction, language: DetectedLanguage) -> None:
        if self.size == 0:
            return
        embedding = np.asarray(prediction.embedding, dtype=np.float64)
        self._entries[key] = _Entry(replace(prediction, embedding=[]), embedding, language)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
