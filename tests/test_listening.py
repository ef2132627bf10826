"""socialcare.listening: the rules file, matching by brand, the X query, and the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcare.config_files import ConfigFileError
from socialcare.listening import (
    DEFAULT_LISTENING,
    LEGACY_BRAND,
    ListeningRules,
    Match,
    configured_rules,
    load_listening,
    parse_listening,
)
from tests.support import listening_table

RULES = """\
version: 1
brands:
  - name: VoltMobile
    terms:
      any: [VoltMobile, Volt Mobile]
      hr: [Volt mreža]
    exclude: [we are hiring]
    own_accounts:
      twitter: ["@VoltMobile", "1550000000000000001"]
  - name: NordaShop
    terms: [NordaShop]
"""


@pytest.fixture
def rules() -> ListeningRules:
    return parse_listening(RULES)


def test_the_shipped_rules_load():
    shipped = load_listening()
    assert [b.name for b in shipped.brands] == ["VoltMobile", "VoltBuds", "NordaShop"]
    assert load_listening(DEFAULT_LISTENING) == shipped


def test_a_match_names_brand_term_and_language(rules):
    assert rules.match("VoltMobilea nema signala već tri dana") == Match(
        "VoltMobile", "VoltMobile", "any"
    )
    assert rules.match("Problem s Volt mrežom", "hr") == Match("VoltMobile", "Volt mreža", "hr")
    assert rules.match("Problem s Volt mrežom", "en") is None  # not an en term
    assert rules.match("#NordaShop parcel lost") == Match("NordaShop", "NordaShop", "any")
    assert rules.match("Voltaire") is None


def test_exclusions_reject_only_their_brand(rules):
    assert rules.match("We are hiring at VoltMobile") is None
    assert rules.match("We are hiring at VoltMobile, NordaShop too").brand == "NordaShop"


def test_own_accounts_are_never_listening(rules):
    assert rules.match("VoltMobile news", author="voltmobile") is None
    assert rules.match("VoltMobile news", author="1550000000000000001") is None
    assert rules.match("VoltMobile news", author=("1550000000000000001", "x")) is None
    assert rules.match("VoltMobile news", author="voltmobile", platform="facebook")
    assert rules.match("VoltMobile news", author="customer") is not None
    # The brand's own account talking about another brand is listening for that one.
    assert rules.match("VoltMobile and NordaShop", author="VoltMobile").brand == "NordaShop"


def test_x_query_from_the_terms(rules):
    volt, norda = rules.brands
    assert volt.x_query() == (
        '("VoltMobile" OR "Volt Mobile" OR "Volt mreža") -is:retweet -from:VoltMobile '
        '-from:1550000000000000001 -"we are hiring"'
    )
    assert norda.x_query() == '("NordaShop") -is:retweet'
    with_query = RULES.replace("[NordaShop]", "[NordaShop]\n    query: NordaShop lang:hr")
    override = parse_listening(with_query)
    assert override.brands[1].x_query() == "NordaShop lang:hr"


def test_the_shipped_queries_fit_x():
    assert all(len(b.x_query()) <= 512 for b in load_listening().brands)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 1\nbrands:\n  - name: A\n    terms: {xx1: [a]}\n", 4, "brands.0.terms.xx1"),
        ("version: 1\nbrands:\n  - name: A\n    terms: [a]\n    typo: 1\n", 5, "brands.0.typo"),
        ("version: 1\nbrands:\n  - name: A\n    terms: ['!!']\n", 4, "no letters or digits"),
        ("version: 1\nbrands:\n  - name: A\n", 3, "brands.0.terms"),
        ("brands:\n  - {name: A, terms: [a]}\n  - {name: A, terms: [b]}\n", 1, "unique: A"),
        ("brands: [\n", 2, "not valid YAML"),
        ("- a\n", 1, "mapping of keys"),
    ],
)
def test_errors_name_file_and_line(text, line, message):
    with pytest.raises(ConfigFileError) as error:
        parse_listening(text, "listening.yaml")
    assert f"listening.yaml:{line}:" in str(error.value)
    assert message in str(error.value)


def test_an_overlong_query_is_refused_with_its_line():
    terms = ", ".join(f"Term{n:03d}" for n in range(60))
    with pytest.raises(ConfigFileError, match=r"x\.yaml:3: brands\.0: .*512 characters"):
        parse_listening(f"version: 1\nbrands:\n  - name: A\n    terms: [{terms}]\n", "x.yaml")


def test_an_unreadable_file_is_named(tmp_path):
    with pytest.raises(ConfigFileError, match=r"nothing\.yaml: cannot read"):
        load_listening(tmp_path / "nothing.yaml")


def test_the_old_keywords_are_one_brand_of_any_language(tmp_path: Path):
    legacy = configured_rules(None, ["voltmobile", "volt mobile"])
    assert [b.name for b in legacy.brands] == [LEGACY_BRAND]
    assert legacy.match("VoltMobilea") == Match(LEGACY_BRAND, "voltmobile", "any")
    assert configured_rules(None) == load_listening()  # neither: the shipped rules
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    both = configured_rules(path, ["refund"])
    assert [b.name for b in both.brands] == ["VoltMobile", "NordaShop", LEGACY_BRAND]
    assert ListeningRules.from_keywords(["", "!!"]).brands == []


def test_the_docs_tables_are_current():
    document = listening_table.DOC.read_text(encoding="utf-8")
    assert listening_table.updated(document) == document, (
        "docs/listening.md is stale: python -m tests.support.listening_table"
    )


@pytest.mark.parametrize(
    ("language", "text", "expected"), listening_table.SHIPPED, ids=lambda v: str(v)[:20]
)
def test_each_documented_text_matches_as_it_says(language, text, expected):
    match = load_listening().match(text, language)
    assert (match.term if match else None) == expected
