"""The routing file: shipped defaults, and errors that name the line."""

import pytest

from socialcare.route.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from socialcare.schema import Intent

BASE = DEFAULT_CONFIG.read_text()


def error_for(text: str) -> str:
    with pytest.raises(ConfigError) as failure:
        parse_config(text, "routing.yaml")
    return str(failure.value)


def test_shipped_defaults_staff_the_twelve_classifier_languages():
    config = load_config()
    assert config.languages.staffed == [
        "en",
        "es",
        "pt",
        "fr",
        "de",
        "hr",
        "sl",
        "fa",
        "kk",
        "ru",
        "ar",
        "tr",
    ]
    assert config.languages.fallback == "en"
    assert {i.value: s for i, s in config.skills.items()} == {
        Intent.defect: "tech_support",
        Intent.order_issue: "orders",
        Intent.shipping: "logistics",
        Intent.praise: "engagement",
        Intent.other: "general",
    }


def test_unknown_key_names_its_line():
    text = BASE.replace("  min_intent_confidence: 0.5", "  min_intent_confidense: 0.5")
    line = BASE.splitlines().index("  min_intent_confidence: 0.5") + 1
    message = error_for(text)
    assert f"routing.yaml:{line}: triage.min_intent_confidense: Extra inputs" in message


def test_wrong_value_inside_a_rule_names_its_line():
    text = BASE.replace("when: {intent: [praise]}", "when: {intent: [compliment]}")
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "compliment" in ln)
    assert f"routing.yaml:{line}: priority.rules.5.when.intent.0:" in error_for(text)


def test_invalid_yaml_names_its_line():
    message = error_for("version: 1\nlanguages: [en\n")
    assert message.startswith("routing.yaml:3: not valid YAML")


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("  fallback: en", "  fallback: it", "fallback 'it' must be one of the staffed"),
        ("  other: general\n", "", "a skill is needed for every intent; missing ['other']"),
        ("Asia/Tehran", "Asia/Teheran", "unknown time zone 'Asia/Teheran'"),
        ("{P1: 15, P2: 60, P3: 240, P4: 1440}", "{P1: 15, P2: 60, P3: 240}", "missing ['P4']"),
        ("name: praise", "name: public-complaint", "rule names must be unique: public-complaint"),
        (
            "{min_contacts: 3, within_minutes: 1440}",
            "{min_contacts: 3}",
            "min_contacts and within_minutes go together",
        ),
        (
            'start: "09:00", end: "18:00"',
            'start: "18:00", end: "09:00"',
            "start must be before end",
        ),
    ],
)
def test_semantic_errors(old, new, expected):
    assert old in BASE
    assert expected in error_for(BASE.replace(old, new, 1))


def test_every_config_key_is_documented():
    from socialcare.route import config as module
    from tests.support.paths import REPO

    docs = (REPO / "docs" / "routing.md").read_text()
    models = [
        module.RoutingConfig,
        module.Languages,
        module.Triage,
        module.Condition,
        module.PriorityRule,
        module.Priorities,
        module.FirstResponse,
        module.BusinessHours,
        module.Conversations,
    ]
    missing = [
        f"{m.__name__}.{name}" for m in models for name in m.model_fields if f"`{name}`" not in docs
    ]
    assert not missing
