"""Every sender against the platform emulator (in process): the request it builds is
one the emulated platform accepts, and its answers - success, rate limit, refusal -
mean what the sender says."""

import pytest
from fastapi.testclient import TestClient

from socialcare.respond.senders import (
    PermanentFailure,
    PlatformResponse,
    RetryLater,
    Sender,
    senders,
)
from socialcare.respond.settings import RespondSettings
from socialcare.schema import Kind, ReplyTarget
from socialcare_dev.emulator import create_app
from tests.respond.test_senders import NOW
from tests.respond.test_senders import target as any_target

BASE = "http://testserver"
SENDERS = senders(
    RespondSettings(
        respond_graph_base_url=f"{BASE}/v21.0",
        respond_instagram_base_url=f"{BASE}/instagram/v21.0",
        respond_telegram_base_url=BASE,
        respond_viber_base_url=BASE,
        respond_x_base_url=BASE,
        respond_meta_page_token="page",
        respond_whatsapp_token="wa",
        respond_telegram_bot_token="123:bot",
        respond_viber_auth_token="viber",
        respond_x_bearer_token="x",
    )
)
# (platform, kind, the customer's message id, the emulator's endpoint name)
REPLIES = [
    ("messenger", Kind.dm, "m_1", "messages"),
    ("instagram", Kind.dm, "ig_1", "messages"),
    ("facebook", Kind.comment, "10_20", "comments"),
    ("instagram", Kind.comment, "1790", "replies"),
    ("instagram", Kind.mention, "1791", "mention_reply"),  # in a caption
    ("instagram", Kind.mention, "1792", "mention_reply"),  # in a comment (PARENTS)
    ("whatsapp", Kind.dm, "wamid.1", "messages"),
    ("telegram", Kind.dm, "555:7", "sendMessage"),
    ("viber", Kind.dm, "5098034272017990000", "send_message"),
    ("twitter", Kind.dm, "dm1", "dm"),
    ("twitter", Kind.mention, "1790000", "tweets"),
]


# The media a comment mention is on (ingest's parent_id).
PARENTS = {"1792": "1780"}


def target(platform: str, kind: Kind, message: str) -> ReplyTarget:
    # Platforms' user ids are numbers (the emulator checks X's).
    parent = PARENTS.get(message)
    return any_target(platform, kind, message, recipient_id="1500", parent_id=parent)


@pytest.fixture
def emulator() -> TestClient:
    return TestClient(create_app(hang_seconds=0.1))


def send(client: TestClient, sender: Sender, reply: ReplyTarget, text: str = "Thanks!") -> str:
    request = sender.build(reply, text, NOW)
    answer = client.request(request.method, request.url, json=request.json, headers=request.headers)
    headers = {k.lower(): v for k, v in answer.headers.items()}
    return sender.parse(reply, PlatformResponse(answer.status_code, headers, answer.content))


@pytest.mark.parametrize(("platform", "kind", "message", "endpoint"), REPLIES)
def test_the_platform_accepts_the_request_and_its_answer_gives_the_id(
    emulator, platform, kind, message, endpoint
):
    reply = target(platform, kind, message)
    sent = send(emulator, SENDERS[platform], reply)
    [record] = emulator.get("/_emulator/requests").json()["requests"]
    assert (record["platform"], record["endpoint"]) == (platform, endpoint)
    assert 200 <= record["status"] < 300
    # Telegram's id is ingest's "<chat>:<message>"; the platform answers the message id.
    assert sent.rsplit(":", 1)[-1] in str(record["response"])


@pytest.mark.parametrize(("platform", "kind", "message", "endpoint"), REPLIES)
def test_a_rate_limit_is_retry_later_with_the_platforms_wait(
    emulator, platform, kind, message, endpoint
):
    emulator.post(
        "/_emulator/faults", json={"platform": platform, "kind": "rate_limit", "retry_after": 7}
    )
    with pytest.raises(RetryLater) as limited:
        send(emulator, SENDERS[platform], target(platform, kind, message))
    if platform != "viber":  # Viber's status 12 carries no wait
        assert limited.value.after_seconds == pytest.approx(7, abs=1)


@pytest.mark.parametrize(("platform", "kind", "message", "endpoint"), REPLIES)
def test_server_errors_and_timeouts_are_retry_later(emulator, platform, kind, message, endpoint):
    emulator.post("/_emulator/faults", json={"platform": platform, "kind": "server_error"})
    with pytest.raises(RetryLater):
        send(emulator, SENDERS[platform], target(platform, kind, message))


@pytest.mark.parametrize(("platform", "kind", "message", "endpoint"), REPLIES)
def test_a_policy_refusal_is_permanent_with_the_platforms_reason(
    emulator, platform, kind, message, endpoint
):
    emulator.post("/_emulator/faults", json={"platform": platform, "kind": "policy"})
    with pytest.raises(PermanentFailure) as refused:
        send(emulator, SENDERS[platform], target(platform, kind, message))
    [record] = emulator.get("/_emulator/requests").json()["requests"]
    assert refused.value.reason.split(" (")[0] in str(record["response"])


def test_a_text_past_the_limit_is_refused_with_the_reason(emulator):
    with pytest.raises(PermanentFailure) as refused:
        send(emulator, SENDERS["twitter"], target("twitter", Kind.mention, "1"), "x" * 281)
    assert refused.value.reason
