"""The subset of X's search query language the emulator understands.

- a keyword matches a whole word of the text, case-insensitively (``refund`` does not
  match ``refunds``: X does not stem either); a leading ``#`` or ``@`` in the text
  does not hide the word;
- ``"a phrase"`` matches those words in a row;
- ``#tag`` and ``@handle`` match only that hashtag or mention;
- terms side by side must all match; ``OR`` between them needs one; parentheses group;
  ``-`` before a term or a group negates it;
- ``from:handle`` (or a numeric user id), ``lang:xx``, ``is:retweet``, ``is:reply``,
  ``is:quote`` (seeded tweets are neither retweets nor quotes); any other
  ``operator:value`` matches every tweet (``has:``, ``place:``, ...).

Anything else X accepts (``url:``, ``context:``, proximity, ...) is matched as the
keyword it looks like; a query that does not parse is answered 400 like X does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r'\s*(\(|\)|-?"[^"]*"|-?[^\s()"]+)')
_WORD = re.compile(r"[#@]?(\w+)")


class QueryError(ValueError):
    """The query is not one the emulator (or X) accepts."""


@dataclass(frozen=True)
class Searchable:
    """What a query is matched against."""

    text: str
    author_id: str
    username: str
    lang: str | None
    is_reply: bool

    def words(self) -> list[str]:
        return [m.group(1).casefold() for m in _WORD.finditer(self.text)]

    def tagged(self, sign: str) -> set[str]:
        return {m.group(1).casefold() for m in re.finditer(rf"{re.escape(sign)}(\w+)", self.text)}


Predicate = Callable[[Searchable], bool]


def compile_query(query: str) -> Predicate:
    """A predicate for ``query``; QueryError when it does not parse."""
    tokens = _tokens(query)
    if not tokens:
        raise QueryError("query must not be empty")
    parser = _Parser(tokens)
    predicate = parser.any_of()
    if parser.position != len(tokens):
        raise QueryError(f"unexpected {tokens[parser.position]!r}")
    return predicate


def _tokens(query: str) -> list[str]:
    tokens, position = [], 0
    while position < len(query.rstrip()):
        match = _TOKEN.match(query, position)
        if match is None:
            raise QueryError(f"cannot read the query at {position}: unbalanced quotes?")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def any_of(self) -> Predicate:
        options = [self.all_of()]
        while self._peek() == "OR":
            self.position += 1
            options.append(self.all_of())
        return options[0] if len(options) == 1 else lambda t: any(p(t) for p in options)

    def all_of(self) -> Predicate:
        terms: list[Predicate] = []
        while self._peek() not in (None, ")", "OR"):
            terms.append(self.term())
        if not terms:
            raise QueryError("an empty group or a dangling OR")
        return terms[0] if len(terms) == 1 else lambda t: all(p(t) for p in terms)

    def term(self) -> Predicate:
        token = self.tokens[self.position]
        self.position += 1
        if token == "(":
            inner = self.any_of()
            if self._peek() != ")":
                raise QueryError("unbalanced parentheses")
            self.position += 1
            return inner
        if token == "-":  # before a group: -(a OR b)
            if self._peek() is None:
                raise QueryError("nothing after -")
            negated = self.term()
            return lambda t: not negated(t)
        if token.startswith("-"):
            positive = _atom(token[1:])
            return lambda t: not positive(t)
        return _atom(token)


def _atom(token: str) -> Predicate:
    if token.startswith('"'):
        phrase = [w.casefold() for w in _WORD.findall(token.strip('"'))]
        return lambda t: _contains(t.words(), phrase)
    if token.startswith(("#", "@")) and len(token) > 1:
        sign, name = token[0], token[1:].casefold()
        return lambda t: name in t.tagged(sign)
    operator, colon, value = token.partition(":")
    if colon and operator.isalpha() and value:
        return _operator(operator.lower(), value)
    words = [w.casefold() for w in _WORD.findall(token)]
    return lambda t: _contains(t.words(), words)


def _operator(name: str, value: str) -> Predicate:
    folded = value.casefold().lstrip("@")
    if name == "from":
        return lambda t: folded in (t.username.casefold(), t.author_id)
    if name == "lang":
        return lambda t: (t.lang or "").casefold() == folded
    if name == "is":
        return lambda t: folded == "reply" and t.is_reply
    return lambda t: True


def _contains(words: list[str], run: list[str]) -> bool:
    if not run:
        return True
    return any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))
