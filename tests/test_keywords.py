"""socialcare.keywords: normalisation, tokens, inflection, and bounds on hostile text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from socialcare.keywords import ANY, MAX_TOKEN, KeywordMatcher, normalise, tokens

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text with what customers and attackers send: every script, marks, format characters.
TEXTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
TERMS = st.from_regex(
    r"[A-Za-zÀ-žА-яء-ي]{1,12}( [A-Za-zÀ-žА-яء-ي0-9]{1,8}){0,2}", fullmatch=True
).filter(
    tokens  # "÷" is in À-ž but no word: the rules refuse such terms
)
PUNCTUATION = st.text(alphabet=" \t\n.,;:!?¿¡()[]{}\"'«»„“—-@#…/\\|*", max_size=5)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("VOLTMOBİLE", "voltmobile"),
        ("Đuro Łódź Ørsted Straße Æon", "duro lodz orsted strasse aeon"),
        ("čekam ćevape", "cekam cevape"),
        ("ＶｏｌｔＭｏｂｉｌｅ", "voltmobile"),  # full-width letters (NFKC)
        ("ولـــت", "ولت"),  # tatweel
        ("شَبَكَةُ", "شبكه"),  # harakat and taa marbuta
        ("أإآ", "ااا"),
        ("ی ى ي", "ي ي ي"),
        ("ک ك", "ك ك"),
        ("می\u200cخواهم", "ميخواهم"),  # ZWNJ joins
        ("Вольт\u200eМобайл", "вольтмобайл"),  # a direction mark inside a word
        ("ёлка й", "ёлка й"),  # Cyrillic letters keep their marks
    ],
)
def test_normalise(text, normal):
    assert normalise(text) == normal


def test_tokens_split_on_punctuation_underscores_and_apostrophes_not_camel_case():
    assert tokens("@VoltMobile_hr, #VoltMobile! VoltMobile'dan Volt-Netz") == [
        "voltmobile", "hr", "voltmobile", "voltmobile", "dan", "volt", "netz",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("terms", "text", "language", "matches"),
    [
        ({ANY: ["VoltMobile"]}, "VoltMobilea nema signala", "hr", True),
        ({ANY: ["VoltMobile"]}, "voltmobile", None, True),
        ({ANY: ["VoltMobile"]}, "#VoltMobile", None, True),
        ({ANY: ["VoltMobile"]}, "@VoltMobile_hr", None, True),
        ({ANY: ["VoltMobile"]}, "VoltMobilu", "sl", True),
        ({ANY: ["VoltMobile"]}, "VoltMobileovimaxyz", None, False),  # too long an ending
        ({ANY: ["VoltMobile"]}, "Voltaire", "en", False),
        ({ANY: ["VoltMobile"]}, "Volt Mobile", "en", False),  # another term's business
        ({ANY: ["ВольтМобайл"]}, "ВольтМобайлом", "ru", True),
        ({ANY: ["VoltBuds Pro"]}, "#VoltBudsPro", None, True),
        ({ANY: ["VoltBuds Pro"]}, "VoltBuds are great, pro tip", None, False),
        ({ANY: ["X9"]}, "x9", None, True),
        ({ANY: ["X9"]}, "x90", None, False),  # short words match exactly
        ({"en": ["refund"]}, "refunds", "en", True),
        ({"en": ["refund"]}, "refunds", "de", False),  # another language's term
        ({"en": ["refund"]}, "refunds", None, True),  # unknown language: every term
        ({"en": ["sue"]}, "suede", "en", False),
        ({"de": ["Anwalt"]}, "Anwälte", "de", True),
        ({"de": ["Anwalt"]}, "Anwalte", "de", True),  # typed without the umlaut
        ({"tr": ["şebekesi"]}, "sebekesinde", "tr", True),
        ({"sr": ["адвокат"]}, "адвоката", "sr", True),
        ({"sr": ["мрежа"]}, "mrežom", "sr", True),  # Serbian: either script
        ({"uk": ["адвокат"]}, "адвокатом", "uk", True),
        ({"kk": ["заңгер"]}, "заңгерге", "kk", True),
        ({"fa": ["وکیل"]}, "وكيل", "fa", True),
        ({"ar": ["محامي"]}, "بالمحامي", "ar", True),
        ({"hr": ["Volt mreža"]}, "Volt mrežom", "hr", True),
        ({"hr": ["Volt mreža"]}, "mreža Volt", "hr", False),  # words in order
    ],
)
def test_matching(terms, text, language, matches):
    assert KeywordMatcher(terms).search(text, language) is matches


def test_whole_words_mode_is_routing():
    matcher = KeywordMatcher({ANY: ["refund", "cancel my account", "وکیل"]}, inflect=False)
    assert matcher.search("REFUND now")
    assert not matcher.search("the suede is refunding nothing")
    assert matcher.search("please cancel   my account!")
    assert matcher.search("وكيل")


def test_the_most_specific_term_is_reported():
    matcher = KeywordMatcher({ANY: ["VoltBuds", "VoltBuds Pro"]})
    for _ in range(3):
        assert matcher.find("#VoltBudsPro").term == "VoltBuds Pro"


def test_empty_matchers_and_terms_without_words():
    assert not KeywordMatcher({})
    assert not KeywordMatcher({ANY: ["!!!"]})
    assert KeywordMatcher({ANY: ["!!!"]}).find("!!!") is None


@PROPERTY
@given(text=TEXTS, language=st.sampled_from([None, "en", "hr", "ar", "fa", "kk", "tr"]))
def test_never_raises(text, language):
    matcher = KeywordMatcher({ANY: ["VoltMobile", "Volt X9"], "en": ["refund"], "tr": ["avukat"]})
    matcher.find(text, language)


@PROPERTY
@given(text=TEXTS)
def test_normalisation_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once
    assert tokens(once) == tokens(text)


@PROPERTY
@given(
    term=TERMS,
    language=st.sampled_from([ANY, "en", "de", "hr", "ru", "uk", "kk", "ar", "fa", "tr"]),
    before=PUNCTUATION,
    after=PUNCTUATION,
)
@example(term="AAAAAAAŒ", language="uk", before="", after="")  # all vowels once folded
@example(term="xxxxaaaaa", language="kk", before="", after="")
@example(term="\u00d7\u0410", language="hr", before="", after="")  # a symbol, then the word
def test_a_term_matches_itself_inside_any_punctuation(term, language, before, after):
    matcher = KeywordMatcher({language: [term]})
    assert matcher.search(f"{before}{term}{after}", None if language == ANY else language)
    assert KeywordMatcher({ANY: [term]}, inflect=False).search(f"{before}{term}{after}")


# Every regular expression and loop that sees customer text, on input built to make
# backtracking or per-token work explode. Each call's work is bounded by the input
# size; these run in well under a second, and would not finish if it were not.
PATHOLOGICAL = {
    "letters": "a" * 1_000_000,
    "name-run": "voltmobile" * 100_000,
    "marks": "e" + "\u0301" * 200_000,
    "zwj": "a\u200d" * 200_000,
    "zwnj-persian": "ولت\u200c" * 100_000,
    "rtl-marks": "\u200f\u202e" * 100_000 + "VoltMobile",
    "tatweel": "ـ" * 500_000,
    "mixed-scripts": "Volt Вольт ولت 😀 ٠١٢ " * 30_000,
    "near-misses": "voltmobil " * 100_000,
    "punctuation": "@#_." * 250_000,
    "one-megabyte": ("VoltMobilea nema signala već tri dana. " * 27_000)[:1_000_000],
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text_is_linear(text):
    matcher = KeywordMatcher(
        {ANY: ["VoltMobile", "Volt X9", "ولت موبایل"], "en": ["refund"], "kk": ["заңгер"]}
    )
    matcher.find(text)
    matcher.find(text, "en")
    assert all(len(t) > MAX_TOKEN or t for t in tokens(text[:10_000]))
