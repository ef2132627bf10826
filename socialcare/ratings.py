"""A customer's answer to a satisfaction survey ("How did we do? Reply 1-5") -> 1..5,
or None when the message is not a rating.

Only a short message that is a rating as a whole counts: "5", "4/5", "5 stars",
"⭐⭐⭐⭐", "👍", "😡", "five", "пять", "پنج", "excellent", "çok iyi". A message that
merely contains a digit ("my order 12345 still not here") is not one, so a new
question reopens the conversation as any message would. Thumbs are the ends of the
scale (👍 5, 👎 1). Number words that are everyday words in another supported
language ("um", "en", "pet") count only in the conversation's own language.

Shared: the conversations worker records a rating as the conversation's CSAT, and
the alerts worker leaves ratings out of its counts (a burst of "5" after a round of
surveys is no product spike).

Bounded by construction: texts longer than ``MAX_CHARS`` are refused before any
pattern runs, and the one pattern has no nested repetition.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 40

# Invisible marks customers' keyboards and apps add: zero-width (non-)joiners,
# direction marks and isolates, emoji variation selectors and skin tones.
_INVISIBLE = dict.fromkeys(
    [
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x061C,
        0xFE0E,
        0xFE0F,
        0xFEFF,
        *range(0x1F3FB, 0x1F400),
    ]
)
# Arabic-Indic and Persian digits (NFKC leaves them as they are).
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Arabic letters Persian writes differently: one spelling for the word lists.
_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "’": "'", "ʼ": "'"})
STARS = frozenset("⭐🌟★✩☆✪✭")

EMOJI = {
    "👍": 5,
    "👎": 1,
    "😡": 1,
    "😠": 1,
    "🤬": 1,
    "😤": 1,
    "☹": 2,
    "🙁": 2,
    "😞": 2,
    "😟": 2,
    "😕": 2,
    "😐": 3,
    "😑": 3,
    "😶": 3,
    "🙂": 4,
    "😊": 4,
    "☺": 4,
    "😀": 5,
    "😃": 5,
    "😄": 5,
    "😁": 5,
    "😍": 5,
    "🥰": 5,
    "🤩": 5,
    "❤": 5,
    "💯": 5,
}

# The numbers 1-5 in the supported languages, casefolded (Serbian in both scripts).
NUMBERS: dict[int, tuple[str, ...]] = {
    1: (
        "one", "eins", "ein", "uno", "una", "un", "une", "um", "uma", "een", "één",
        "jeden", "jedna", "jedan", "ena", "en", "один", "одна", "један", "бір", "bir",
        "واحد", "یک",
    ),
    2: (
        "two", "zwei", "dos", "deux", "dois", "duas", "due", "twee", "dwa", "dwie",
        "dva", "dvije", "dve", "два", "две", "дві", "екі", "iki", "اثنان", "اثنين", "دو",
    ),
    3: (
        "three", "drei", "tres", "três", "trois", "tre", "drie", "trzy", "tri", "три",
        "үш", "üç", "uc", "ثلاثة", "ثلاثه", "ثلاث", "سه",
    ),
    4: (
        "four", "vier", "cuatro", "quatre", "quatro", "quattro", "cztery", "četiri",
        "cetiri", "štiri", "stiri", "четыре", "чотири", "четири", "төрт", "dört", "dort",
        "أربعة", "اربعة", "اربعه", "أربع", "اربع", "چهار",
    ),
    5: (
        "five", "fünf", "funf", "fuenf", "cinco", "cinq", "cinque", "vijf", "pięć",
        "piec", "pet", "пять", "п'ять", "пет", "бес", "beş", "bes", "خمسة", "خمسه", "خمس",
        "پنج",
    ),
}  # fmt: skip
# Number words that are everyday words elsewhere: only in the language that owns them.
OWNED = {
    "um": {"pt"},
    "en": {"sl"},
    "un": {"fr"},
    "une": {"fr"},
    "ein": {"de"},
    "pet": {"hr", "bs", "sr", "sl"},
    "tre": {"it"},
    "due": {"it"},
    "bes": {"tr", "kk"},
    "dos": {"es"},
}
# Words for the scale's steps, casefolded: 5 excellent … 1 terrible.
WORDS: dict[int, tuple[str, ...]] = {
    5: (
        "excellent", "perfect", "amazing", "great", "very good", "ausgezeichnet",
        "hervorragend", "perfekt", "sehr gut", "excelente", "perfecto", "muy bien",
        "muy bueno", "ótimo", "otimo", "perfeito", "parfait", "très bien", "tres bien",
        "eccellente", "ottimo", "perfetto", "uitstekend", "geweldig", "doskonale",
        "świetnie", "swietnie", "idealnie", "odlično", "odlicno", "izvrsno", "savršeno",
        "savrseno", "отлично", "превосходно", "відмінно", "чудово", "өте жақсы",
        "керемет", "mükemmel", "mukemmel", "harika", "çok iyi", "cok iyi", "ممتاز", "muito bom",
        "очень хорошо", "дуже добре", "jako dobro", "zelo dobro", "bardzo dobrze",
        "molto bene", "heel goed", "خیلی خوب",
        "عالی", "عالي",
    ),
    4: (
        "good", "gut", "bueno", "bien", "bom", "bon", "buono", "bene", "goed", "dobrze",
        "dobro", "хорошо", "добре", "жақсы", "iyi", "جيد", "خوب",
    ),
    3: (
        "so-so", "so so", "average", "mittelmäßig", "regular", "más o menos", "razoável",
        "moyen", "bof", "così così", "cosi cosi", "gemiddeld", "średnio", "srednio",
        "osrednje", "srednje", "tako-tako", "так себе", "нормально", "средне",
        "посередньо", "орташа", "idare eder", "orta", "متوسط", "معمولی",
    ),
    2: (
        "bad", "poor", "schlecht", "malo", "mal", "ruim", "mauvais", "cattivo", "scarso",
        "slecht", "źle", "zle", "słabo", "slabo", "loše", "lose", "плохо", "погано",
        "нашар", "kötü", "kotu", "سيء", "سيئ", "بد",
    ),
    1: (
        "terrible", "awful", "horrible", "very bad", "schrecklich", "furchtbar",
        "pésimo", "pesimo", "péssimo", "horrível", "horrivel", "nul", "terribile",
        "pessimo", "vreselijk", "okropnie", "fatalnie", "užasno", "uzasno", "grozno",
        "ужасно", "жахливо", "өте нашар", "berbat", "rezalet", "فظيع", "سيء جدا",
        "افتضاح", "خیلی بد", "очень плохо", "дуже погано", "sehr schlecht", "muy mal",
        "muito ruim", "très mal", "molto male", "heel slecht", "bardzo źle", "jako loše",
        "zelo slabo", "çok kötü",
    ),
}  # fmt: skip
# What may follow the number: "5 stars", "4/5", "5 out of 5".
STAR_WORDS = (
    "stars", "star", "sterne", "stern", "estrellas", "estrelas", "étoiles", "stelle",
    "sterren", "gwiazdek", "gwiazdki", "zvjezdica", "zvezdica", "zvezdic", "звезд",
    "звёзд", "звезды", "зірок", "зірки", "жұлдыз", "yıldız", "yildiz", "نجوم", "ستاره",
)  # fmt: skip

# Punctuation around the answer ("5!", "(4)", "«отлично»"), not inside it.
_EDGES = " ¡¿«»“”„‘’،؛؟。！？" + "".join(
    c for c in map(chr, range(0x80)) if unicodedata.category(c).startswith("P") and c not in "/'-"
)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DIGITS)
    text = text.translate(_LETTERS).casefold()
    return " ".join(text.split()).strip(_EDGES)


_SPOKEN = {_normal(w): n for n, words in (*NUMBERS.items(), *WORDS.items()) for w in words}
_NUMBER_WORDS = frozenset(_normal(w) for words in NUMBERS.values() for w in words)
_NUMBER = r"(?P<n>[1-5]|[^\W\d_]+(?:'[^\W\d_]+)?)"
_SCALE = (
    r"(?:\s*(?:/|out of|of|из|од|od)\s*5"
    rf"|\s*(?:{'|'.join(re.escape(_normal(w)) for w in STAR_WORDS)})"
    rf"|\s*[{''.join(sorted(STARS))}]{{1,5}})?"
)
_RATING = re.compile(_NUMBER + _SCALE)


def rating(text: str, language: str | None = None) -> int | None:
    """The rating ``text`` gives (1..5), or None when it is not a rating alone."""
    if len(text) > MAX_CHARS:
        return None
    cleaned = _normal(text)
    if not cleaned:
        return None
    return _symbols(cleaned) or _spoken(cleaned, language)


def _symbols(text: str) -> int | None:
    """Stars counted (⭐⭐⭐⭐ is 4), or one face or thumb (repeated is the same)."""
    compact = text.replace(" ", "")
    if set(compact) <= STARS:
        return len(compact) if len(compact) <= 5 else None
    if len(set(compact)) == 1:
        return EMOJI.get(compact[0])
    return None


def _spoken(text: str, language: str | None) -> int | None:
    """A number or a word for a step of the scale, alone or as "4/5", "five stars"."""
    if text in _SPOKEN and _allowed(text, language):
        return _SPOKEN[text]
    match = _RATING.fullmatch(text)
    if match is None:
        return None
    number = match["n"]
    if number.isdigit():
        return int(number)
    if number in _NUMBER_WORDS and _allowed(number, language):
        return _SPOKEN[number]
    return None


def _allowed(word: str, language: str | None) -> bool:
    owners = OWNED.get(word)
    return owners is None or language in owners
