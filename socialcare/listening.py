"""Listening rules: which public posts are about a brand although they do not tag it.

One YAML file (``SOCIALCARE_LISTENING_CONFIG``; the shipped default is
socialcare/default_listening.yaml, the demo brands) lists per brand its terms by
language, the terms that reject a match (job ads, homonyms) and the brand's own
accounts, whose posts are never listening. ingest asks it which posts are
``kind: listening``; the X poller builds its search query from it. The format and
what matches in each language are in docs/listening.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from socialcare.config_files import load_yaml, parse_yaml
from socialcare.keywords import ANY, KeywordMatcher, tokens

DEFAULT_LISTENING = Path(__file__).resolve().parent / "default_listening.yaml"
LEGACY_BRAND = "default"
# X recent search takes queries of up to 512 characters (basic and pro access).
X_QUERY_LIMIT = 512

Group = Annotated[str, Field(pattern=r"^([a-z]{2}|any)$")]


def _is_term(term: str) -> str:
    if not tokens(term):
        raise ValueError(f"{term!r} has no letters or digits to match")
    return term.strip()


Term = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrandRules(_Strict):
    name: str = Field(min_length=1, max_length=100)
    terms: dict[Group, list[Term]] = Field(min_length=1)
    exclude: dict[Group, list[Term]] = Field(default_factory=dict)
    own_accounts: dict[str, list[str]] = Field(default_factory=dict)
    query: str | None = Field(None, min_length=1, max_length=X_QUERY_LIMIT)

    @field_validator("terms", "exclude", mode="before")
    @classmethod
    def _list_is_any(cls, value: object) -> object:
        """A plain list is terms of every language."""
        return {ANY: value} if isinstance(value, list) else value

    @field_validator("terms", "exclude")
    @classmethod
    def _terms_have_words(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {group: [_is_term(t) for t in terms] for group, terms in value.items()}

    @field_validator("own_accounts")
    @classmethod
    def _accounts_folded(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {platform: [a.lstrip("@") for a in accounts] for platform, accounts in value.items()}

    @model_validator(mode="after")
    def _query_fits(self) -> BrandRules:
        if len(self.x_query()) > X_QUERY_LIMIT:
            raise ValueError(
                f"the X query built from the terms is longer than {X_QUERY_LIMIT} characters;"
                " give a shorter one as `query`"
            )
        return self

    @cached_property
    def matcher(self) -> KeywordMatcher:
        return KeywordMatcher(self.terms)

    @cached_property
    def excluder(self) -> KeywordMatcher:
        return KeywordMatcher(self.exclude)

    @cached_property
    def _own(self) -> dict[str, frozenset[str]]:
        return {p: frozenset(a.casefold() for a in accs) for p, accs in self.own_accounts.items()}

    def is_own(self, author: str | Sequence[str] | None, platform: str | None = None) -> bool:
        """Whether ``author`` (an id or handle, with or without @; or several of them,
        e.g. id and handle) is one of the brand's own accounts."""
        names = [author] if isinstance(author, str) else list(author or ())
        folded = {a.lstrip("@").casefold() for a in names if a}
        return any(
            not folded.isdisjoint(accounts)
            for p, accounts in self._own.items()
            if platform is None or p == platform
        )

    def x_query(self) -> str:
        """An X recent-search query: the terms, minus retweets, own posts and exclusions."""
        if self.query:
            return self.query
        terms = _unique(t for group in self.terms.values() for t in group)
        parts = ["(" + " OR ".join(_quoted(t) for t in terms) + ")", "-is:retweet"]
        parts += [f"-from:{a}" for a in _unique(self.own_accounts.get("twitter", []))]
        parts += [f"-{_quoted(t)}" for t in _unique(t for g in self.exclude.values() for t in g)]
        return " ".join(parts)


@dataclass(frozen=True)
class Match:
    """A post about ``brand``: ``term`` (as configured) of ``language`` matched."""

    brand: str
    term: str
    language: str


class ListeningRules(_Strict):
    version: int = Field(1, ge=1, le=1)
    brands: list[BrandRules] = Field(default_factory=list)

    @field_validator("brands")
    @classmethod
    def _unique_names(cls, brands: list[BrandRules]) -> list[BrandRules]:
        names = [b.name for b in brands]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"brand names must be unique: {', '.join(duplicates)}")
        return brands

    def match(
        self,
        text: str,
        language: str | None = None,
        author: str | Sequence[str] | None = None,
        platform: str | None = None,
    ) -> Match | None:
        """The first brand whose terms ``text`` contains and none of its exclusions.

        ``language`` (the text's, when known) narrows the terms to that language's and
        ``any``; ``author`` (id or handle, on ``platform`` if given) skips brands it is
        an own account of.
        """
        for brand in self.brands:
            if brand.is_own(author, platform):
                continue
            hit = brand.matcher.find(text, language)
            if hit and not brand.excluder.search(text, language):
                return Match(brand.name, hit.term, hit.language)
        return None

    @classmethod
    def from_keywords(cls, keywords: Iterable[str]) -> ListeningRules:
        """The rules of the old SOCIALCARE_LISTENING_KEYWORDS: one brand, every language."""
        terms = [k for k in keywords if tokens(k)]
        return cls(brands=[BrandRules(name=LEGACY_BRAND, terms={ANY: terms})] if terms else [])


def load_listening(path: Path = DEFAULT_LISTENING) -> ListeningRules:
    """The rules in ``path``; ConfigFileError names the file and line of any problem."""
    return load_yaml(path, ListeningRules)


def parse_listening(text: str, source: str = "<listening>") -> ListeningRules:
    return parse_yaml(text, ListeningRules, source)


def configured_rules(path: Path | None, keywords: Iterable[str] = ()) -> ListeningRules:
    """The rules a service runs with.

    ``path`` (SOCIALCARE_LISTENING_CONFIG) when set, else the shipped default unless
    the old SOCIALCARE_LISTENING_KEYWORDS are given; those always add the brand
    ``default``.
    """
    legacy = ListeningRules.from_keywords(keywords)
    if path is None and legacy.brands:
        return legacy
    rules = load_listening(path or DEFAULT_LISTENING)
    return rules.model_copy(update={"brands": [*rules.brands, *legacy.brands]})


def _quoted(term: str) -> str:
    return '"' + term.replace('"', "") + '"'


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
