"""Keyword matching on customer text, shared by listening (ingest, the X poller) and routing.

Text and terms go through the same normalisation (NFKC, case folding, Latin diacritics
and Arabic-script letter variants folded) and the same tokeniser, so a term matches
what a customer types however they spell its accents or letter forms. Inflection is
handled per word:

- ``stem``: a Snowball stemmer of the text's language (the languages it covers);
- ``prefix``: the word plus at most ``MAX_SUFFIX`` more letters, for brand and product
  names in every language ("VoltMobilea", "ВольтМобайлом") and for words of languages
  without a stemmer (their final vowels dropped first, down to ``MIN_STEM`` letters);
- ``exact``: whole words only (routing's keyword conditions, and words too short to
  stem or prefix safely).

A term of several words matches those words as consecutive tokens. Everything here
is linear in the size of the text: no regular expression backtracks, and no token
longer than the longest term word plus ``MAX_SUFFIX`` is ever stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import snowballstemmer

Mode = Literal["stem", "prefix", "exact"]
ANY = "any"
MIN_STEM = 4
MAX_SUFFIX = 4
# No word of a term is this long; longer tokens (a URL's path, a flood of letters) are
# never stemmed or compared.
MAX_TOKEN = 64

# Snowball algorithms for our languages. Serbian's covers Croatian and Bosnian too
# (one language for stemming: the same endings, Latin or Cyrillic). Kazakh,
# Slovenian and Ukrainian have none: prefix matching.
SNOWBALL = {
    "ar": "arabic", "de": "german", "en": "english", "es": "spanish", "fa": "persian",
    "fr": "french", "it": "italian", "nl": "dutch", "pl": "polish", "pt": "portuguese",
    "ru": "russian", "tr": "turkish", "sr": "serbian", "hr": "serbian", "bs": "serbian",
}  # fmt: skip

# Letters that stay distinct after stripping combining marks, folded to what people
# type on a keyboard without them. ß is already "ss" after casefold.
_LATIN_FOLD = str.maketrans(
    {"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ı": "i",
     "ħ": "h", "ŧ": "t", "ŋ": "n", "ƒ": "f"}
)  # fmt: skip
# Arabic-script variants: Persian and Arabic keyboards type different code points for
# the same letter (ی/ي/ى, ک/ك), and hamza seats and taa marbuta are often dropped.
_ARABIC_FOLD = str.maketrans(
    {"ی": "ي", "ى": "ي", "ې": "ي", "ک": "ك", "ڪ": "ك", "ة": "ه", "ۀ": "ه", "ہ": "ه",
     "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ـ": None}
)  # fmt: skip
# Letters, digits and combining marks; underscores, apostrophes and everything else
# separate words ("@VoltMobile_hr" is "voltmobile" "hr", "VoltMobile'dan" too).
_TOKEN = re.compile(r"[^\W_]+")
_VOWELS = frozenset("aeiouyаеёиоуыэюяіїєәөұүіıаыо")


def normalise(text: str) -> str:
    """The form both terms and text are compared in; idempotent."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # Format characters (ZWNJ, ZWJ, LRM/RLM, soft hyphen) sit inside words: removed, so
    # "می‌خواهم" with its ZWNJ and without are one word.
    if not text.isascii():
        text = _fold_marks(text).translate(_LATIN_FOLD).translate(_ARABIC_FOLD)
    return unicodedata.normalize("NFC", text)


def _fold_marks(text: str) -> str:
    """Drop format characters, and combining marks on Latin and Arabic letters."""
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category == "Mn":
            if _script(base) in ("LATIN", "ARABIC"):
                continue
        else:
            base = char
        kept.append(char)
    return "".join(kept)


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0] if char else ""


def tokens(text: str) -> list[str]:
    """The normalised words of ``text``."""
    return _TOKEN.findall(normalise(text))


@cache
def stemmer(language: str) -> Callable[[str], str] | None:
    """The Snowball stemmer of ``language``, or None where Snowball has none."""
    algorithm = SNOWBALL.get(language)
    return snowballstemmer.stemmer(algorithm).stemWord if algorithm else None


