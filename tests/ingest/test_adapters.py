"""Every adapter against realistic fixtures: the exact normalized fields."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from socialcare.ingest.adapters import BadPayload, Context, generic, meta, telegram, twitter, viber
from socialcare.listening import ListeningRules
from socialcare.schema import Attachment, Author, Direction, Kind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CTX = Context(
    received_at=RECEIVED,
    brand_handles=frozenset({"voltmobile"}),
    listening=ListeningRules.from_keywords(("voltmobile", "volt mobile")),
)


def parsed(adapter, name):
    return adapter.parse({}, (FIXTURES / name).read_bytes(), CTX)


def at(*args):
    return datetime(*args, tzinfo=UTC)


class TestMessenger:
    def test_text_attachment_only_and_echo_from_a_batch_of_entries(self):
        result = parsed(meta, "meta_messenger.json")
        assert result.ignored == ["messenger:delivery"]
        text, image, echo = result.events
        page, user = "104729318201355", "6912345678901234"
        assert text.event_id == "messenger:m_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0KkLlMm"
        assert (text.kind, text.direction) == (Kind.dm, Direction.inbound)
        assert text.brand_account_id == page
        assert text.conversation_id == f"messenger:{page}:{user}"
        assert text.author == Author(id=user)
        assert text.text == "Punjač mi je pregorio nakon dva dana 😡 narudžba #A-55120"
        assert text.created_at == at(2026, 11, 23, 8, 0, 0, 100000)
        assert text.received_at == RECEIVED
        assert image.text == ""
        assert image.attachments == [
            Attachment(type="image", url="https://scontent.xx.fbcdn.net/v/t1.15752-9/charger.jpg")
        ]
        assert echo.direction == Direction.outbound
        assert echo.author.id == page
        # The page's reply belongs to the customer's conversation.
        assert echo.conversation_id == text.conversation_id


class TestFacebookFeed:
    def test_comment_page_reply_and_photo_reply_form_one_thread(self):
        result = parsed(meta, "meta_facebook_feed.json")
        assert result.ignored == ["facebook:feed:reaction", "facebook:comment:edited"]
        comment, page_reply, photo_reply = result.events
        post = "104729318201355_922233344455566"
        top = "922233344455566_1200111222333"
        assert comment.event_id == f"facebook:{top}"
        assert (comment.kind, comment.direction) == (Kind.comment, Direction.inbound)
        assert comment.parent_id == post
        assert comment.conversation_id == f"facebook:{top}"
        assert comment.author == Author(id="24012345678901", display_name="Jürgen Weiß")
        assert comment.text.startswith("Seit 10 Tagen warte ich auf mein Paket 📦")
        assert comment.created_at == at(2026, 11, 23, 8, 3, 20)
        assert (page_reply.kind, page_reply.direction) == (Kind.reply, Direction.outbound)
        assert page_reply.parent_id == top
        assert page_reply.conversation_id == comment.conversation_id
        assert photo_reply.text == ""
        assert photo_reply.attachments[0].type == "image"
        assert photo_reply.conversation_id == comment.conversation_id


class TestInstagram:
    def test_comments_replies_and_mentions_from_changes(self):
        result = parsed(meta, "meta_instagram_changes.json")
        assert result.ignored == ["instagram:story_insights"]
        comment, reply, mention = result.events
        account = "17841400000000001"
        assert comment.event_id == "instagram:17900000000000101"
        assert (comment.platform, comment.kind) == ("instagram", Kind.comment)
        assert comment.author == Author(id="17841455566677788", handle="sara.rezaei")
        assert comment.text == "رنگ این کفش بعد از یک هفته رفت 😞 کیفیتش خیلی بده"
        assert comment.parent_id == "18030000000000001"  # the media it was written under
        assert (reply.kind, reply.direction) == (Kind.reply, Direction.outbound)
        assert reply.conversation_id == comment.conversation_id == "instagram:17900000000000101"
        assert mention.kind == Kind.mention
        assert mention.event_id == "instagram:17900000000000555"
        assert mention.brand_account_id == account
        assert mention.parent_id == "18030000000000999"

    def test_direct_messages_in_the_messaging_shape(self):
        result = parsed(meta, "meta_instagram_dm.json")
        assert result.ignored == ["instagram:read"]
        inbound, echo = result.events
        assert inbound.platform == "instagram"
        assert inbound.kind == Kind.dm
        assert inbound.text == "وين طلبي؟ صار لي أسبوعين أنتظر!!"
        assert inbound.conversation_id == "instagram:17841400000000001:531234567890123"
        assert echo.direction == Direction.outbound
        assert echo.conversation_id == inbound.conversation_id


class TestWhatsApp:
    def test_text_and_captioned_image_with_contact_names_and_statuses_ignored(self):
        result = parsed(meta, "meta_whatsapp.json")
        assert result.ignored == ["whatsapp:status:read"]
        text, image = result.events
        assert text.event_id == "whatsapp:wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQUI1QjE0RjQ1"
        assert text.brand_account_id == "106540352242922"
        assert text.conversation_id == "whatsapp:106540352242922:34600111222"
        assert text.author == Author(
            id="34600111222", handle="34600111222", display_name="Lucía Fernández"
        )
        assert text.text == "Me cobraron dos veces el pedido 48213 💳💳 ¿me devuelven uno?"
        assert text.created_at == at(2026, 11, 23, 8, 36, 40)
        assert image.text == "el extracto del banco"
        assert image.attachments == [Attachment(type="image")]
        assert image.parent_id == "wamid.HBgLMzQ2MDAxMTEyMjIVAgARGBI5QTNDQUVDRjA2"
        # The customer's market: the country of their number (+34 Spain).
        assert text.market == image.market == "ES"


class TestX:
    def test_tweets_mentions_replies_brand_replies_and_listening(self):
        result = parsed(twitter, "twitter_tweets.json")
        assert result.ignored == ["twitter:favorite_events"]
        mention, reply, brand_reply, listened = result.events
        brand = "1550000000000000001"
        assert mention.event_id == "twitter:1860000000000000001"
        assert mention.kind == Kind.mention
        # Truncated tweets carry the whole text in extended_tweet.full_text.
        assert mention.text.endswith("ешқандай ақпарат жоқ 😤")
        assert "…" not in mention.text
        assert mention.author == Author(
            id="2870000001", handle="aigerim_n", display_name="Айгерім Н.", follower_count=1520
        )
        assert mention.created_at == at(2026, 11, 23, 9, 30)
        assert mention.conversation_id == f"twitter:public:{brand}:2870000001"
        assert (reply.kind, reply.parent_id) == (Kind.reply, "1859999999999999990")
        assert brand_reply.direction == Direction.outbound
        assert brand_reply.conversation_id == reply.conversation_id
        assert listened.kind == Kind.listening
        assert listened.attachments[0].type == "video"

    def test_direct_messages_with_the_users_map(self):
        result = parsed(twitter, "twitter_dms.json")
        first, photo, answer = result.events
        brand = "1550000000000000001"
        assert first.event_id == "twitter:1860000000000009001"
        assert first.kind == Kind.dm
        assert first.author == Author(
            id="2870000009", handle="oleg_k", display_name="Олег", follower_count=57
        )
        assert first.created_at == at(2026, 11, 23, 9, 30)
        assert first.conversation_id == f"twitter:dm:{brand}:2870000009"
        assert photo.text == ""
        assert photo.attachments[0].type == "photo"
        assert answer.direction == Direction.outbound
        assert answer.conversation_id == first.conversation_id

    def test_activity_without_messages_is_acknowledged(self):
        result = parsed(twitter, "twitter_typing.json")
        assert result.events == []
        assert result.ignored == ["twitter:direct_message_indicate_typing_events"]


class TestViber:
    def test_message_token_above_2_pow_53_stays_exact(self):
        (event,) = parsed(viber, "viber_message.json").events
        assert event.event_id == "viber:5741311803571721087"
        assert float(5741311803571721087) != 5741311803571721087  # would round via float
        assert event.author == Author(id="01234567890A=", display_name="Олена Коваль")
        assert event.text.startswith("Кур'єр так і не приїхав")
        assert event.created_at == at(2026, 11, 23, 9, 43, 20, 123000)
        assert event.conversation_id == "viber:viber-bot:01234567890A="
        assert event.market == "UA"  # the sender's country, as Viber reports it

    def test_picture_without_text(self):
        (event,) = parsed(viber, "viber_picture.json").events
        assert event.text == ""
        assert event.attachments[0].type == "picture"

    @pytest.mark.parametrize(
        "name,kind", [("viber_delivered", "delivered"), ("viber_subscribed", "subscribed")]
    )
    def test_callbacks_are_acknowledged_not_published(self, name, kind):
        result = parsed(viber, f"{name}.json")
        assert result.events == []
        assert result.ignored == [f"viber:{kind}"]


class TestTelegram:
    def test_private_message(self):
        (event,) = parsed(telegram, "telegram_message.json").events
        assert event.event_id == "telegram:5012345678:4412"
        assert event.kind == Kind.dm
        assert event.author == Author(
            id="5012345678", handle="elifyilmaz", display_name="Elif Yılmaz"
        )
        assert event.conversation_id == "telegram:5012345678"
        assert event.created_at == at(2026, 11, 23, 10, 0)

    def test_an_edit_is_a_new_deterministic_event(self):
        (event,) = parsed(telegram, "telegram_edited.json").events
        assert event.event_id == "telegram:5012345678:4412:edit:1795428090"
        assert "iade/değişim" in event.text
        assert event.created_at == at(2026, 11, 23, 10, 1, 30)

    def test_photo_reply_without_text(self):
        (event,) = parsed(telegram, "telegram_photo.json").events
        assert (event.text, event.attachments) == ("", [Attachment(type="photo")])
        assert event.parent_id == "5012345678:4412"

    def test_channel_post_is_the_brand_speaking(self):
        (event,) = parsed(telegram, "telegram_channel_post.json").events
        assert event.kind == Kind.comment
        assert event.direction == Direction.outbound
        assert event.author.display_name == "Norda Shop Deals"

    def test_other_updates_are_acknowledged(self):
        result = parsed(telegram, "telegram_callback.json")
        assert (result.events, result.ignored) == ([], ["telegram:callback_query"])


class TestBadInput:
    @pytest.mark.parametrize("adapter", [meta, twitter, viber, telegram, generic])
    def test_invalid_json_is_a_400_with_the_reason(self, adapter):
        with pytest.raises(BadPayload) as bad:
            adapter.parse({}, b'{"object": "page", "entry": [', CTX)
        assert bad.value.status == 400
        assert "not valid JSON" in bad.value.reason

    def test_unknown_meta_object(self):
        with pytest.raises(BadPayload, match="unknown Meta object type 'user'"):
            meta.parse({}, b'{"object": "user", "entry": []}', CTX)

    def test_payload_missing_documented_fields_is_a_422_naming_the_field(self):
        body = b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"metadata": {}}}]}]}'  # noqa: E501
        with pytest.raises(BadPayload) as bad:
            meta.parse({}, body, CTX)
        assert bad.value.status == 422
        assert "phone_number_id" in bad.value.reason


class TestGeneric:
    def test_single_event_and_batch_with_received_at_filled_in(self):
        one = b'{"platform": "trustpilot", "platform_message_id": "r-1", "kind": "comment", "brand_account_id": "b", "conversation_id": "tp:r-1", "author": {"id": "a"}, "text": "Fast delivery", "created_at": "2026-11-20T08:00:00Z"}'  # noqa: E501
        (event,) = generic.parse({}, one, CTX).events
        assert event.event_id == "trustpilot:r-1"
        assert event.received_at == RECEIVED
        batch = generic.parse({}, b"[" + one + b"," + one.replace(b"r-1", b"r-2") + b"]", CTX)
        assert [e.event_id for e in batch.events] == ["trustpilot:r-1", "trustpilot:r-2"]

    def test_schema_violation_names_the_event_and_field(self):
        with pytest.raises(BadPayload) as bad:
            generic.parse({}, b'[{"platform": "x"}]', CTX)
        assert bad.value.status == 422
        assert bad.value.reason.startswith("event 0:")
