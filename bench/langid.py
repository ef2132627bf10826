"""Language identification as the classify worker does it, on text it never saw.

Runs `LanguageIdentifier` (lingua) choosing among all 75 languages it knows and among
the deployment's default languages (``SOCIALCARE_CLASSIFY_LANGUAGES``) over:

- ``data/heldout/``: 50 messages per corpus language, written apart from the corpus;
- ``data/langid/``: Croatian that looks Bosnian, Bosnian, Serbian in Latin script and
  Montenegrin (all for the Croatian team), and Slovenian close to Croatian.

A detection is right when routing's default neighbours (bs, sr -> hr) send it to the
team of the expected language. Prints accuracy per language on short texts (six words
or fewer) and on longer ones, and the speed of each detector.

    .venv/bin/python bench/langid.py
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from socialcare.classify.language import LanguageIdentifier
from socialcare.classify.settings import DEFAULT_LANGUAGES
from socialcare.route.config import DEFAULT_CONFIG, load_config

DATA = Path(__file__).resolve().parent.parent / "data"
SHORT_WORDS = 6


def samples() -> list[tuple[str, str, str]]:
    """(text, its label, the team that must get it)."""
    rows = []
    for path in sorted((DATA / "heldout").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["text"], row["language"], row["language"]))
    for path in sorted((DATA / "langid").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["text"], f"{row['language']}*", row["expect"]))
    return rows


def main() -> None:
    rows = samples()
    neighbours = load_config(DEFAULT_CONFIG).languages.neighbours
    print(f"{len(rows)} texts; * = data/langid (expected team in brackets)")
    for name, languages in (("all 75", "all"), ("default", ",".join(DEFAULT_LANGUAGES))):
        identify = LanguageIdentifier(languages=languages)
        identify.detect(rows[0][0])
        started = time.perf_counter()
        guesses = [identify.detect(text).code for text, _, _ in rows]
        rate = len(rows) / (time.perf_counter() - started)
        # label -> [short right, short, long right, long]
        tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for (text, label, expect), guess in zip(rows, guesses, strict=True):
            slot = 0 if len(text.split()) <= SHORT_WORDS else 2
            tally[label][slot] += neighbours.get(guess, guess) == expect
            tally[label][slot + 1] += 1
        print(f"\nlingua, {name} languages: {rate:,.0f} texts/s")
        print(f"  {'language':<10} {'short':>9} {'longer':>9}")
        for label, (sr, sn, lr, ln) in sorted(tally.items()):
            print(f"  {label:<10} {sr:>4}/{sn:<4} {lr:>4}/{ln:<4}")
        totals = [sum(t[i] for t in tally.values()) for i in range(4)]
        print(f"  {'all':<10} {totals[0] / totals[1]:>9.1%} {totals[2] / totals[3]:>9.1%}")
        for (text, label, expect), guess in zip(rows, guesses, strict=True):
            if neighbours.get(guess, guess) != expect:
                print(f"    {label} [{expect}] as {guess}: {text[:60]!r}")


if __name__ == "__main__":
    main()
