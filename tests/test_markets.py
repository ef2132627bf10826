"""The customer's market from a phone number or a platform's country field: a
country code or None, whatever a platform (or an attacker) sends."""

from hypothesis import given
from hypothesis import strategies as st

from socialcare.markets import market_of_country, market_of_phone


def test_phone_numbers_name_their_country_with_or_without_the_plus():
    assert market_of_phone("385911234567") == "HR"
    assert market_of_phone("+385 91 123 4567") == "HR"
    assert market_of_phone("77011234567") == "KZ"  # +7 shared with Russia
    assert market_of_phone("79123451234") == "RU"
    assert market_of_phone("989121234567") == "IR"


def test_what_is_not_a_countrys_number_has_no_market():
    for number in ("", "12", "not a number", "+800 1234 5678", "9" * 300):
        assert market_of_phone(number) is None


def test_country_fields_are_two_letters():
    assert market_of_country("hr") == market_of_country("HR") == "HR"
    for value in (None, 385, "", "HRV", "H1", "ÅÄ", "  "):
        assert market_of_country(value) is None


@given(st.text(max_size=300))
def test_any_text_gives_a_country_code_or_none(text):
    for market in (market_of_phone(text), market_of_country(text)):
        assert market is None or (len(market) == 2 and market.isascii() and market.isupper())
