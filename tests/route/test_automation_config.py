"""The routing file's acknowledgements and surveys: the shipped templates (every
classifier language, in the script its customers write) and the errors of a bad one."""

from __future__ import annotations

import unicodedata

import pytest

from socialcare.classify.settings import DEFAULT_LANGUAGES
from socialcare.route import automation
from socialcare.route.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config

BASE = DEFAULT_CONFIG.read_text()
SCRIPT = {"ar": "ARABIC", "fa": "ARABIC", "kk": "CYRILLIC", "ru": "CYRILLIC", "uk": "CYRILLIC"}


def error_for(text: str) -> str:
    with pytest.raises(ConfigError) as failure:
        parse_config(text, "routing.yaml")
    return str(failure.value)


def scripts(text: str) -> set[str]:
    """The scripts of the letters of ``text`` (the first word of their Unicode names)."""
    return {unicodedata.name(c).split()[0] for c in text if c.isalpha()}


def test_shipped_templates_cover_every_classifier_language_in_its_script():
    config = load_config()
    for templates in (config.acknowledgements.templates, config.surveys.templates):
        assert sorted(templates) == sorted(DEFAULT_LANGUAGES)
        for language, text in templates.items():
            assert scripts(text.replace("{due}", "")) == {SCRIPT.get(language, "LATIN")}, language
    assert all("{due}" in t for t in config.acknowledgements.templates.values())
    # Persian is written with its own letters (ی, ک), not the Arabic ones.
    assert not set("يك") & set(config.acknowledgements.templates["fa"])


def test_shipped_rules_acknowledge_private_messages_outside_business_hours():
    acks = load_config().acknowledgements
    (rule,) = acks.rules
    assert rule.when.outside_business_hours is True and rule.public is False
    assert set(rule.when.platforms or ()) == {
        "whatsapp",
        "messenger",
        "telegram",
        "viber",
        "instagram",
    }
    assert acks.counts_as_first_response is False


def test_without_the_sections_nothing_is_automated():
    config = parse_config(BASE[: BASE.index("acknowledgements:")])
    assert config.acknowledgements.rules == [] and config.surveys.platforms == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "сотрудник нашей команды ответит вам до {due}.",
            "сотрудник нашей команды ответит вам скоро.",
            "acknowledgements.templates: ru: must name ['due']",
        ),
        (
            '    en: "How did we do?',
            '    en: "How did we do, {name}?',
            "surveys.templates: en: may name no placeholder, not ['name']",
        ),
        (
            '    de: "Wie zufrieden',
            '    xx: "Wie zufrieden',
            "surveys.templates: unknown language 'xx'",
        ),
        ("  timezone: UTC", "  timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (
            "      public: false\n  window_minutes",
            "      public: maybe\n  window_minutes",
            "public",
        ),
        ("  window_minutes: 1440\n  # An", "  window_minutes: 0\n  # An", "greater than 0"),
    ],
)
def test_errors_name_the_key(old, new, expected):
    assert old in BASE
    assert expected in error_for(BASE.replace(old, new, 1))


def test_the_fallback_language_needs_a_template_when_used():
    start = BASE.index('    en: "Thanks for your message!')
    text = BASE[:start] + BASE[BASE.index("\n", start) + 1 :]
    assert "acknowledgements.templates: no template in the fallback 'en'" in error_for(text)


def test_the_template_of_a_language_without_one_is_the_fallbacks():
    templates = {"en": "Hi", "hr": "Bok"}
    assert automation.template_for(templates, "hr", "en") == ("hr", "Bok")
    assert automation.template_for(templates, "sq", "en") == ("en", "Hi")
    assert automation.template_for(templates, None, "en") == ("en", "Hi")


def test_every_key_is_documented():
    from tests.support.paths import REPO

    docs = (REPO / "docs" / "routing.md").read_text()
    models = [
        automation.AckCondition,
        automation.AckRule,
        automation.Acknowledgements,
        automation.Surveys,
    ]
    missing = [
        f"{m.__name__}.{name}" for m in models for name in m.model_fields if f"`{name}`" not in docs
    ]
    assert not missing
