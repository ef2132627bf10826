"""The care loop through the whole pipeline on every platform: a customer writes, an
agent answers over the search API, the platform (the emulator) receives exactly one
correct request, the reply comes back through the pipeline as an outbound event that
stops the customer's deadline, the conversation waits on the customer; resolved, a new
message from the customer reopens it. A rate limit is waited out as the platform asks.

(A respond worker killed between the send and the publish is
tests/respond/test_worker.py::test_a_worker_killed_between_send_and_publish_...)"""

import time
import uuid
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from socialcare_dev.isolation import API_KEY
from socialcare_dev.traffic import INSTAGRAM_ID, PAGE_ID, PLATFORMS, WHATSAPP_NUMBER, Traffic
from tests.support.respond_worker import emulator_calls

pytestmark = pytest.mark.integration
KEY = {"X-API-Key": API_KEY}
RATE_LIMITED = "telegram"
RETRY_AFTER = 2


def _meta_dm(account: str) -> Callable[[dict, dict], bool]:
    return lambda call, message: (
        call["path"]
        == f"/{'instagram/' if account == INSTAGRAM_ID else ''}v21.0/{account}/messages"
        and call["body"]["recipient"]["id"] == message["author"]["id"]
    )


# platform -> is this emulator request the right answer to the customer's message?
RIGHT_REQUEST: dict[str, Callable[[dict, dict], bool]] = {
    "messenger": _meta_dm(PAGE_ID),
    "instagram": _meta_dm(INSTAGRAM_ID),
    "facebook": lambda call, message: (
        call["path"] == f"/v21.0/{message['platform_message_id']}/comments"
    ),
    "whatsapp": lambda call, message: (
        call["path"] == f"/v21.0/{WHATSAPP_NUMBER}/messages"
        and call["body"]["to"] == message["author"]["id"]
        and call["body"]["context"]["message_id"] == message["platform_message_id"]
    ),
    "telegram": lambda call, message: (  # its message id is "<chat>:<message>"
        call["path"].endswith("/sendMessage")
        and str(call["body"]["chat_id"]) == message["author"]["id"]
        and message["platform_message_id"].endswith(
            f":{call['body']['reply_parameters']['message_id']}"
        )
    ),
    "viber": lambda call, message: (
        call["path"] == "/pa/send_message" and call["body"]["receiver"] == message["author"]["id"]
    ),
    "twitter": lambda call, message: (  # a mention is answered in public, in its thread
        call["path"] == "/2/tweets"
        and call["body"]["reply"]["in_reply_to_tweet_id"] == message["platform_message_id"]
    ),
}


