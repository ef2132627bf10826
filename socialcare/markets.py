"""The customer's market (ISO 3166-1 alpha-2 country) from what a platform tells:
a phone number's country calling code and national plan, or a country field."""

from __future__ import annotations

import phonenumbers

# libphonenumber's answers that name no country: "001" for non-geographic numbers
# (satellite, universal freephone), "ZZ" for unknown.
_NO_COUNTRY = frozenset({"001", "ZZ"})


def market_of_phone(number: str) -> str | None:
    """The country of an international number ("385911234567", "+385 91 123 4567"),
    or None when it does not parse as one: WhatsApp ids are numbers without the +."""
    digits = number.strip()
    if not digits.startswith("+"):
        digits = f"+{digits}"
    try:
        parsed = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return None if region is None or region in _NO_COUNTRY else region


def market_of_country(value: object) -> str | None:
    """A platform's two-letter country field ("HR", "hr"), or None when it is not one."""
    if not isinstance(value, str) or len(value) != 2 or not value.isascii():
        return None
    code = value.upper()
    return code if code.isalpha() else None
