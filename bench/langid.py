"""Language identification: lingua-language-detector vs py3langid on our corpus.

Prints accuracy per language, overall, and on short texts (<= 5 words), and the
speed of each, so the choice in services/classify/language.py is a measured one.

    .venv/bin/python bench/langid.py
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import py3langid
from lingua import IsoCode639_1, LanguageDetectorBuilder

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def main() -> None:
    rows = [
        json.loads(line)
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    languages = sorted({r["language"] for r in rows})
    texts = [r["text"] for r in rows]

    restricted = LanguageDetectorBuilder.from_iso_codes_639_1(
        *[getattr(IsoCode639_1, code.upper()) for code in languages]
    ).build()
    # Production cannot know the languages in advance: the unrestricted runs matter.
    everything = LanguageDetectorBuilder.from_all_languages().build()
    langid_all = py3langid.langid.LanguageIdentifier.from_model_file(
        py3langid.langid.MODEL_FILE, norm_probs=True
    )
    langid = py3langid.langid.LanguageIdentifier.from_model_file(
        py3langid.langid.MODEL_FILE, norm_probs=True
    )
    langid.set_languages(languages)

    def lingua_with(detector):
        def detect(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else "und"

        return detect

    runs = (
        ("lingua, all 75 languages", lingua_with(everything)),
        ("py3langid, all 97 languages", lambda text: langid_all.classify(text)[0]),
        ("lingua, restricted to the corpus languages", lingua_with(restricted)),
        ("py3langid, restricted to the corpus languages", lambda text: langid.classify(text)[0]),
    )
    for name, detect in runs:
        detect(texts[0])
        started = time.perf_counter()
        predicted = [detect(t) for t in texts]
        elapsed = time.perf_counter() - started
        right = Counter()
        total = Counter()
        short_right = short_total = 0
        for row, guess in zip(rows, predicted, strict=True):
            total[row["language"]] += 1
            right[row["language"]] += guess == row["language"]
            if len(row["text"].split()) <= 5:
                short_total += 1
                short_right += guess == row["language"]
        per = ", ".join(f"{lang} {right[lang] / total[lang]:.0%}" for lang in languages)
        print(
            f"{name}: {sum(right.values()) / len(rows):.1%} overall, "
            f"{short_right / max(1, short_total):.1%} on {short_total} short texts, "
            f"{len(texts) / elapsed:,.0f} texts/s"
        )
        print(f"  {per}")
        confusions = defaultdict(Counter)
        for row, guess in zip(rows, predicted, strict=True):
            if guess != row["language"]:
                confusions[row["language"]][guess] += 1
        worst = sorted(confusions.items(), key=lambda kv: -sum(kv[1].values()))[:4]
        print(
            "  most confused: "
            + "; ".join(f"{lang} -> {dict(c.most_common(3))}" for lang, c in worst)
        )


if __name__ == "__main__":
    main()
