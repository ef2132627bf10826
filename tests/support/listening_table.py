"""The tables of docs/listening.md: what the shipped rules and the matcher do per language.

``python -m tests.support.listening_table`` rewrites them; tests/test_listening.py
checks the document is current and each row still gives the outcome it expects.
"""

from __future__ import annotations

import re
from pathlib import Path

from socialcare.keywords import ANY, KeywordMatcher
from socialcare.listening import load_listening
from tests.support.paths import REPO

DOC = REPO / "docs" / "listening.md"

# (language, text, brand/term expected to match or None), against the shipped rules.
SHIPPED: list[tuple[str, str, str | None]] = [
    ("hr", "VoltMobilea nema signala već tri dana", "VoltMobile"),
    ("hr", "Problem s Volt mrežom", "Volt mreža"),
    ("hr", "Zapošljavamo! VoltMobile traži prodavače", None),
    ("hr", "Struja od 220 volti", None),
    ("bs", "VoltMobileom sam nezadovoljan", "VoltMobile"),
    ("bs", "Volt mreže nema u Sarajevu", "Volt mreža"),
    ("sr", "Волт мреже нема", "Volt mreža"),
    ("sr", "Пишем ВолтМобајлу", "ВолтМобајл"),
    ("sl", "Volt omrežja ni že dva dni", "Volt omrežje"),
    ("sl", "VoltMobilu pišem tretjič", "VoltMobile"),
    ("ru", "Проблемы с ВольтМобайлом", "ВольтМобайл"),
    ("ru", "сеть Вольта не работает", "сеть Вольт"),
    ("ru", "напряжение 5 вольт", None),
    ("ru", "Вакансия в ВольтМобайл", None),
    ("uk", "мережею Вольт не скористатися", "мережа Вольт"),
    ("kk", "ВольтМобайлдың қызметі нашар", "ВольтМобайл"),
    ("kk", "Вольт желісі жоқ", "Вольт желісі"),
    ("en", "The Volt networks are down", "Volt network"),
    ("en", "#VoltMobile support is slow", "VoltMobile"),
    ("en", "@VoltMobile_hr help", "VoltMobile"),
    ("en", "#VoltBudsPro left earbud dead", "VoltBuds Pro"),
    ("en", "Voltaire wrote Candide", None),
    ("en", "We are hiring at VoltMobile", None),
    ("de", "Das Volt-Netz ist weg", "Volt Netz"),
    ("de", "VoltMobiles Kundendienst antwortet nicht", "VoltMobile"),
    ("de", "Stellenangebot: VoltMobile sucht Verkäufer", None),
    ("fr", "les réseaux Volt sont en panne", "réseau Volt"),
    ("fr", "le reseau Volt ne marche pas", "réseau Volt"),
    ("es", "las redes Volt no funcionan", "red Volt"),
    ("it", "le reti Volt non vanno", "rete Volt"),
    ("it", "una volta a casa", None),
    ("pt", "as redes Volt caíram", "rede Volt"),
    ("pt", "voltou pro trabalho", None),
    ("nl", "de Volt netwerken liggen eruit", "Volt netwerk"),
    ("pl", "sieci Volt nie ma od rana", "sieć Volt"),
    ("tr", "VoltMobile'dan cevap yok", "VoltMobile"),
    ("tr", "Volt şebekesinde sorun var", "Volt şebekesi"),
    ("ar", "شبكة فولت لا تعمل", "شبكة فولت"),
    ("ar", "شبكه فولت لا تعمل", "شبكة فولت"),
    ("ar", "شَبَكَةُ فولت", "شبكة فولت"),
    ("ar", "فولـــت موبايل", "فولت موبايل"),
    ("fa", "شبکه ولت قطع است", "شبکه ولت"),
    ("fa", "شبكه ولت قطع است", "شبکه ولت"),
    ("fa", "ولت موبايل", "ولت موبایل"),
    ("fa", "ولت\u200cموبایل جواب نمی\u200cدهد", "ولت موبایل"),
    ("fa", "ولـت موبایل", "ولت موبایل"),
]

# (language, term, text, listening matches, routing matches): the matcher alone, with
# inflection (listening) and on whole words (routing's keyword conditions).
TERMS: list[tuple[str, str, str]] = [
    ("en", "refund", "two refunds so far"),
    ("en", "refund", "the suede is refunding nothing"),
    ("en", "sue", "the suede jacket"),
    ("en", "cancel my account", "please CANCEL my account!!"),
    ("de", "Anwalt", "ich gehe zum Anwalt"),
    ("de", "Anwalt", "meine Anwälte melden sich"),
    ("fr", "avocat", "mes avocats"),
    ("es", "abogado", "hablaré con mis abogados"),
    ("pt", "advogado", "vou falar com os advogados"),
    ("it", "avvocato", "chiamo gli avvocati"),
    ("nl", "advocaat", "mijn advocaten"),
    ("pl", "prawnik", "zadzwonię do prawnika"),
    ("tr", "avukat", "avukatıma soracağım"),
    ("hr", "odvjetnik", "zvat ću odvjetnika"),
    ("bs", "advokat", "zvaću advokata"),
    ("sr", "адвокат", "зваћу адвоката"),
    ("sl", "odvetnik", "poklical bom odvetnika"),
    ("ru", "адвокат", "напишу адвокату"),
    ("uk", "адвокат", "поговорю з адвокатом"),
    ("kk", "заңгер", "заңгерге барамын"),
    ("ar", "محامي", "سأتصل بالمحامي"),
    ("ar", "محامي", "سأتصل بمحامى"),
    ("fa", "وکیل", "با وكيل صحبت می‌کنم"),
]


def shipped_rows() -> list[tuple[str, str, str | None]]:
    rules = load_listening()
    rows = []
    for language, text, _ in SHIPPED:
        match = rules.match(text, language)
        rows.append((language, text, match.term if match else None))
    return rows


def term_rows() -> list[tuple[str, str, str, bool, bool]]:
    rows = []
    for language, term, text in TERMS:
        listening = KeywordMatcher({language: [term]}).search(text, language)
        routing = KeywordMatcher({ANY: [term]}, inflect=False).search(text)
        rows.append((language, term, text, listening, routing))
    return rows


def render() -> str:
    def cell(text: str) -> str:
        return text.replace("\u200c", "&zwnj;").replace("|", "\\|")

    lines = ["| language | text | matches |", "|---|---|---|"]
    for language, text, term in shipped_rows():
        lines.append(f"| {language} | {cell(text)} | {'✓ ' + term if term else '✗'} |")
    lines += ["", "| language | term | text | listening | routing |", "|---|---|---|---|---|"]
    for language, term, text, listening, routing in term_rows():
        marks = " | ".join("✓" if m else "✗" for m in (listening, routing))
        lines.append(f"| {language} | {term} | {cell(text)} | {marks} |")
    return "\n".join(lines)


_TABLES = re.compile(r"(<!-- tables:start -->\n)(?:.*?\n)?(<!-- tables:end -->)", re.DOTALL)


def updated(document: str) -> str:
    return _TABLES.sub(lambda m: m.group(1) + render() + "\n" + m.group(2), document)


def main(path: Path = DOC) -> None:
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
