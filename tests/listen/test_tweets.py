"""Search results become the same events ingest makes of X's webhooks, marked
listening, and only when the rules say they are about a brand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialcare.ingest.adapters import Context, twitter
from socialcare.listen.tweets import account_activity, brand_account, listening_events
from socialcare.schema import Direction, Kind
from tests.listen.rules import BRAND_ID, page, rules, tweet

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def test_an_untagged_post_about_the_brand_is_a_listening_event():
    found = listening_events(
        page(tweet(105, "VoltMobilea nema signala već tri dana", lang="hr")), rules(), NOW
    )
    (event,) = found.events
    assert event.event_id == "twitter:105" and event.kind is Kind.listening
    assert event.direction is Direction.inbound
    assert event.brand_account_id == BRAND_ID
    assert event.conversation_id == f"twitter:public:{BRAND_ID}:42"
    assert event.author.handle == "ana" and event.author.display_name == "Ana"
    assert event.created_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert event.received_at == NOW


def test_the_event_is_the_one_the_webhook_adapter_makes_of_the_same_tweet():
    search_tweet = tweet(105, "VoltMobile has no signal")
    user = {"id": "42", "username": "ana", "name": "Ana"}
    delivery = {
        "for_user_id": BRAND_ID,
        "tweet_create_events": [account_activity(search_tweet, user)],
    }
    (webhook,) = twitter.parse({}, json.dumps(delivery).encode(), Context(received_at=NOW)).events
    (polled,) = listening_events(page(search_tweet), rules(), NOW).events
    assert polled.model_copy(update={"kind": webhook.kind}) == webhook


def test_a_post_that_tags_or_answers_the_brand_stays_the_mention_or_reply():
    tagged = tweet(
        105, "@VoltMobile VoltMobile no signal", entities={"mentions": [{"username": "VoltMobile"}]}
    )
    answer = tweet(
        104,
        "VoltMobile still broken",
        in_reply_to_user_id=BRAND_ID,
        referenced_tweets=[{"type": "replied_to", "id": "90"}],
    )
    kinds = [e.kind for e in listening_events(page(tagged, answer), rules(), NOW).events]
    assert kinds == [Kind.mention, Kind.reply]


def test_own_posts_exclusions_and_other_words_are_not_published():
    found = listening_events(
        page(
            tweet(105, "VoltMobile promo", author_id=BRAND_ID),
            tweet(104, "VoltMobile: we are hiring"),
            tweet(103, "nothing about us"),
        ),
        rules(),
        NOW,
    )
    assert found.events == [] and found.unmatched == 3


def test_the_brand_account_is_its_first_numeric_own_x_account():
    assert brand_account(rules().brands[0]) == BRAND_ID
    assert brand_account(rules().brands[0].model_copy(update={"own_accounts": {}})) == "VoltMobile"
