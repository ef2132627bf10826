"""Realistic platform traffic, signed the way each platform signs it.

Messages are the held-out test split of the corpus (16 languages, never trained on),
delivered as Messenger, Facebook comment, Instagram, WhatsApp, X, Viber and Telegram
webhooks to ingest's real endpoints. Some customers write again in the same
conversation, some messages are from an overnight backlog (written hours ago, so their
first-response deadline may already have passed), and a defect spike - one product
failing in many languages - can be switched on partway. The demo, the end-to-end
tests and bench/e2e.py use it.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import phonenumbers

from socialcare.classify.data import load
from socialcare.ingest.signatures import meta_signature, twitter_signature, viber_signature

SPIKE_FILE = Path(__file__).resolve().parent / "samples" / "spike.jsonl"
SPIKE_PRODUCT = "VoltBuds Pro"
PAGE_ID = "104729318201355"
WHATSAPP_NUMBER = "106540352242922"
BRAND_X_ID = "1550000000000000001"
INSTAGRAM_ID = "17841400000000001"
PLATFORMS = ("messenger", "whatsapp", "twitter", "viber", "telegram", "facebook", "instagram")


# Where the demo's customers of each language live: their WhatsApp numbers and the
# country Viber reports.
MARKETS = {
    "ar": "EG", "bs": "BA", "de": "DE", "en": "GB", "es": "ES", "fa": "IR", "fr": "FR",
    "hr": "HR", "it": "IT", "kk": "KZ", "nl": "NL", "pl": "PL", "pt": "BR", "ru": "RU",
    "sl": "SI", "sr": "RS", "tr": "TR", "uk": "UA",
}  # fmt: skip


@dataclass(frozen=True)
class Secrets:
    meta: str = "demo-meta-app-secret"
    twitter: str = "demo-twitter-consumer-secret"
    viber: str = "demo-viber-auth-token"
    telegram: str = "demo-telegram-secret-token"

    def env(self) -> dict[str, str]:
        """The ingest settings that make it accept exactly this traffic."""
        return {
            "SOCIALCARE_META_APP_SECRET": self.meta,
            "SOCIALCARE_TWITTER_CONSUMER_SECRET": self.twitter,
            "SOCIALCARE_VIBER_AUTH_TOKEN": self.viber,
            "SOCIALCARE_TELEGRAM_SECRET_TOKEN": self.telegram,
        }


@dataclass(frozen=True)
class Delivery:
    platform: str
    path: str
    headers: dict[str, str]
    body: bytes
    language: str
    spike: bool = False

    def post(self, client: httpx.Client) -> httpx.Response:
        """Deliver to ingest (``client``'s base URL) as the platform would."""
        return client.post(self.path, content=self.body, headers=self.headers)


@dataclass
class Author:
    platform: str
    id: str
    name: str
    language: str
    # Facebook: the customer's first comment, which their later comments answer (one
    # conversation, as on a Page).
    thread: str | None = None


class Traffic:
    """An endless, seeded stream of signed deliveries, one message each."""

    def __init__(
        self,
        run: str,
        secrets: Secrets | None = None,
        seed: int = 7,
        now: datetime | None = None,
        follow_up_share: float = 0.2,
        backlog_share: float = 0.08,
    ) -> None:
        self.run, self.secrets = run, secrets or Secrets()
        self.rng = random.Random(seed)
        self.now = now
        self.follow_up_share, self.backlog_share = follow_up_share, backlog_share
        self.texts: dict[str, list[str]] = {}
        for example in load(split="test"):
            self.texts.setdefault(example.language, []).append(example.text)
        for texts in self.texts.values():
            self.rng.shuffle(texts)
        self.languages = sorted(self.texts)
        self.spike_texts = [json.loads(line) for line in SPIKE_FILE.read_text().splitlines()]
        self.authors: list[Author] = []
        self.sent = 0  # by next()
        self.built = 0  # by message(), which next() calls

    def deliveries(self, spike: bool = False) -> Iterator[Delivery]:
        while True:
            yield self.next(spike)

    def next(self, spike: bool = False) -> Delivery:
        """The next delivery; with ``spike`` about half are the failing product."""
        n = self.sent
        self.sent += 1
        is_spike = spike and self.rng.random() < 0.5
        if is_spike:
            row = self.rng.choice(self.spike_texts)
            author = self._author(row["language"], follow_up=False)
            text = row["text"].format(order=self.rng.randrange(10_000, 99_999))
        else:
            author = self._author(self.languages[n % len(self.languages)])
            # A customer who writes again writes in their own language.
            texts = self.texts[author.language]
            text = texts[(n // len(self.languages)) % len(texts)]
        now = self.now or datetime.now(UTC)
        if self.rng.random() < self.backlog_share:
            now -= timedelta(minutes=self.rng.randrange(70, 240))
        return self.message(author, text, at=now, spike=is_spike)

    def message(
        self, author: Author, text: str, at: datetime | None = None, spike: bool = False
    ) -> Delivery:
        """``author``'s next message, signed for its platform (tests pick the author
        with `new_author`, or reuse one to write again in the same conversation)."""
        key = f"{self.run}-{self.built}"  # the platform's message ids derive from it
        self.built += 1
        build = getattr(self, f"_{author.platform}")
        path, headers, body = build(key, author, text, author.language, at or datetime.now(UTC))
        return Delivery(author.platform, path, headers, body, author.language, spike)

    def new_author(self, platform: str, language: str) -> Author:
        """A customer not seen before on ``platform``; on WhatsApp their id is a mobile
        number of their language's market."""
        number = len(self.authors)
        author_id = str(_number(f"{self.run}-author-{number}", 10**15))
        if platform == "whatsapp":
            author_id = _mobile_number(MARKETS.get(language, "US"), int(author_id))
        author = Author(platform, author_id, f"Customer {self.run}-{number}", language)
        self.authors.append(author)
        return author

    def receipt(self, author: Author, status: str) -> Delivery:
        """What Viber sends when ``author`` got (``delivered``) or read (``seen``) one of
        the brand's replies: a delivery with no message in it, which ingest counts."""
        at = datetime.now(UTC)
        payload = {
            "event": status,
            "timestamp": int(at.timestamp() * 1000),
            "message_token": _number(f"{self.run}-receipt-{self.built}", 2**62),
            "user_id": f"{author.id}=",
        }
        self.built += 1
        body = json.dumps(payload).encode()
        headers = _json(X_Viber_Content_Signature=viber_signature(body, self.secrets.viber))
        return Delivery("viber", "/webhooks/viber", headers, body, author.language)

    def author_of(self, platform: str, author_id: str) -> Author | None:
        """The customer an event's ``author.id`` on ``platform`` names (Viber's ids
        end in "=", as the platform's do)."""
        wanted = author_id.removesuffix("=") if platform == "viber" else author_id
        return next((a for a in self.authors if (a.platform, a.id) == (platform, wanted)), None)

    def follow_up(self) -> Delivery:
        """A customer who already wrote writes again, in their own language."""
        author = self.rng.choice([a for a in self.authors if a.language in self.texts])
        texts = self.texts[author.language]
        return self.message(author, self.rng.choice(texts))

    def _author(self, language: str, follow_up: bool = True) -> Author:
        known = [a for a in self.authors if a.language in self.texts]
        if follow_up and known and self.rng.random() < self.follow_up_share:
            return self.rng.choice(known)  # writes again: the same conversation
        return self.new_author(PLATFORMS[len(self.authors) % len(PLATFORMS)], language)

    # --- one builder per platform: (path, headers, body) -----------------------------

    def _meta(self, payload: dict) -> tuple[str, dict[str, str], bytes]:
        # ensure_ascii like Meta: the signature covers these exact bytes.
        body = json.dumps(payload).encode()
        return (
            "/webhooks/meta",
            _json(X_Hub_Signature_256=meta_signature(body, self.secrets.meta)),
            body,
        )

    def _messenger(self, mid: str, author: Author, text: str, _: str, at: datetime):
        ms = int(at.timestamp() * 1000)
        return self._meta(
            {
                "object": "page",
                "entry": [
                    {
                        "id": PAGE_ID,
                        "time": ms,
                        "messaging": [
                            {
                                "sender": {"id": author.id},
                                "recipient": {"id": PAGE_ID},
                                "timestamp": ms,
                                "message": {"mid": f"m_{mid}", "text": text},
                            }
                        ],
                    }
                ],
            }
        )

    def _facebook(self, mid: str, author: Author, text: str, _: str, at: datetime):
        """A comment under the Page's post; a customer's later comments reply to their
        first one."""
        post = f"{PAGE_ID}_{_number('post', 10**15)}"
        comment = f"{_number(post, 10**15)}_{_number(mid, 10**15)}"
        parent = author.thread or post
        author.thread = author.thread or comment
        value = {
            "from": {"id": author.id, "name": author.name},
            "post": {"id": post, "status_type": "added_photos", "is_published": True},
            "message": text,
            "post_id": post,
            "comment_id": comment,
            "created_time": int(at.timestamp()),
            "item": "comment",
            "parent_id": parent,
            "verb": "add",
        }
        entry = {
            "id": PAGE_ID,
            "time": int(at.timestamp()),
            "changes": [{"field": "feed", "value": value}],
        }
        return self._meta({"object": "page", "entry": [entry]})

    def _instagram(self, mid: str, author: Author, text: str, _: str, at: datetime):
        ms = int(at.timestamp() * 1000)
        item = {
            "sender": {"id": author.id},
            "recipient": {"id": INSTAGRAM_ID},
            "timestamp": ms,
            "message": {"mid": f"aWdf{mid}", "text": text},
        }
        entry = {"id": INSTAGRAM_ID, "time": ms, "messaging": [item]}
        return self._meta({"object": "instagram", "entry": [entry]})

    def _whatsapp(self, mid: str, author: Author, text: str, _: str, at: datetime):
        message = {
            "from": author.id,
            "id": f"wamid.{mid}",
            "timestamp": str(int(at.timestamp())),
            "type": "text",
            "text": {"body": text},
        }
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": WHATSAPP_NUMBER},
            "contacts": [{"profile": {"name": author.name}, "wa_id": author.id}],
            "messages": [message],
        }
        return self._meta(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
                ],
            }
        )

    def _twitter(self, mid: str, author: Author, text: str, _: str, at: datetime):
        tweet = {
            "created_at": at.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "id_str": str(_number(mid, 10**18)),
            "text": f"@VoltMobile {text}",
            "truncated": False,
            "in_reply_to_status_id_str": None,
            "user": {
                "id_str": author.id,
                "name": author.name,
                "screen_name": f"c{author.id}",
                "followers_count": self.rng.choice([12, 340, 2_100, 48_000]),
            },
            "entities": {"user_mentions": [{"screen_name": "VoltMobile", "id_str": BRAND_X_ID}]},
        }
        body = json.dumps({"for_user_id": BRAND_X_ID, "tweet_create_events": [tweet]}).encode()
        headers = _json(X_Twitter_Webhooks_Signature=twitter_signature(body, self.secrets.twitter))
        return "/webhooks/twitter", headers, body

    def _viber(self, mid: str, author: Author, text: str, language: str, at: datetime):
        payload = {
            "event": "message",
            "timestamp": int(at.timestamp() * 1000),
            "message_token": _number(mid, 2**62),
            "sender": {
                "id": f"{author.id}=",
                "name": author.name,
                "language": language,
                "country": MARKETS.get(language, "US"),
            },
            "message": {"type": "text", "text": text},
            "silent": False,
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = _json(X_Viber_Content_Signature=viber_signature(body, self.secrets.viber))
        return "/webhooks/viber", headers, body

    def _telegram(self, mid: str, author: Author, text: str, language: str, at: datetime):
        user = {"id": int(author.id), "is_bot": False, "first_name": author.name}
        payload = {
            "update_id": _number(mid, 2**31),
            "message": {
                "message_id": _number(mid, 2**31),
                "from": {**user, "language_code": language},
                "chat": {"id": int(author.id), "type": "private", "first_name": author.name},
                "date": int(at.timestamp()),
                "text": text,
            },
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = _json(X_Telegram_Bot_Api_Secret_Token=self.secrets.telegram)
        return "/webhooks/telegram", headers, body


def _number(key: str, below: int) -> int:
    """A stable platform id for ``key`` (hash() differs between processes)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8]) % below


def _json(**headers: str) -> dict[str, str]:
    return {"Content-Type": "application/json"} | {
        name.replace("_", "-"): value for name, value in headers.items()
    }


def _mobile_number(market: str, seed: int) -> str:
    """A valid-looking mobile number in ``market`` (international digits, no +): the
    country's example number with its last six digits from ``seed``."""
    example = phonenumbers.example_number_for_type(market, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    return f"{example.country_code}{national[:-6]}{seed % 10**6:06d}"
