import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare.classify.language import LanguageIdentifier, parse_languages, strip_names
from socialcare.classify.settings import DEFAULT_LANGUAGES, ClassifySettings


@pytest.fixture(scope="module")
def identify():
    return LanguageIdentifier()


@pytest.mark.parametrize(
    "text,code",
    [
        ("Тапсырысым әлі келген жоқ, қашан жеткізесіздер?", "kk"),
        ("Моє замовлення досі не прийшло, що відбувається?", "uk"),
        ("Мой заказ до сих пор не пришёл, что происходит?", "ru"),
        ("سفارش من اشتباه ارسال شده، لطفا پیگیری کنید", "fa"),
        ("وين طلبي؟ صار لي أسبوعين أنتظر", "ar"),
        ("Siparişim yanlış beden geldi, iade nasıl yapılır?", "tr"),
        ("@VoltMobile Wo ist mein Paket? https://t.co/x1", "de"),
    ],
)
def test_languages_of_customer_messages(identify, text, code):
    detected = identify.detect(text)
    assert detected.code == code
    assert 0 < detected.confidence <= 1


# Croatian with no Croatian-only word: among all 75 languages it came out Bosnian or
# Slovenian and went to the English team (issue 17). Such a text is as Bosnian as it
# is Croatian, so the detector may say either: routing sends bs and sr to the Croatian
# team (tests/route). What it must not do is call it Slovenian or English.
CROATIAN_FAMILY = {"hr", "bs", "sr"}


@pytest.mark.parametrize(
    "text,allowed",
    [
        ("Hvala puno, paket je stigao za dva dana, sve je u redu", CROATIAN_FAMILY),
        ("Poštovani, narudžba mi još nije stigla, molim provjerite", CROATIAN_FAMILY),
        ("Paket još nije stigao, a prošla je sedmica dana. Šta se dešava?", CROATIAN_FAMILY),
        ("Porudžbina još nije stigla, da li neko može da proveri gde je?", CROATIAN_FAMILY),
        ("Paket še ni prišel, prosim preverite", {"sl"}),
        ("Račun je napačen, dvakrat ste mi zaračunali dostavo", {"sl"}),
    ],
)
def test_close_relatives_stay_in_their_family(identify, text, allowed):
    assert identify.detect(text).code in allowed


def test_the_candidates_are_the_deployments_languages():
    assert [lang.iso_code_639_1.name.lower() for lang in parse_languages("hr, sl,hr")] == [
        "hr",
        "sl",
    ]
    assert parse_languages("all") is None
    assert {"bs", "sr", "hr", "sl"} <= set(DEFAULT_LANGUAGES)
    with pytest.raises(ValueError, match="does not know: xx"):
        parse_languages("hr,xx")
    with pytest.raises(ValueError, match="at least two"):
        parse_languages("hr")
    with pytest.raises(ValueError, match="ISO 639-1"):
        ClassifySettings(classify_languages="hr;sl")


def test_a_language_outside_the_candidates_is_never_answered():
    only = LanguageIdentifier(languages="en,de")
    assert only.detect("Моє замовлення досі не прийшло, що відбувається?").code in {"und"}
    assert only.detect("Where is my parcel? It has been two weeks").code == "en"


@pytest.mark.parametrize("text", ["😡😡😡", "ok", "48213", "", "@NordaShop 👍", "https://x.co/a"])
def test_emoji_only_or_too_short_texts_are_undetermined(identify, text):
    assert identify.detect(text).code == "und"


# The pattern before it was made linear: the reference for what must be removed.
_FORMER = re.compile(r"(https?://\S+|www\.\S+|\S+@\S+\.\S+|[@#][\w.]+)")

PATHOLOGICAL = {
    "at": "@" * 100_000,
    "a-at": "a@" * 50_000,
    "dots": "." * 100_000,
    "hashes": "#" * 100_000,
    "letters": "a" * 100_000,
    "at-then-dots": "x@" + "." * 100_000,
    "address-chain": "a@b" + ".a" * 50_000,
    "handles-with-dots": "@a." * 33_000,
    "links": "http://" * 15_000,
    "www": "www." * 25_000,
    "many-addresses": "a@b.c " * 17_000,
}


@given(st.text(alphabet="a@.#/:hwtpsé_- \n", max_size=30))
@settings(max_examples=3000, deadline=None)
def test_names_are_stripped_exactly_as_before(text):
    assert strip_names(text) == _FORMER.sub(" ", text)


def test_stripping_100k_pathological_characters_completes():
    """In a child process, so that a backtracking regex (which holds the GIL) is
    stopped by the timeout instead of hanging the test run. The bound is generous: it
    tells linear (milliseconds) from polynomial (the former pattern: hours)."""
    script = (
        "import sys, json; from socialcare.classify.language import strip_names\n"
        "for text in json.load(sys.stdin).values(): strip_names(text)\n"
        "print('done')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(PATHOLOGICAL),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "done"


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def compute_language_confidence_values(self, text: str) -> list:
        self.seen.append(text)
        return []


@pytest.mark.parametrize("text", [*PATHOLOGICAL.values(), "Wo ist mein Paket? " * 10_000])
def test_the_detector_sees_at_most_max_chars(text):
    recorder = _Recorder()
    identify = LanguageIdentifier(max_chars=2000, detector=recorder)
    assert identify.detect(text).code == "und"
    assert all(len(seen) <= 2000 for seen in recorder.seen)
