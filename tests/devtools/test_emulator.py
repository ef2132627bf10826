"""The platform emulator (devtools): each platform's documented success and error
shapes, the faults, the recording, and ``socialcare emulator serve`` as a process."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socialcare_dev.emulator import create_app
from socialcare_dev.process import free_port

BEARER = {"Authorization": "Bearer page-token-1"}
VIBER = {"X-Viber-Auth-Token": "viber-token-1"}
TELEGRAM = "/bot123456:ABC-DEF1234ghIkl/sendMessage"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(hang_seconds=0.05))


def messenger(text: str = "Hello") -> dict[str, Any]:
    return {"recipient": {"id": "24"}, "messaging_type": "RESPONSE", "message": {"text": text}}


def whatsapp(text: str = "Hello") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+16505551234",
        "type": "text",
        "text": {"body": text},
        "context": {"message_id": "wamid.customer"},
    }


def viber(text: str = "Hello") -> dict[str, Any]:
    return {"receiver": "01234567890A=", "type": "text", "text": text, "sender": {"name": "Brand"}}


# (platform, path, headers, body, status, text limit) of a call that succeeds.
SENDS = {
    "messenger": ("/v21.0/1001/messages", BEARER, messenger(), 200, 2000),
    "instagram": ("/instagram/v21.0/1001/messages", BEARER, messenger(), 200, 1000),
    "whatsapp": ("/v21.0/5550001/messages", BEARER, whatsapp(), 200, 4096),
    "facebook": ("/v21.0/111_222/comments", BEARER, {"message": "Hello"}, 200, 8000),
    "instagram-comment": (
        "/v21.0/17900000000000001/replies",
        BEARER,
        {"message": "Hello"},
        200,
        2200,
    ),
    "instagram-mention": (
        "/v21.0/17841400000000001/mentions",
        BEARER,
        {"media_id": "17900000000000002", "comment_id": "17900000000000003", "message": "Hello"},
        200,
        2200,
    ),
    "telegram": (
        TELEGRAM,
        {},
        {"chat_id": 42, "text": "Hello", "reply_parameters": {"message_id": 7}},
        200,
        4096,
    ),
    "viber": ("/pa/send_message", VIBER, viber(), 200, 7000),
    "twitter-dm": (
        "/2/dm_conversations/with/12345/messages",
        BEARER,
        {"text": "Hello"},
        201,
        10000,
    ),
    "twitter-reply": (
        "/2/tweets",
        BEARER,
        {"text": "Hello", "reply": {"in_reply_to_tweet_id": "1790"}},
        201,
        280,
    ),
}


def send(client: TestClient, name: str, text: str | None = None, **headers: str):
    path, auth, body, _, _ = SENDS[name]
    if text is not None:
        body = _with_text(body, text)
    return client.post(path, headers={**auth, **headers}, json=body)


def _with_text(body: dict[str, Any], text: str) -> dict[str, Any]:
    body = {**body}
    if "message" in body and isinstance(body["message"], dict):
        body["message"] = {"text": text}
    elif "message" in body:
        body["message"] = text
    elif "text" in body and isinstance(body["text"], dict):
        body["text"] = {"body": text}
    else:
        body["text"] = text
    return body


def test_messenger_and_instagram_dm_answer_a_recipient_and_a_message_id(client):
    for name, prefix in (("messenger", "m_"), ("instagram", "aWdf")):
        answer = send(client, name)
        assert answer.status_code == 200
        assert answer.json()["recipient_id"] == "24"
        assert answer.json()["message_id"].startswith(prefix)


def test_whatsapp_answers_contacts_and_a_wamid(client):
    body = send(client, "whatsapp").json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+16505551234", "wa_id": "16505551234"}]
    assert body["messages"][0]["id"].startswith("wamid.")


def test_comment_replies_answer_an_id(client):
    assert re.fullmatch(r"111_\d{16}", send(client, "facebook").json()["id"])
    assert re.fullmatch(r"\d{17}", send(client, "instagram-comment").json()["id"])


def test_an_instagram_mention_reply_names_the_media_and_a_comment_if_any(client):
    assert re.fullmatch(r"\d{17}", send(client, "instagram-mention").json()["id"])
    caption = {"media_id": "17900000000000002", "message": "Hello"}
    assert client.post("/v21.0/1784/mentions", headers=BEARER, json=caption).status_code == 200
    no_media, bad_comment = {"message": "Hello"}, {**caption, "comment_id": "c-1"}
    for wrong in (no_media, bad_comment, {**caption, "message": ""}):
        answer = client.post("/v21.0/1784/mentions", headers=BEARER, json=wrong)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    records = client.get("/_emulator/requests").json()["requests"]
    assert {(r["platform"], r["endpoint"], r["method"]) for r in records} == {
        ("instagram", "mention_reply", "POST")
    }
    assert records[1]["body"] == caption


def test_telegram_answers_the_sent_message(client):
    first, second = send(client, "telegram").json(), send(client, "telegram").json()
    assert first["ok"] is True
    result = first["result"]
    assert result["chat"]["id"] == 42 and result["text"] == "Hello"
    assert result["reply_to_message"]["message_id"] == 7
    assert result["from"] == {
        "id": 123456,
        "is_bot": True,
        "first_name": "Support",
        "username": "support_bot",
    }
    assert second["result"]["message_id"] == result["message_id"] + 1


def test_viber_answers_status_zero_and_a_message_token(client):
    body = send(client, "viber").json()
    assert body["status"] == 0 and body["status_message"] == "ok"
    assert isinstance(body["message_token"], int)


def test_x_answers_201_with_a_dm_event_and_a_tweet(client):
    dm = send(client, "twitter-dm")
    assert dm.status_code == 201
    assert dm.json()["data"]["dm_conversation_id"] == "12345-1400000000000000001"
    assert dm.json()["data"]["dm_event_id"].isdigit()
    tweet = send(client, "twitter-reply")
    assert tweet.status_code == 201
    assert tweet.json()["data"]["text"] == "Hello" and tweet.json()["data"]["id"].isdigit()


@pytest.mark.parametrize("name", list(SENDS))
def test_a_text_past_the_platform_limit_is_refused_in_its_own_shape(client, name):
    limit = SENDS[name][4]
    assert send(client, name, "a" * limit).status_code == SENDS[name][3]
    answer = send(client, name, "a" * (limit + 1))
    body = answer.json()
    if name == "viber":
        assert answer.status_code == 200 and body["status"] == 3
    elif name == "telegram":
        assert (
            answer.status_code == 400 and body["description"] == "Bad Request: message is too long"
        )
    elif name.startswith("twitter"):
        assert answer.status_code == 400 and body["title"] == "Invalid Request"
    else:
        assert answer.status_code == 400 and body["error"]["code"] == 100


@pytest.mark.parametrize("name", list(SENDS))
def test_a_bad_token_is_refused_as_the_platform_refuses_it(client, name):
    if name == "telegram":
        answer = client.post("/botinvalid:1/sendMessage", json=SENDS[name][2])
        assert answer.status_code == 401 and answer.json()["description"] == "Unauthorized"
        return
    header = "X-Viber-Auth-Token" if name == "viber" else "Authorization"
    answer = send(client, name, **{header: "invalid" if name == "viber" else "Bearer invalid-1"})
    body = answer.json()
    if name == "viber":
        assert body == {"status": 2, "status_message": "invalidAuthToken"}
    elif name.startswith("twitter"):
        assert answer.status_code == 401 and body["title"] == "Unauthorized"
    else:
        assert answer.status_code == 401 and body["error"]["code"] == 190
        assert body["error"]["type"] == "OAuthException" and body["error"]["fbtrace_id"]


def test_graph_without_a_token_is_code_104_and_takes_the_query_token(client):
    answer = client.post("/v21.0/1001/messages", json=messenger())
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 104
    assert client.post("/v21.0/1001/messages?access_token=t", json=messenger()).status_code == 200


def test_graph_checks_required_fields(client):
    no_type = {"recipient": {"id": "24"}, "message": {"text": "Hi"}}
    answer = client.post("/v21.0/1001/messages", headers=BEARER, json=no_type)
    assert answer.status_code == 400 and "messaging_type" in answer.json()["error"]["message"]
    no_body = {**whatsapp(), "text": {}}
    answer = client.post("/v21.0/5550001/messages", headers=BEARER, json=no_body)
    assert answer.json()["error"]["error_data"]["messaging_product"] == "whatsapp"


def fault(client: TestClient, **spec: Any) -> None:
    assert client.post("/_emulator/faults", json=spec).status_code == 201


def test_a_rate_limit_fault_uses_each_platforms_signal_for_count_calls(client):
    fault(client, platform="telegram", kind="rate_limit", count=2, retry_after=7)
    for _ in range(2):
        answer = send(client, "telegram")
        assert answer.status_code == 429 and answer.headers["retry-after"] == "7"
        assert answer.json()["parameters"] == {"retry_after": 7}
        assert answer.json()["description"] == "Too Many Requests: retry after 7"
    assert send(client, "telegram").status_code == 200
    fault(client, platform="x", kind="rate_limit", retry_after=9)
    answer = send(client, "twitter-dm")
    assert answer.status_code == 429 and answer.headers["x-rate-limit-remaining"] == "0"
    assert int(answer.headers["x-rate-limit-reset"]) >= time.time() + 8
    fault(client, platform="whatsapp", kind="rate_limit")
    answer = send(client, "whatsapp")
    assert answer.status_code == 429 and answer.json()["error"]["code"] == 130429
    assert "estimated_time_to_regain_access" in answer.headers["x-business-use-case-usage"]
    fault(client, platform="viber", kind="rate_limit")
    assert send(client, "viber").json() == {"status": 12, "status_message": "tooManyRequests"}


def test_a_fault_for_one_platform_leaves_the_others_alone(client):
    fault(client, platform="viber", kind="server_error")
    assert send(client, "telegram").status_code == 200
    assert client.get("/_emulator/faults").json()["faults"][0]["remaining"] == 1
    assert send(client, "viber").status_code == 500
    assert client.get("/_emulator/faults").json() == {"faults": []}


def test_a_fault_for_any_platform_and_the_server_error_statuses(client):
    fault(client, platform=None, kind="server_error", count=3)
    assert send(client, "messenger").json()["error"]["is_transient"] is True
    assert send(client, "telegram").json()["error_code"] == 500
    assert send(client, "twitter-reply").status_code == 503
    fault(client, kind="server_error", status=502)
    assert send(client, "telegram").json()["description"] == "Bad Gateway"


def test_a_timeout_fault_hangs_then_answers_504(client):
    fault(client, platform="messenger", kind="timeout", hang_seconds=0.3)
    started = time.monotonic()
    assert send(client, "messenger").status_code == 504
    assert time.monotonic() - started >= 0.3
    fault(client, kind="timeout")  # the app's own hang_seconds
    assert send(client, "viber").status_code == 504


POLICY = {
    "messenger": lambda a: a.json()["error"]["error_subcode"] == 2018278,
    "instagram": lambda a: a.json()["error"]["error_subcode"] == 2534022,
    "whatsapp": lambda a: (
        a.json()["error"]["code"] == 131047
        and "24 hours" in a.json()["error"]["error_data"]["details"]
    ),
    "facebook": lambda a: a.json()["error"]["code"] == 100,
    "instagram-mention": lambda a: a.json()["error"]["error_subcode"] == 33,
    "telegram": lambda a: (
        a.status_code == 403 and a.json()["description"] == "Forbidden: bot was blocked by the user"
    ),
    "viber": lambda a: a.json() == {"status": 6, "status_message": "receiverNotSubscribed"},
    "twitter-dm": lambda a: a.status_code == 403 and a.json()["title"] == "Forbidden",
}


@pytest.mark.parametrize("name", list(POLICY))
def test_a_policy_fault_is_the_platforms_refusal(client, name):
    fault(client, platform=name.partition("-")[0], kind="policy")
    assert POLICY[name](send(client, name))
    assert send(client, name).status_code == SENDS[name][3]


def test_an_unknown_fault_platform_is_422(client):
    assert (
        client.post("/_emulator/faults", json={"platform": "myspace", "kind": "policy"}).status_code
        == 422
    )
    client.post("/_emulator/faults", json={"kind": "policy", "count": 5})
    assert client.delete("/_emulator/faults").status_code == 204
    assert send(client, "viber").json()["status"] == 0


def test_every_request_is_recorded_with_tokens_redacted(client):
    send(client, "telegram")
    fault(client, platform="whatsapp", kind="policy")
    send(client, "whatsapp")
    client.post("/v21.0/1001/messages?access_token=secret-q", json=messenger())
    send(client, "viber")
    records = client.get("/_emulator/requests").json()["requests"]
    assert [r["platform"] for r in records] == ["telegram", "whatsapp", "messenger", "viber"]
    telegram, whatsapp_, messenger_, viber_ = records
    assert telegram["path"] == "/bot***/sendMessage" and telegram["status"] == 200
    assert telegram["response"]["ok"] is True and telegram["body"]["text"] == "Hello"
    assert whatsapp_["headers"]["authorization"] == "Bearer ***" and whatsapp_["fault"] == "policy"
    assert messenger_["query"] == {"access_token": "***"}
    assert viber_["headers"]["x-viber-auth-token"] == "***"
    assert "123456:ABC" not in str(records) and "page-token-1" not in str(records)
    assert "secret-q" not in str(records) and "viber-token-1" not in str(records)


def test_the_recording_filters_by_platform_and_since_and_clears(client):
    send(client, "telegram")
    middle = client.get("/_emulator/requests").json()["requests"][-1]
    send(client, "twitter-dm")
    send(client, "telegram")
    assert (
        len(client.get("/_emulator/requests", params={"platform": "telegram"}).json()["requests"])
        == 2
    )
    later = client.get("/_emulator/requests", params={"since": middle["seq"]}).json()["requests"]
    assert [r["platform"] for r in later] == ["twitter", "telegram"]
    by_time = client.get(
        "/_emulator/requests", params={"since": middle["received_at"], "platform": "x"}
    )
    assert [r["endpoint"] for r in by_time.json()["requests"]] == ["dm"]
    assert client.get("/_emulator/requests", params={"since": "yesterday"}).status_code == 422
    assert client.delete("/_emulator/requests").status_code == 204
    assert client.get("/_emulator/requests").json() == {"requests": []}


def test_an_unknown_path_is_404_and_recorded(client):
    assert client.post("/v21.0/1001/feed", json={}).status_code == 404
    assert client.post("/botx/getMe").json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }
    assert [r["status"] for r in client.get("/_emulator/requests").json()["requests"]] == [404, 404]


def test_socialcare_emulator_serve_runs_as_a_process(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "socialcare", "emulator", "serve", "--port", str(port)]
    log = (tmp_path / "emulator.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "emulator.log").read_text()
                assert time.monotonic() < deadline, "the emulator did not answer in 60 s"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_serve_command_has_help():
    from typer.testing import CliRunner

    from socialcare.cli import app

    result = CliRunner().invoke(app, ["emulator", "serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--hang-seconds" in result.output and "/_emulator/faults" in result.output