def test_every_platform_is_answered_once_through_the_pipeline_and_a_follow_up_reopens(pipeline):
    running, _ = pipeline
    api = httpx.Client(base_url=running.search_url, headers=KEY, timeout=30)
    traffic = Traffic(uuid.uuid4().hex[:8])
    authors = {p: traffic.new_author(p, "en") for p in PLATFORMS}
    conversations = {
        p: write(running, traffic, author, f"My order {uuid.uuid4().hex[:6]} never arrived")
        for p, author in authors.items()
    }
    states = wait(api, conversations.values(), lambda c: c["state"] is not None)

    fault = {"platform": RATE_LIMITED, "kind": "rate_limit", "count": 1}
    httpx.post(
        f"{running.emulator_url}/_emulator/faults", json=fault | {"retry_after": RETRY_AFTER}
    )
    replies = {}
    for platform, conversation in conversations.items():
        replies[platform] = f"Sorry about that, we are on it ({uuid.uuid4().hex[:8]})"
        body = {"text": replies[platform], "action_id": f"{conversation}/first"}
        accepted = [api.post(f"/v1/conversations/{conversation}/replies", json=body) for _ in "12"]
        assert [a.status_code for a in accepted] == [202, 202], accepted[0].text
        assert {a.json()["action_id"] for a in accepted} == {body["action_id"]}

    answered = wait(
        api,
        conversations.values(),
        lambda c: (
            c["state"]["status"] == "waiting_customer"
            and any(e["direction"] == "outbound" for e in c["events"])
            and all(e.get("response") for e in c["events"] if e["direction"] == "inbound")
        ),
    )
    for platform, conversation in conversations.items():
        thread, state = answered[conversation]["events"], answered[conversation]["state"]
        (message,) = [e for e in thread if e["direction"] == "inbound"]
        sent = emulator_calls(running.emulator_url, replies[platform])
        delivered = [c for c in sent if c["fault"] is None]
        # the same action_id posted twice: one request reached the platform
        assert len(delivered) == 1, (platform, sent)
        assert delivered[0]["platform"] == platform
        assert RIGHT_REQUEST[platform](delivered[0], message), (platform, delivered[0])
        (reply,) = [e for e in thread if e["direction"] == "outbound"]
        assert reply["text"] == replies[platform]
        # the platform's id of the sent message (Telegram's is "<chat>:<message>")
        platform_id = reply["platform_message_id"].rsplit(":", 1)[-1]
        assert platform_id in _scalars(delivered[0]["response"])
        # the deadline stopped: the customer's message is answered, the conversation too
        assert message["response"]["answered_at"]
        assert state["first_response_at"]
        assert states[conversation]["state"]["status"] == "open"
        assert (
            state["first_response_due_at"] == states[conversation]["state"]["first_response_due_at"]
        )

    limited = emulator_calls(running.emulator_url, replies[RATE_LIMITED])
    assert [c["fault"] for c in limited] == ["rate_limit", None], limited
    waited = _at(limited[1]) - _at(limited[0])
    assert waited.total_seconds() >= RETRY_AFTER - 0.05, waited

    for conversation in conversations.values():
        done = {"action_id": f"{conversation}/done"}
        assert api.post(f"/v1/conversations/{conversation}/resolve", json=done).status_code == 202
    wait(api, conversations.values(), lambda c: c["state"]["status"] == "resolved")
    for platform, author in authors.items():
        assert write(running, traffic, author, "It still has not come") == conversations[platform]
    reopened = wait(api, conversations.values(), lambda c: c["state"]["status"] == "open")
    for conversation in conversations.values():
        state = reopened[conversation]["state"]
        assert state["reopen_count"] == 1 and state["resolved_at"] is None
        assert state["first_response_at"] == answered[conversation]["state"]["first_response_at"]


def write(running, traffic: Traffic, author, text: str) -> str:
    """The customer's message through ingest; its conversation id."""
    delivery = traffic.message(author, text)
    answer = httpx.post(
        f"{running.ingest_url}{delivery.path}", content=delivery.body, headers=delivery.headers
    )
    assert answer.status_code == 200, answer.text
    (event_id,) = answer.json()["event_ids"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = httpx.get(f"{running.search_url}/v1/search", params={"q": text}, headers=KEY).json()
        for hit in found.get("hits", []):
            if hit["event"]["event_id"] == event_id:
                return hit["event"]["conversation_id"]
        time.sleep(0.5)
    raise AssertionError(f"{event_id} not searchable within 60 s")


def wait(api: httpx.Client, conversations, done: Callable[[dict], bool], timeout: float = 90):
    """Each conversation (thread and state) once ``done`` holds for all of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = {c: api.get(f"/v1/conversations/{c}").json() for c in conversations}
        if all(done(body) for body in found.values()):
            return found
        if time.monotonic() > deadline:
            pending = {c: b.get("state") for c, b in found.items() if not done(b)}
            raise AssertionError(f"not done within {timeout} s: {pending}")
        time.sleep(0.5)


def _scalars(value) -> set[str]:
    """Every scalar in a JSON value, as text: where the platform's message id can be."""
    if isinstance(value, dict):
        return set().union(*map(_scalars, value.values()))
    if isinstance(value, list):
        return set().union(*map(_scalars, value))
    return {str(value)}


def _at(call: dict) -> datetime:
    return datetime.fromisoformat(call["received_at"])
