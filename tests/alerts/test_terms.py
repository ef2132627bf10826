import time

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare.alerts.terms import MAX_WORD_CHARS, MAX_WORDS, normalize, terms, words
from tests.support.linear_time import LINEAR_BOUND_SECONDS


def test_words_in_every_script_are_casefolded_and_kept_whole():
    assert words("VoltBuds PRO won't charge") == ["voltbuds", "pro", "won't", "charge"]
    assert "құлаққаптарым" in words("VoltBuds Pro құлаққаптарым екі күннен кейін")
    # Persian: the zero-width non-joiner keeps نمی‌شود one word.
    assert "نمی\u200cشود" in words("هدفون VoltBuds Pro من شارژ نمی\u200cشود")
    assert words("Наушники VoltBuds перестали") == ["наушники", "voltbuds", "перестали"]


def test_arabic_and_persian_forms_count_as_one():
    assert normalize("كيبورد") == normalize("کیبورد")
    assert normalize("مُنتَج") == normalize("منتج")  # short vowels dropped
    assert normalize("ＶｏｌｔＢｕｄｓ") == "voltbuds"  # full-width


def test_numbers_single_letters_and_long_noise_are_no_terms():
    assert words("Order 48213 #VB-55120 a x") == ["order", "vb"]
    assert words("y" * (MAX_WORD_CHARS + 1)) == []


def test_terms_are_words_and_neighbouring_pairs():
    assert terms("Meine VoltBuds Pro laden nicht") >= {"voltbuds", "voltbuds pro", "pro laden"}


@given(st.text())
def test_any_text_gives_bounded_normalized_terms(text):
    found = words(text)
    assert len(found) <= MAX_WORDS
    for word in found:
        assert 2 <= len(word) <= MAX_WORD_CHARS
        assert word == normalize(word)
    assert len(terms(text)) <= 2 * MAX_WORDS


@settings(max_examples=30)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50))
def test_a_pathological_text_costs_what_its_length_costs(unit):
    # Joiners and apostrophes between letters, repeated: linear, and cut at the cap.
    text = (unit + "\u200c'’a") * 20_000
    started = time.perf_counter()
    terms(text)
    assert time.perf_counter() - started < LINEAR_BOUND_SECONDS
