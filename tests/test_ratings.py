"""Survey answers: what is a rating (1..5) and what is a new message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare.ratings import MAX_CHARS, rating


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        (" 1 ", 1),
        ("4/5", 4),
        ("5/5!", 5),
        ("3 out of 5", 3),
        ("3 из 5", 3),
        ("5 stars", 5),
        ("4 estrellas", 4),
        ("5 yıldız", 5),
        ("5⭐", 5),
        ("⭐⭐⭐⭐", 4),
        ("⭐ ⭐ ⭐", 3),
        ("٥", 5),
        ("۴", 4),
        ("\u200f٣\u200f", 3),
        ("👍", 5),
        ("👍🏽", 5),
        ("👎", 1),
        ("😡", 1),
        ("☹️", 2),
        ("😐", 3),
        ("🙂", 4),
        ("😍😍", 5),
        ("five", 5),
        ("Five stars!", 5),
        ("cinco", 5),
        ("пять", 5),
        ("п’ять", 5),
        ("beş", 5),
        ("бес", 5),
        ("پنج", 5),
        ("خمسة", 5),
        ("اثنين", 2),
        ("excellent", 5),
        ("Excelente!", 5),
        ("odlično", 5),
        ("Отлично!", 5),
        ("çok iyi", 5),
        ("ممتاز", 5),
        ("عالی", 5),
        ("خیلی بد", 1),
        ("terrible", 1),
        ("ужасно", 1),
        ("«хорошо»", 4),
    ],
)
def test_ratings(text, expected):
    assert rating(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my order 12345 still not here",
        "12345",
        "0",
        "6",
        "10/10",
        "5 days and still nothing",
        "1 more question",
        "ok",
        "thanks",
        "👍 but my refund?",
        "⭐⭐⭐⭐⭐⭐",
        "",
        "   ",
        "\u200d",
        "pet",  # "five" in Croatian, a pet in English
        "um",  # "one" in Portuguese, a hesitation in English
    ],
)
def test_not_ratings(text):
    assert rating(text) is None


def test_words_of_one_language_count_in_that_language():
    assert rating("pet", "hr") == 5 and rating("pet", "sr") == 5
    assert rating("um", "pt") == 1 and rating("um", "en") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_rating_or_none(text):
    assert rating(text) in (None, 1, 2, 3, 4, 5)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="5 ⭐👍\u200d\u200f\u202e\ufe0f/٥پنجfive", max_size=45))
def test_texts_built_from_rating_parts_never_raise(text):
    assert rating(text, "fa") in (None, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    "text",
    [
        "5" * 10**6,
        "⭐" * 10**6,
        "five " * 10**5,
        "\u200d" * 10**6 + "5",
        "a" * (MAX_CHARS - 6) + " stars",
        "x" * 39,
        "\u200f" * 20 + "پنج" + "\u200c" * 15,
        "ab'" * 13,
        "5" + " " * 38 + "5",
    ],
)
def test_pathological_texts_are_refused_or_read_at_once(text):
    # Long inputs are refused before any pattern runs; short ones cannot backtrack
    # far: a whole parametrized run takes milliseconds, a catastrophic pattern would not.
    assert rating(text) is None or len(text) <= MAX_CHARS
