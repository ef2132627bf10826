"""Which public posts ingest calls kind=listening: the listening rules, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from socialcare.config_files import ConfigFileError
from socialcare.ingest.adapters import Context, twitter
from socialcare.ingest.app import create_app
from socialcare.listening import ListeningRules, parse_listening
from socialcare.schema import Kind
from tests.support.webhooks import RecordingPublisher, signed_headers, unit_settings

BRAND = "1550000000000000001"
RULES = parse_listening(
    """\
brands:
  - name: VoltMobile
    terms: {any: [VoltMobile], hr: [Volt mreža]}
    exclude: [zapošljavamo]
    own_accounts: {twitter: [VoltMobile_hr]}
"""
)
CTX = Context(
    received_at=datetime.now(UTC), brand_handles=frozenset({"voltmobile"}), listening=RULES
)


def tweet(text: str, screen_name: str = "kemal_dev", user_id: str = "2870000004") -> bytes:
    body = {
        "for_user_id": BRAND,
        "tweet_create_events": [
            {
                "created_at": "Mon Nov 23 09:50:00 +0000 2026",
                "id_str": "1860000000000000004",
                "text": text,
                "user": {"id_str": user_id, "name": "Someone", "screen_name": screen_name},
                "entities": {"user_mentions": []},
            }
        ],
    }
    return json.dumps(body).encode()


def kind_of(body: bytes, ctx: Context = CTX) -> Kind:
    (event,) = twitter.parse({}, body, ctx).events
    return event.kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("VoltMobilea nema signala već tri dana", Kind.listening),
        ("Volt mrežom ne mogu zvati", Kind.listening),  # an hr term, language unknown yet
        ("#voltmobile is down", Kind.listening),
        ("Zapošljavamo! VoltMobile traži prodavače", Kind.mention),  # a job ad
        ("Voltaire wrote Candide", Kind.mention),
        ("@VoltMobile help", Kind.mention),  # tagged: a mention, whatever the text
    ],
)
def test_untagged_posts_about_the_brand_are_listening(text, kind):
    tagged = ["VoltMobile"] if text.startswith("@") else []
    assert CTX.public_kind(text, tagged) == kind
    if not tagged:
        assert kind_of(tweet(text)) == kind


def test_the_brands_own_accounts_are_never_listening():
    own = tweet("VoltMobile: new tariffs from Monday", screen_name="VoltMobile_hr")
    assert kind_of(own) == Kind.mention
    assert (
        CTX.public_kind("VoltMobile", [], author=("2870000009", "@voltmobile_hr")) == Kind.mention
    )
    assert CTX.public_kind("VoltMobile", [], author="voltmobile_hr", platform="facebook") == (
        Kind.listening
    )


def test_the_old_keyword_list_still_makes_listening():
    legacy = Context(
        received_at=datetime.now(UTC), listening=ListeningRules.from_keywords(("voltmobile",))
    )
    assert legacy.public_kind("VoltMobilea ne radi", []) == Kind.listening
    assert Context(received_at=datetime.now(UTC)).public_kind("VoltMobile", []) == Kind.mention


def post_tweet(settings, text: str) -> Kind:
    publisher = RecordingPublisher()
    body = tweet(text)
    with TestClient(create_app(settings, publisher)) as client:
        response = client.post(
            "/webhooks/twitter", content=body, headers=signed_headers("/webhooks/twitter", body)
        )
    assert response.status_code == 200, response.text
    (event,) = publisher.published
    return event.kind


def test_ingest_reads_the_configured_rules(tmp_path: Path):
    # Unset: the shipped demo brands' rules.
    assert post_tweet(unit_settings(), "NordaShop parcel never came") == Kind.listening
    # SOCIALCARE_LISTENING_KEYWORDS alone replaces them.
    legacy = unit_settings(listening_keywords=["acme"])
    assert post_tweet(legacy, "NordaShop parcel never came") == Kind.mention
    assert post_tweet(legacy, "Acmes are broken") == Kind.listening
    path = tmp_path / "listening.yaml"
    path.write_text("brands:\n  - {name: Acme, terms: [Acme]}\n", encoding="utf-8")
    configured = unit_settings(listening_config=path)
    assert post_tweet(configured, "acme!") == Kind.listening
    assert post_tweet(configured, "VoltMobile") == Kind.mention


def test_an_invalid_rules_file_stops_ingest_with_its_line(tmp_path: Path):
    path = tmp_path / "listening.yaml"
    path.write_text("brands:\n  - name: Acme\n    terms: [Acme]\n    own: x\n", encoding="utf-8")
    settings = unit_settings(listening_config=path)
    with (
        pytest.raises(ConfigFileError, match=r"listening\.yaml:4: brands\.0\.own"),
        TestClient(create_app(settings, RecordingPublisher())),
    ):
        pass


PATHOLOGICAL = [
    "a" * 1_000_000,
    "voltmobil " * 100_000,
    "ولت\u200c" * 100_000,
    "e" + "\u0301" * 200_000,
    "\u200f" * 200_000 + "VoltMobile",
    "@#_." * 250_000,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: f"{t[:4]!r}x{len(t)}")
def test_public_kind_is_linear_on_pathological_text(text):
    # Bounded by the input's size: these return in about a second at most; a matcher
    # that backtracked or stemmed without bound would not return at all.
    CTX.public_kind(text, tagged=[])
    CTX.public_kind(text + " VoltMobile", tagged=["someone"], author="customer")
