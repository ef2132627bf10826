"""Each platform's send request and what its answers mean: pure, no network."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from socialcare.care import WHATSAPP_WINDOW_CLOSED
from socialcare.respond.senders import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    senders,
)
from socialcare.respond.settings import RespondSettings
from socialcare.schema import Kind, ReplyTarget

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SETTINGS = RespondSettings(
    respond_graph_base_url="https://graph.test/v21.0",
    respond_instagram_base_url="https://ig.test/v21.0",
    respond_telegram_base_url="https://tg.test",
    respond_viber_base_url="https://viber.test",
    respond_x_base_url="https://x.test",
    respond_meta_page_token="page-token",
    respond_whatsapp_token="wa-token",
    respond_telegram_bot_token="123:tg-token",
    respond_viber_auth_token="viber-token",
    respond_x_bearer_token="x-token",
    respond_viber_sender_name="Acme",
)
SENDERS = senders(SETTINGS)


def target(platform: str, kind: Kind = Kind.dm, message: str = "m1", **extra) -> ReplyTarget:
    fields = {
        "event_id": f"{platform}:{message}",
        "platform": platform,
        "brand_account_id": "brand1",
        "kind": kind,
        "platform_message_id": message,
        "recipient_id": "cust1",
        "customer_wrote_at": NOW - timedelta(hours=1),
        **extra,
    }
    return ReplyTarget(**fields)


def answer(status: int, body: object, **headers: str) -> PlatformResponse:
    return PlatformResponse(
        status, {k.replace("_", "-"): v for k, v in headers.items()}, json.dumps(body).encode()
    )


def build(t: ReplyTarget, text: str = "Hello"):
    return SENDERS[t.platform].build(t, text, NOW)


def parse(t: ReplyTarget, response: PlatformResponse) -> str:
    return SENDERS[t.platform].parse(t, response)


# --- requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "base"),
    [("messenger", "https://graph.test/v21.0"), ("instagram", "https://ig.test/v21.0")],
)
def test_meta_dm_is_a_send_api_message_from_the_page(platform, base):
    request = build(target(platform))
    assert request.url == f"{base}/brand1/messages"
    assert request.json == {
        "recipient": {"id": "cust1"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hello"},
    }
    assert request.headers == {"Authorization": "Bearer page-token"}


@pytest.mark.parametrize(
    ("platform", "kind", "url"),
    [
        ("facebook", Kind.comment, "https://graph.test/v21.0/c1/comments"),
        ("facebook", Kind.mention, "https://graph.test/v21.0/c1/comments"),
        ("instagram", Kind.comment, "https://ig.test/v21.0/c1/replies"),
    ],
)
def test_comment_is_answered_in_its_thread(platform, kind, url):
    request = build(target(platform, kind, "c1"))
    assert (request.url, request.json) == (url, {"message": "Hello"})


@pytest.mark.parametrize(
    ("parent", "body"),
    [
        # A mention in a comment: ingest's parent_id is the media, the event the comment.
        ("m9", {"media_id": "m9", "comment_id": "c1", "message": "Hello"}),
        # A mention in a caption: the event is the media.
        (None, {"media_id": "c1", "message": "Hello"}),
    ],
)
def test_instagram_mention_is_answered_by_the_brand_account_where_it_was_mentioned(parent, body):
    request = build(target("instagram", Kind.mention, "c1", parent_id=parent))
    assert request.url == "https://ig.test/v21.0/brand1/mentions"
    assert (request.json, request.headers) == (body, {"Authorization": "Bearer page-token"})


def test_whatsapp_is_a_text_in_reply_to_the_customer_message():
    request = build(target("whatsapp", message="wamid.1"))
    assert request.url == "https://graph.test/v21.0/brand1/messages"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "cust1",
        "type": "text",
        "text": {"body": "Hello"},
        "context": {"message_id": "wamid.1"},
    }
    assert request.headers == {"Authorization": "Bearer wa-token"}


def test_whatsapp_sends_from_the_configured_number_when_set():
    sender = senders(SETTINGS.model_copy(update={"respond_whatsapp_phone_number_id": "pn9"}))
    request = sender["whatsapp"].build(target("whatsapp"), "Hi", NOW)
    assert request.url == "https://graph.test/v21.0/pn9/messages"


def test_whatsapp_outside_the_24_hour_window_is_refused_without_a_call():
    late = target("whatsapp", customer_wrote_at=NOW - timedelta(hours=24, seconds=1))
    with pytest.raises(PermanentFailure) as refused:
        build(late)
    assert refused.value.reason == WHATSAPP_WINDOW_CLOSED
    build(target("whatsapp", customer_wrote_at=NOW - timedelta(hours=23, minutes=59)))


@pytest.mark.parametrize(
    ("message", "chat", "message_id"),
    [("-100:42", "-100", 42), ("555:7:edit:1700000000", "555", 7), ("9", "cust1", 9)],
)
def test_telegram_replies_to_the_message_in_its_chat(message, chat, message_id):
    request = build(target("telegram", Kind.comment, message))
    assert request.url == "https://tg.test/bot123:tg-token/sendMessage"
    assert request.json == {
        "chat_id": chat,
        "text": "Hello",
        "reply_parameters": {"message_id": message_id},
    }


def test_telegram_message_id_that_is_no_number_fails():
    with pytest.raises(PermanentFailure):
        build(target("telegram", message="chat:abc"))


def test_viber_sends_with_the_auth_token_header():
    request = build(target("viber"))
    assert request.url == "https://viber.test/pa/send_message"
    assert request.json == {
        "receiver": "cust1",
        "type": "text",
        "text": "Hello",
        "sender": {"name": "Acme"},
    }
    assert request.headers == {"X-Viber-Auth-Token": "viber-token"}


def test_x_dm_goes_to_the_participant_and_public_replies_are_tweets():
    dm = build(target("twitter", Kind.dm))
    assert dm.url == "https://x.test/2/dm_conversations/with/cust1/messages"
    assert dm.json == {"text": "Hello"}
    assert dm.headers == {"Authorization": "Bearer x-token"}
    for kind in (Kind.mention, Kind.reply, Kind.comment):
        tweet = build(target("twitter", kind, "1790"))
        assert tweet.url == "https://x.test/2/tweets"
        assert tweet.json == {"text": "Hello", "reply": {"in_reply_to_tweet_id": "1790"}}


def test_a_platform_without_a_token_fails_with_the_setting_to_set():
    bare = senders(RespondSettings())
    with pytest.raises(PermanentFailure, match="SOCIALCARE_RESPOND_TELEGRAM_BOT_TOKEN"):
        bare["telegram"].build(target("telegram", message="1:2"), "Hi", NOW)


def test_tokens_are_never_in_a_repr():
    for sender in SENDERS.values():
        assert "token" not in repr(sender).replace("platform", "")
        request = sender.build(target(sender.platform, message="1:2"), "Hi", NOW)
        assert "tg-token" not in repr(request)
    assert "page-token" not in repr(SETTINGS)


# --- answers ---------------------------------------------------------------------------


def test_successful_answers_give_the_sent_message_id():
    assert (
        parse(target("messenger"), answer(200, {"recipient_id": "c", "message_id": "m_9"})) == "m_9"
    )
    assert parse(target("facebook", Kind.comment), answer(200, {"id": "1_2"})) == "1_2"
    wa = {"messaging_product": "whatsapp", "contacts": [], "messages": [{"id": "wamid.9"}]}
    assert parse(target("whatsapp"), answer(200, wa)) == "wamid.9"
    tg = {"ok": True, "result": {"message_id": 77, "chat": {"id": -100}}}
    assert parse(target("telegram", message="-100:5"), answer(200, tg)) == "-100:77"
    viber = b'{"status": 0, "status_message": "ok", "message_token": 5098034272017990001}'
    assert parse(target("viber"), PlatformResponse(200, {}, viber)) == "5098034272017990001"
    dm = {"data": {"dm_conversation_id": "1-2", "dm_event_id": "e9"}}
    assert parse(target("twitter"), answer(201, dm)) == "e9"
    assert parse(target("twitter", Kind.mention), answer(201, {"data": {"id": "t9"}})) == "t9"


@pytest.mark.parametrize(
    ("platform", "response", "after"),
    [
        ("messenger", answer(429, {"error": {"message": "x", "code": 613}}, retry_after="7"), 7),
        ("whatsapp", answer(400, {"error": {"message": "rate", "code": 130429}}), None),
        ("instagram", answer(403, {"error": {"message": "limit", "code": 4}}), None),
        ("facebook", answer(500, {"error": {"message": "oops", "code": 100}}), None),
        (
            "telegram",
            answer(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests",
                    "parameters": {"retry_after": 3},
                },
            ),
            3,
        ),
        ("viber", answer(200, {"status": 12, "status_message": "tooManyRequests"}), None),
        (
            "twitter",
            answer(429, {"title": "Too Many Requests"}, x_rate_limit_reset="9999999999"),
            None,
        ),
        ("twitter", answer(503, {"title": "Service Unavailable"}, retry_after="2"), 2),
        ("viber", PlatformResponse(502, {}, b"<html>bad gateway</html>"), None),
    ],
)
def test_rate_limits_and_server_errors_are_retried(platform, response, after):
    with pytest.raises(RetryLater) as retry:
        parse(target(platform, message="1:2"), response)
    if after is not None:
        assert retry.value.after_seconds == after


def test_x_reset_time_is_the_wait():
    reset = answer(429, {"title": "Too Many Requests"}, x_rate_limit_reset=str(10**10))
    with pytest.raises(RetryLater) as retry:
        parse(target("twitter"), reset)
    assert retry.value.after_seconds > 0


def test_retry_after_as_an_http_date():
    response = PlatformResponse(503, {"retry-after": "Sat, 01 Mar 2025 12:00:30 GMT"}, b"")
    assert response.retry_after(NOW) == 30


@pytest.mark.parametrize(
    ("platform", "kind", "response", "reason"),
    [
        (
            "messenger",
            Kind.dm,
            answer(
                400,
                {
                    "error": {
                        "message": "(#10) This message is sent outside of allowed window.",
                        "code": 10,
                        "error_subcode": 2018278,
                    }
                },
            ),
            "(#10) This message is sent outside of allowed window. (code 10)",
        ),
        (
            "whatsapp",
            Kind.dm,
            answer(400, {"error": {"message": "Re-engagement message", "code": 131047}}),
            "Re-engagement message (code 131047)",
        ),
        (
            "telegram",
            Kind.dm,
            answer(
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            ),
            "Forbidden: bot was blocked by the user",
        ),
        (
            "viber",
            Kind.dm,
            answer(200, {"status": 6, "status_message": "receiverNotSubscribed"}),
            "receiverNotSubscribed (status 6)",
        ),
        (
            "twitter",
            Kind.mention,
            answer(
                403,
                {"title": "Forbidden", "detail": "You are not allowed to reply.", "status": 403},
            ),
            "You are not allowed to reply.",
        ),
        (
            "twitter",
            Kind.dm,
            answer(400, {"errors": [{"message": "Text too long"}], "title": "Invalid Request"}),
            "Text too long",
        ),
    ],
)
def test_refusals_fail_with_the_platform_reason(platform, kind, response, reason):
    with pytest.raises(PermanentFailure) as refused:
        parse(target(platform, kind, message="1:2"), response)
    assert refused.value.reason == reason


def test_a_success_without_an_id_is_a_failure_not_a_crash():
    with pytest.raises(PermanentFailure, match="without the sent message's id"):
        parse(target("messenger"), answer(200, {}))
    with pytest.raises(PermanentFailure):
        parse(target("viber"), answer(200, {"status": 0}))