@dataclass(frozen=True)
class Word:
    """One word of a term, and how a token of the text matches it."""

    key: str
    mode: Mode
    stem: Callable[[str], str] | None = None

    def matches(self, token: str) -> bool:
        if self.mode == "exact":
            return token == self.key
        if self.mode == "prefix":
            return token.startswith(self.key) and len(token) - len(self.key) <= MAX_SUFFIX
        return self.stem is not None and self.stem(token) == self.key


def word(text: str, language: str, *, name: bool, inflect: bool = True) -> Word:
    """How a normalised term word matches: stemmed, by prefix, or exactly."""
    stem = stemmer(language) if inflect and not name else None
    if stem is not None:
        return Word(stem(text), "stem", stem)
    if not inflect or len(text) < MIN_STEM or not any(c.isalpha() for c in text):
        return Word(text, "exact")
    if not name:
        trimmed = text.rstrip("".join(_VOWELS))
        text = trimmed if len(trimmed) >= MIN_STEM else text[: max(MIN_STEM, len(trimmed))]
    return Word(text, "prefix")


@dataclass(frozen=True)
class Term:
    text: str  # as configured
    language: str
    words: tuple[Word, ...]

    def matches_at(self, toks: list[str], start: int) -> bool:
        if start + len(self.words) > len(toks):
            return False
        return all(
            len(toks[start + i]) <= MAX_TOKEN and w.matches(toks[start + i])
            for i, w in enumerate(self.words)
        )


@dataclass(frozen=True)
class Hit:
    """Which term matched (as configured) and the language group it belongs to."""

    term: str
    language: str


class KeywordMatcher:
    """Terms by language (``any``: every language, matched as names) -> first hit in a text.

    ``inflect=False`` matches whole normalised words only (routing's conditions).
    """

    def __init__(self, terms: Mapping[str, Iterable[str]], *, inflect: bool = True) -> None:
        self._groups: dict[str, dict[str, list[Term]]] = {}
        for language, texts in terms.items():
            index = self._groups.setdefault(language, {})
            for text in texts:
                for term in _terms(text, language, inflect):
                    index.setdefault(term.words[0].key, []).append(term)

    def __bool__(self) -> bool:
        return any(self._groups.values())

    def find(self, text: str, language: str | None = None) -> Hit | None:
        """The first term in ``text``: of ``language`` and ``any``, or of every language."""
        groups = [
            (lang, index)
            for lang, index in self._groups.items()
            if language is None or lang in (language, ANY)
        ]
        if not groups:
            return None
        toks = tokens(text)
        for lang, index in groups:
            if hit := self._find_in(index, lang, toks):
                return hit
        return None

    def search(self, text: str, language: str | None = None) -> bool:
        return self.find(text, language) is not None

    def _find_in(self, index: dict[str, list[Term]], language: str, toks: list[str]) -> Hit | None:
        stem = stemmer(language)
        for start, token in enumerate(toks):
            if len(token) > MAX_TOKEN:
                continue
            keys = {token[:end] for end in range(max(1, len(token) - MAX_SUFFIX), len(token) + 1)}
            if stem is not None:
                keys.add(stem(token))
            for key in keys:
                for term in index.get(key, ()):
                    if term.matches_at(toks, start):
                        return Hit(term.text, term.language)
        return None


def _terms(text: str, language: str, inflect: bool) -> list[Term]:
    """The term, and for a name of several words also its words run together
    ("VoltBuds Pro" matches "#VoltBudsPro")."""
    words = tokens(text)
    if not words:
        return []
    name = language == ANY
    parts = tuple(word(w, language, name=name, inflect=inflect) for w in words)
    found = [Term(text, language, parts)]
    if name and len(words) > 1:
        joined = word("".join(words), language, name=True, inflect=inflect)
        found.append(Term(text, language, (joined,)))
    return found
