"""The terms of a message, for counting: casefolded words and word pairs, in every script.

Words are runs of letters, combining marks and digits (``\\p{L}\\p{M}\\p{N}``), joined
across an apostrophe or a zero-width (non-)joiner, so Persian ``نمی‌شود`` and English
``won't`` stay one word. The pattern has no nested ambiguity (a joiner must be followed
by a letter), so matching is linear in the text, and the text is cut at
``MAX_TEXT_CHARS`` and the words at ``MAX_WORDS`` anyway: no message costs more than a
bounded amount, whatever it holds.

A word is NFKC-normalized (full-width and presentation forms), casefolded, stripped of
Arabic short vowels and tatweel, and the Arabic and Persian forms of yeh and kaf are
made one, so the same name counts once in Arabic, Persian and Kazakh-Arabic writing.
Words of one character, only digits (order numbers) or longer than ``MAX_WORD_CHARS``
(links, noise) are not terms. Pairs of neighbouring words are terms too: a product
name is often two words (``voltbuds pro``).
"""

from __future__ import annotations

import itertools
import unicodedata

import regex

MAX_TEXT_CHARS = 4000
MAX_WORDS = 48
MAX_WORD_CHARS = 40

_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:[\u200c\u200d'’][\p{L}\p{M}\p{N}]+)*")
_LETTER = regex.compile(r"\p{L}")
# Arabic short vowels, shadda, sukun, superscript alef; tatweel (a stretching stroke).
_ARABIC_MARKS = regex.compile(r"[\u064b-\u065f\u0670\u0640]")
_SAME_LETTER = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "’": "'"})


def normalize(word: str) -> str:
    """The counted form of one word."""
    word = unicodedata.normalize("NFKC", word).casefold()
    return _ARABIC_MARKS.sub("", word).translate(_SAME_LETTER)


def words(text: str) -> list[str]:
    """The text's countable words, in order (at most ``MAX_WORDS``)."""
    found: list[str] = []
    for match in _WORD.finditer(text[:MAX_TEXT_CHARS]):
        word = normalize(match.group())
        if 2 <= len(word) <= MAX_WORD_CHARS and _LETTER.search(word):
            found.append(word)
            if len(found) == MAX_WORDS:
                break
    return found


def terms(text: str) -> frozenset[str]:
    """The distinct terms of a message: its words and its neighbouring word pairs."""
    found = words(text)
    return frozenset(found) | {f"{a} {b}" for a, b in itertools.pairwise(found)}
