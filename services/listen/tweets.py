"""Search results -> events, through ingest's own X adapter.

Each tweet of a search page is put in the shape X's Account Activity webhook
delivers (a ``tweet_create_events`` entry for the brand) and parsed by
socialcare.ingest.adapters.twitter: a tweet is the same event whether the webhook or
the search brought it (same event_id, conversation, author, times). What the search
adds is the listening rules' verdict: a tweet is published only when the rules say
it is about a brand (not one of the brand's own accounts, no exclusion), and it is
``kind: listening`` unless it tags or answers the brand's account - then it is the
mention or reply the webhook delivers too, and both copies agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialcare.ingest.adapters import Context, twitter
from socialcare.listen.search import SearchPage
from socialcare.listening import BrandRules, ListeningRules
from socialcare.schema import Direction, Event, Kind

_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"


@dataclass
class Converted:
    events: list[Event] = field(default_factory=list)
    unmatched: int = 0  # found by the query, but not about a brand by the rules


def brand_account(brand: BrandRules) -> str:
    """The brand's X user id (its first numeric own account), else its name."""
    own = brand.own_accounts.get("twitter", [])
    return next((a for a in own if a.isdigit()), brand.name)


def listening_events(page: SearchPage, rules: ListeningRules, received_at: datetime) -> Converted:
    """The events of the page's tweets that the rules say are about a brand."""
    brands = {b.name: b for b in rules.brands}
    context = Context(received_at=received_at)
    converted = Converted()
    for tweet in page.tweets:
        user = page.users.get(str(tweet.get("author_id")), {})
        author_id = str(tweet.get("author_id", ""))
        if any(b.is_own(author_id, "twitter") for b in rules.brands):
            converted.unmatched += 1
            continue
        found = rules.match(
            tweet.get("text", ""), _language(tweet), user.get("username"), "twitter"
        )
        if found is None or found.brand not in brands:
            converted.unmatched += 1
            continue
        event = _event(brands[found.brand], tweet, user, context)
        if event.direction is Direction.outbound:
            converted.unmatched += 1
            continue
        converted.events.append(event)
    return converted


def _event(brand: BrandRules, tweet: dict[str, Any], user: dict[str, Any], ctx: Context) -> Event:
    account = brand_account(brand)
    delivery = {"for_user_id": account, "tweet_create_events": [account_activity(tweet, user)]}
    (event,) = twitter.parse({}, json.dumps(delivery).encode(), ctx).events
    return (
        event
        if _engages(brand, account, tweet)
        else event.model_copy(update={"kind": Kind.listening})
    )


def _engages(brand: BrandRules, account: str, tweet: dict[str, Any]) -> bool:
    """Whether the tweet tags or answers the brand's account (the webhook has it too)."""
    mentions = (tweet.get("entities") or {}).get("mentions") or []
    return tweet.get("in_reply_to_user_id") == account or any(
        m.get("id") == account or brand.is_own(m.get("username"), "twitter") for m in mentions
    )


def account_activity(tweet: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """An X API v2 tweet (and its author) in the v1.1 shape of the Account Activity API."""
    replied_to = next(
        (r["id"] for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
        None,
    )
    mentions = (tweet.get("entities") or {}).get("mentions") or []
    created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
    return {
        "id_str": str(tweet["id"]),
        "text": tweet.get("text", ""),
        "created_at": created.strftime(_TWITTER_TIME),
        "user": {
            "id_str": str(tweet["author_id"]),
            "screen_name": user.get("username"),
            "name": user.get("name"),
            "followers_count": (user.get("public_metrics") or {}).get("followers_count"),
        },
        "entities": {
            "user_mentions": [
                {"screen_name": m.get("username", "")} | ({"id_str": m["id"]} if "id" in m else {})
                for m in mentions
            ]
        },
        "in_reply_to_status_id_str": replied_to,
        "in_reply_to_user_id_str": tweet.get("in_reply_to_user_id"),
    }


def _language(tweet: dict[str, Any]) -> str | None:
    """X's language tag when it names one (not ``und``, ``qme``, ...)."""
    lang = tweet.get("lang")
    return lang if isinstance(lang, str) and len(lang) == 2 else None
