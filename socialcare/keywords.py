"""Keyword matching on customer text, shared by listening (ingest, the X poller) and routing.

Text and terms go through the same normalisation (NFKC, case folding, Latin diacritics
and Arabic-script letter variants folded) and the same tokeniser, so a term matches
what a customer types however they spell its accents or letter forms. Inflection is
handled per word:

- ``stem``: the term language's Snowball stemmer (the languages it covers; for hr, bs,
  sr and tr a prefix as well, see ``STEM_AND_PREFIX``);
- ``prefix``: the word plus at most ``MAX_SUFFIX`` more letters, for brand and product
  names in every language ("VoltMobilea", "ВольтМобайлом") and for words of languages
  without a stemmer (their final vowels dropped first, down to ``MIN_STEM`` letters);
- ``exact``: whole words only (routing's keyword conditions, and words too short to
  stem or prefix safely).

A term of several words matches those words as consecutive tokens. Everything here
is linear in the size of the text: no regular expression backtracks, no token longer
than ``MAX_TOKEN`` is stemmed or compared, and a stemmer sees at most ``MAX_STEMMED``
words of one text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
# Most words one language's stemmer sees in one text (those that could be a term's):
# bounds the work a very long post causes; words beyond are compared by prefix only.
MAX_STEMMED = 1_000

# Snowball algorithms for our languages. Serbian's covers Croatian and Bosnian too
# (one language for stemming: the same endings, Latin or Cyrillic). Kazakh,
# Slovenian and Ukrainian have none: prefix matching.
SNOWBALL = {
    "ar": "arabic", "de": "german", "en": "english", "es": "spanish", "fa": "persian",
    "fr": "french", "it": "italian", "nl": "dutch", "pl": "polish", "pt": "portuguese",
    "ru": "russian", "tr": "turkish", "sr": "serbian", "hr": "serbian", "bs": "serbian",
}  # fmt: skip
# Where Snowball's stemmer leaves inflected forms of one word apart ("advokat" ->
# "advoka" but "advokata" -> "advokat"; Turkish possessives), a word also matches as a
# prefix.
STEM_AND_PREFIX = frozenset({"hr", "bs", "sr", "tr"})

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
# Word characters and Latin combining marks; underscores (replaced by spaces first),
# apostrophes and everything else separate words ("@VoltMobile_hr" is "voltmobile" "hr",
# "VoltMobile'dan" is "voltmobile" "dan").
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOKEN = re.compile(rf"[\w{_MARKS}]+")
_WORD_MARK = re.compile(rf"[{_MARKS}]")
_VOWELS = "aeiouyаеёиоуыэюяіїєәөұүı"


def normalise(text: str) -> str:
    """The form both terms and text are compared in; idempotent."""
    return fold(_prepare(text))


def _prepare(text: str) -> str:
    """Case folded, format characters dropped, Arabic-script variants folded; Latin
    accents kept (stemmers know their language's accented endings)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Format characters (ZWNJ, ZWJ, LRM/RLM, soft hyphen) sit inside words: removed, so
    # "می‌خواهم" with its ZWNJ and without are one word.
    text = unicodedata.normalize("NFC", _drop_marks(text, "ARABIC"))
    return text.translate(_ARABIC_FOLD)


def fold(word: str) -> str:
    """Latin diacritics dropped: "čekam" and "cekam", "Anwälte" and "Anwalte" are one."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", _drop_marks(word, "LATIN")).translate(_LATIN_FOLD)


def _drop_marks(text: str, script: str) -> str:
    """Drop format characters, and combining marks on letters of ``script``."""
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category != "Mn":
            base = char
        elif _script(base) == script or not _WORD_MARK.match(char):
            # Marks of other ranges (scripts we do not stem) would split a word.
            continue
        kept.append(char)
    return "".join(kept)


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0] if char else ""


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(_prepare(text).replace("_", " "))


def tokens(text: str) -> list[str]:
    """The normalised words of ``text``."""
    return [fold(t) for t in _raw_tokens(text)]


@cache
def stemmer(language: str) -> Callable[[str], str] | None:
    """The Snowball stemmer of ``language`` (remembering its recent words), or None."""
    algorithm = SNOWBALL.get(language)
    if not algorithm:
        return None
    stem_word = snowballstemmer.stemmer(algorithm).stemWord

    # Snowball in Python costs about 0.1 ms a word; customers repeat words. Its output
    # is normalised again: the Persian stemmer writes ک for ك, Serbian's writes Latin
    # letters with diacritics.
    @lru_cache(maxsize=50_000)
    def stem(word: str) -> str:
        return normalise(stem_word(word))

    return stem


@dataclass(frozen=True)
class Token:
    raw: str  # accents kept, for the stemmer
    folded: str

    def stems(self, stem: Callable[[str], str]) -> tuple[str, str]:
        # Stemmed with its accents (what the stemmer knows), and as typed without them.
        stem_raw = stem(self.raw)
        return stem_raw, stem_raw if self.raw == self.folded else stem(self.folded)


@dataclass(frozen=True)
class Word:
    """One word of a term, and how a token of the text matches it."""

    keys: tuple[str, ...]
    mode: Mode
    stem: Callable[[str], str] | None = None
    prefix: str | None = None  # a stemmed word's prefix too, where the stemmer needs help

    def matches(self, token: Token) -> bool:
        folded = token.folded
        if len(folded) > MAX_TOKEN:
            return False
        if self.mode == "exact":
            return folded == self.keys[0]
        if self.stem is not None and any(k in self.keys for k in token.stems(self.stem)):
            return True
        prefix = self.prefix if self.mode == "stem" else self.keys[0]
        return prefix is not None and _extends(folded, prefix)


def _extends(token: str, prefix: str) -> bool:
    return token.startswith(prefix) and len(token) - len(prefix) <= MAX_SUFFIX


def word(raw: str, language: str, *, name: bool, inflect: bool = True) -> Word:
    """How a term word (prepared, accents kept) matches: stemmed, by prefix, or exactly."""
    text = fold(raw)
    stem = stemmer(language) if inflect and not name else None
    if stem is not None:
        keys = tuple(dict.fromkeys(Token(raw, text).stems(stem)))
        if language in STEM_AND_PREFIX and len(text) >= MIN_STEM:
            return Word((*keys, _prefix(text)), "stem", stem, _prefix(text))
        return Word(keys, "stem", stem)
    if not inflect or len(text) < MIN_STEM or not any(c.isalpha() for c in text):
        return Word((text,), "exact")
    if name and len(text) > MIN_STEM + 1 and text[-1] in _VOWELS:
        # One final vowel of a name may change in declension: "VoltMobile", "VoltMobilu".
        return Word((text[:-1],), "prefix")
    return Word((text if name else _prefix(text),), "prefix")


def _prefix(text: str) -> str:
    """A word without its final vowels (the part endings attach to), at least MIN_STEM
    long and at most MAX_SUFFIX shorter than the word, so the word itself still matches
    (a run of vowels at the end, "aaaaaaaœ" folded to "aaaaaaaoe", once trimmed to
    "aaaa" and missed itself)."""
    trimmed = text.rstrip(_VOWELS)
    shortest = max(MIN_STEM, len(text) - MAX_SUFFIX)
    return trimmed if len(trimmed) >= shortest else text[:shortest]


@dataclass(frozen=True)
class Term:
    text: str  # as configured
    language: str
    words: tuple[Word, ...]

    def matches_at(self, toks: list[Token], start: int) -> bool:
        if start + len(self.words) > len(toks):
            return False
        return all(w.matches(toks[start + i]) for i, w in enumerate(self.words))


@dataclass(frozen=True)
class Hit:
    """Which term matched (as configured) and the language group it belongs to."""

    term: str
    language: str


@dataclass
class _Group:
    """The terms of one language, indexed by the keys of their first word."""

    language: str
    stem: Callable[[str], str] | None
    index: dict[str, list[Term]] = field(default_factory=dict)
    initials: set[str] = field(default_factory=set)

    def add(self, term: Term) -> None:
        for key in term.words[0].keys:
            self.index.setdefault(key, []).append(term)
            self.initials.add(key[:1])
        # The first word's initial, not the term text's: a term that begins with a symbol
        # (a multiplication sign before a Cyrillic letter, found by hypothesis in Croatian,
        # whose stems are Latin) has no token that begins with it.
        self.initials.add(fold(_raw_tokens(term.text)[0])[:1])

    def may_stem(self, token: Token) -> bool:
        """Whether the token's stem could be a key: Snowball drops endings, so a stem
        begins as its word does; Arabic and Persian ones also drop prefixes (ال, ب)."""
        if self.language in ("ar", "fa"):
            return _script(token.folded[0]) == "ARABIC"
        return token.folded[0] in self.initials or token.raw[0] in self.initials

    def find(self, toks: list[Token]) -> Hit | None:
        stemmed = 0
        for start, token in enumerate(toks):
            folded = token.folded
            if len(folded) > MAX_TOKEN:
                continue  # no term word is this long: never stemmed or sliced
            # Most specific first: stems, then the longest prefix ("VoltBuds Pro" run
            # together before "VoltBuds").
            keys: list[str] = []
            if self.stem and stemmed < MAX_STEMMED and self.may_stem(token):
                stemmed += 1
                keys += token.stems(self.stem)
            keys += [folded[:end] for end in range(len(folded), len(folded) - MAX_SUFFIX - 1, -1)]
            for key in dict.fromkeys(keys):
                for term in self.index.get(key, ()):
                    if term.matches_at(toks, start):
                        return Hit(term.text, term.language)
        return None


class KeywordMatcher:
    """Terms by language (``any``: every language, matched as names) -> first hit in a text.

    ``inflect=False`` matches whole normalised words only (routing's conditions).
    """

    def __init__(self, terms: Mapping[str, Iterable[str]], *, inflect: bool = True) -> None:
        self._groups: list[_Group] = []
        for language, texts in terms.items():
            group = _Group(language, stemmer(language) if inflect else None)
            for text in texts:
                for term in _terms(text, language, inflect):
                    group.add(term)
            if group.index:
                self._groups.append(group)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def find(self, text: str, language: str | None = None) -> Hit | None:
        """The first term in ``text``: of ``language`` and ``any``, or of every language."""
        groups = [g for g in self._groups if language is None or g.language in (language, ANY)]
        if not groups:
            return None
        toks = [Token(raw, fold(raw)) for raw in _raw_tokens(text)]
        for group in groups:
            if hit := group.find(toks):
                return hit
        return None

    def search(self, text: str, language: str | None = None) -> bool:
        return self.find(text, language) is not None


def _terms(text: str, language: str, inflect: bool) -> list[Term]:
    """The term, and for a name of several words also its words run together
    ("VoltBuds Pro" matches "#VoltBudsPro")."""
    words = _raw_tokens(text)
    if not words:
        return []
    name = language == ANY
    parts = tuple(word(w, language, name=name, inflect=inflect) for w in words)
    found = [Term(text, language, parts)]
    if name and len(words) > 1:
        joined = word("".join(words), language, name=True, inflect=inflect)
        found.append(Term(text, language, (joined,)))
    return found
