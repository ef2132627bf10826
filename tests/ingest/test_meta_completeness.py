"""Facebook visitor posts and Page mentions, and Instagram mentions marked for
enrichment: what the Meta adapter no longer drops."""

import json
from datetime import UTC, datetime
from pathlib import Path

from socialcare.ingest.adapters import Context, meta
from socialcare.schema import Attachment, Author, Direction, Enrichment, Kind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CTX = Context(received_at=RECEIVED)
PAGE = "104729318201355"


def parsed(name):
    return meta.parse({}, (FIXTURES / name).read_bytes(), CTX)


def test_visitor_posts_are_comments_named_by_their_post():
    result = parsed("meta_facebook_visitor.json")
    text, photo, photos = result.events
    assert text.event_id == f"facebook:{PAGE}_933344455566677"
    assert (text.kind, text.direction) == (Kind.comment, Direction.inbound)
    assert text.conversation_id == f"facebook:{PAGE}_933344455566677"
    assert text.parent_id is None
    assert text.brand_account_id == PAGE
    assert text.author == Author(id="24098765432101", display_name="Marija Horvat")
    assert text.text == "VoltMobile, nema signala već tri dana u Zadru. Kad će to biti riješeno?"
    assert text.created_at == datetime.fromtimestamp(1795421900, UTC)
    assert text.enrichment is None
    assert photo.attachments == [
        Attachment(
            type="image", url="https://scontent.xx.fbcdn.net/v/t39.30808-6/broken-screen.jpg"
        )
    ]
    assert photos.text == ""
    assert [a.url for a in photos.attachments] == [
        "https://scontent.xx.fbcdn.net/v/a.jpg",
        "https://scontent.xx.fbcdn.net/v/b.jpg",
    ]


def test_the_pages_own_posts_edits_and_shares_are_ignored_by_name():
    result = parsed("meta_facebook_visitor.json")
    assert result.ignored == [
        "facebook:feed:page_post",
        "facebook:post:edited",
        "facebook:feed:share",
    ]


def test_page_mentions_in_posts_and_comments():
    result = parsed("meta_facebook_mention.json")
    post, comment, without_text = result.events
    assert post.event_id == "facebook:100088877766655_944455566677788"
    assert post.kind == Kind.mention
    assert post.conversation_id == "facebook:100088877766655_944455566677788"
    assert post.author == Author(id="100088877766655", display_name="Olena Kovalenko")
    assert post.text == "@Norda Shop замовлення #A-55177 досі не прийшло"
    assert post.created_at == datetime.fromtimestamp(1795422050, UTC)
    assert comment.event_id == "facebook:955566677788899_1300111222333"
    assert comment.parent_id == "100011122233344_955566677788899"
    # A mention in a comment is a conversation of its own, as a top-level comment is.
    assert comment.conversation_id == "facebook:955566677788899_1300111222333"
    assert comment.author.id == "100022233344455"
    # Meta's mention notification may carry no message: still an event, at entry time.
    assert without_text.text == ""
    assert without_text.created_at == datetime.fromtimestamp(1795422100, UTC)
    assert result.ignored == ["facebook:mention:edited"]


def test_a_mention_on_the_pages_timeline_is_the_feed_posts_event():
    # The same post arrives as a feed change and as a mention: one event_id, so the
    # edge's dedup keeps one.
    post = {"post_id": f"{PAGE}_1", "verb": "add", "created_time": 1795421900}
    changes = [
        {"field": "feed", "value": {**post, "item": "status", "from": {"id": "7"}}},
        {"field": "mention", "value": {**post, "item": "post", "sender_id": "7"}},
    ]
    body = {"object": "page", "entry": [{"id": PAGE, "changes": changes}]}
    result = meta.parse({}, json.dumps(body).encode(), CTX)
    assert [e.event_id for e in result.events] == [f"facebook:{PAGE}_1"] * 2


def test_instagram_mentions_are_published_pending_enrichment():
    mention = parsed("meta_instagram_changes.json").events[-1]
    assert mention.kind == Kind.mention
    assert mention.enrichment == Enrichment.pending
    assert mention.author.id == "unknown"
    assert mention.text == ""
