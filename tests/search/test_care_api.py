"""The agents' side of the care loop on the real Kafka and Elasticsearch: the inbox of
open conversations, the conversation state next to the thread, and actions posted
over HTTP arriving on support.actions with the right target and actor."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.care import WHATSAPP_WINDOW_CLOSED
from socialcare.index.conversations import conversation_document
from socialcare.schema import Action, Conversation, ReplyTarget
from socialcare.search.api import create_app
from socialcare.search.settings import SearchSettings
from socialcare.topics import ACTIONS
from tests.support.kafka_tail import TopicTail
from tests.support.search_index import ROWS, drop_index, index_events, routed

pytestmark = pytest.mark.integration

AGENT = {"X-API-Key": "care-agent-key-0123456789"}  # read+reply, agent "maria"
READER = {"X-API-Key": "care-reader-key-0123456789"}  # read only
REPLIER = {"X-API-Key": "care-replier-key-0123456789"}  # reply only
ADMIN = {"X-API-Key": "care-admin-key-0123456789"}  # admin: everything
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def run() -> str:
    """A prefix for this run's conversation ids: other workers on support.actions
    (other tests' consumer groups) never mistake these for theirs, nor we theirs."""
    return f"care-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def care_settings(stack, settings) -> SearchSettings:
    care = SearchSettings(
        **{
            **settings.model_dump(),
            "index_alias": f"test-care-{uuid.uuid4().hex[:8]}",
            "embedding_dims": 4,
            "search_api_keys": f"{AGENT['X-API-Key']}:read+reply:maria,"
            f"{READER['X-API-Key']}:read,{REPLIER['X-API-Key']}:reply,"
            f"{ADMIN['X-API-Key']}:admin:lead",
        }
    )
    es = elastic.client(care)
    elastic.ensure_index(es, care)
    elastic.ensure_conversations_index(es, care)
    es.close()
    yield care
    drop_index(care)


def target(run: str, n: int, platform: str = "telegram", wrote: datetime = NOW) -> ReplyTarget:
    return ReplyTarget(
        event_id=f"{platform}:{run}-m{n}",
        platform=platform,
        brand_account_id="brand",
        kind="dm",
        platform_message_id=f"{run}-m{n}",
        recipient_id=f"u-{run}-{n}",
        customer_wrote_at=wrote,
    )


def state(run: str, n: int, **fields) -> Conversation:
    values = {
        "conversation_id": f"{run}-s{n}",
        "platform": "telegram",
        "brand_account_id": "brand",
        "status": "open",
        "opened_at": NOW - timedelta(hours=1),
        "last_activity_at": NOW,
        "reply_to": target(run, n),
        **fields,
    }
    return Conversation.model_validate(values)


def put_states(settings: SearchSettings, states: list[Conversation]) -> None:
    es = elastic.client(settings)
    alias = elastic.conversations_alias(settings)
    try:
        for s in states:
            es.index(index=alias, id=s.conversation_id, document=conversation_document(s, NOW))
        es.indices.refresh(index=alias)
    finally:
        es.close()


def thread(run: str, rows) -> list:
    """The fixture rows as this run's events: conversation ids and message ids of its own."""
    return [
        routed(row).model_copy(
            update={
                "conversation_id": f"{run}-{row[3]}",
                "platform_message_id": f"{run}-{row[0]}",
                "event_id": f"{row[1]}:{run}-{row[0]}",
            }
        )
        for row in rows
    ]


@pytest.fixture(scope="module")
def inbox_states(run, care_settings) -> list[Conversation]:
    due = NOW + timedelta(hours=1)
    states = [
        state(run, 1, first_response_due_at=due, queue="support.queue.en.tech_support",
              language="en", priority="P2", assignee="maria"),
        state(run, 2, first_response_due_at=due - timedelta(minutes=30), platform="facebook",
              queue="support.queue.de.logistics", language="de", priority="P1"),
        state(run, 3, queue="support.queue.en.general", language="en", priority="P4"),
        state(run, 4, status="resolved", first_response_due_at=due - timedelta(minutes=50)),
        state(run, 5, status="waiting_customer", first_response_due_at=due),
    ]  # fmt: skip
    put_states(care_settings, states)
    return states


@pytest.fixture(scope="module")
def events(run, care_settings) -> list:
    # c-1: a tweet and the brand's answer; c-2: a Facebook comment; c-4: a WhatsApp DM
    # written two days ago; c-out: only the brand's message.
    rows = [ROWS[0], ROWS[1], ROWS[2], ROWS[4], (7, *ROWS[1][1:3], "c-out", *ROWS[1][4:])]
    indexed = thread(run, rows)
    assert index_events(care_settings, indexed) == {}
    return indexed


@pytest.fixture(scope="module")
def api(care_settings, inbox_states, events):
    with TestClient(create_app(care_settings)) as client:
        yield client


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [c["conversation_id"] for c in answer.json()["conversations"]]


def test_the_inbox_lists_open_conversations_soonest_deadline_first(api, run):
    mine = [f"{run}-s2", f"{run}-s1", f"{run}-s3"]  # no deadline last
    found = ids(api.get("/v1/inbox", params={"size": 500}, headers=AGENT))
    assert [i for i in found if i.startswith(run)] == mine
    pages, cursor = [], None
    while True:
        params = {"size": 1, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/inbox", params=params, headers=READER).json()
        pages += page["conversations"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [c["conversation_id"] for c in pages] == mine
    assert pages[0]["reply_to"]["recipient_id"] == f"u-{run}-2"


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"queue": "support.queue.de.logistics"}, ["s2"]),
        ({"language": "en"}, ["s1", "s3"]),
        ({"platform": "facebook"}, ["s2"]),
        ({"priority": ["P1", "P4"]}, ["s2", "s3"]),
        ({"assignee": "me"}, ["s1"]),
        ({"assignee": "maria", "language": "de"}, []),
    ],
)
def test_the_inbox_filters(api, run, params, expected):
    found = ids(api.get("/v1/inbox", params=params, headers=AGENT))
    assert [i for i in found if i.startswith(run)] == [f"{run}-{e}" for e in expected]


def test_a_search_cursor_is_not_an_inbox_cursor(api):
    answer = api.get("/v1/inbox", params={"cursor": "r~0x1.0p+0~1~YQ"}, headers=AGENT)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_the_thread_comes_with_the_state(api, run, inbox_states):
    answer = api.get(f"/v1/conversations/{run}-c-1", headers=AGENT).json()
    assert len(answer["events"]) == 2 and answer["state"] is None
    answer = api.get(f"/v1/conversations/{run}-s1", headers=AGENT).json()
    assert answer["events"] == []
    assert answer["state"]["assignee"] == "maria"
    assert (
        Conversation.model_validate({k: v for k, v in answer["state"].items() if k != "indexed_at"})
        == inbox_states[0]
    )
    assert api.get(f"/v1/conversations/{run}-none", headers=AGENT).status_code == 404


def actions_of(tail: TopicTail, conversation_id: str) -> list[Action]:
    records = tail.read_to_end(match=lambda r: r.key == conversation_id.encode())
    return [Action.model_validate_json(r.value) for r in records]


@pytest.fixture
def actions(care_settings):
    tail = TopicTail(care_settings, ACTIONS.name)
    yield tail
    tail.close()


def test_a_reply_becomes_exactly_one_action_with_the_states_target(api, run, actions):
    conversation = f"{run}-s1"
    answer = api.post(
        f"/v1/conversations/{conversation}/replies", json={"text": "On its way!"}, headers=AGENT
    )
    assert answer.status_code == 202, answer.text
    [action] = actions_of(actions, conversation)
    assert action.action_id == answer.json()["action_id"]
    assert uuid.UUID(action.action_id)
    assert (action.type, action.text) == ("reply", "On its way!")
    assert action.conversation_id == conversation
    assert (action.actor.kind, action.actor.id) == ("agent", "maria")
    assert action.reply_to == target(run, 1)


def test_without_a_state_a_reply_answers_the_latest_customer_message(api, run, events, actions):
    conversation = f"{run}-c-1"
    answer = api.post(
        f"/v1/conversations/{conversation}/replies",
        json={"text": "Sorry!", "action_id": f"{run}-a1"},
        headers=ADMIN,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"action_id": f"{run}-a1"}
    [action] = actions_of(actions, conversation)
    assert action.reply_to == ReplyTarget.of(events[0])  # the tweet, not the brand's answer
    assert action.actor.id == "lead"


def test_the_same_action_id_twice_is_two_records_of_one_action(api, run, actions):
    conversation = f"{run}-s3"
    body = {"text": "Hello", "action_id": f"{run}-twice"}
    for _ in range(2):
        answer = api.post(f"/v1/conversations/{conversation}/replies", json=body, headers=AGENT)
        assert answer.status_code == 202, answer.text
    found = actions_of(actions, conversation)
    # Two deliveries of one action: the respond service sends it once (by action_id).
    assert [a.action_id for a in found] == [f"{run}-twice"] * 2


@pytest.mark.parametrize(
    "path,body,fields",
    [
        ("assign", {"agent": "li"}, {"type": "assign", "agent": "li"}),
        ("assign", {"agent": "me"}, {"type": "assign", "agent": "agent-3"}),  # the caller
        ("resolve", None, {"type": "resolve"}),
        ("reopen", {"action_id": "x-reopen"}, {"type": "reopen", "action_id": "x-reopen"}),
        ("notes", {"text": "VIP"}, {"type": "note", "text": "VIP"}),
    ],
)
def test_every_action_becomes_its_action(api, run, actions, path, body, fields):
    conversation = f"{run}-c-2"  # known by its messages only
    answer = api.post(f"/v1/conversations/{conversation}/{path}", json=body, headers=REPLIER)
    assert answer.status_code == 202, answer.text
    [action] = actions_of(actions, conversation)
    assert action.model_dump(mode="json", include=set(fields)) == fields
    assert action.actor.id == "agent-3"  # a key without an agent name: its entry


@pytest.mark.parametrize(
    "conversation,status,reason",
    [
        ("c-4", 422, WHATSAPP_WINDOW_CLOSED),
        ("c-out", 409, "has no customer message to reply to"),
        ("nowhere", 404, "no conversation"),
    ],
)
def test_a_reply_that_cannot_go_out_is_refused_with_the_reason(
    api, run, actions, conversation, status, reason
):
    answer = api.post(
        f"/v1/conversations/{run}-{conversation}/replies", json={"text": "Hi"}, headers=AGENT
    )
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["detail"]
    assert actions_of(actions, f"{run}-{conversation}") == []


def test_scopes_are_enforced(api, run, actions):
    conversation = f"{run}-s2"
    for path, body in [("replies", {"text": "Hi"}), ("assign", {"agent": "me"}), ("resolve", {})]:
        answer = api.post(f"/v1/conversations/{conversation}/{path}", json=body, headers=READER)
        assert answer.status_code == 403
        assert "'reply' scope" in answer.json()["detail"]
    assert api.post(f"/v1/conversations/{conversation}/resolve").status_code == 401
    assert api.get("/v1/inbox", headers=REPLIER).status_code == 403
    assert actions_of(actions, conversation) == []


def test_no_reply_reaches_an_erased_customer(care_settings, run, monkeypatch):
    monkeypatch.setenv("SOCIALCARE_ERASURE_TOPIC", f"test.erasures.{run}")
    erased = state(run, 9)
    put_states(care_settings, [erased])
    tail = TopicTail(care_settings, ACTIONS.name)
    try:
        with TestClient(create_app(care_settings)) as client:
            customer = f"/v1/authors/telegram/{erased.reply_to.recipient_id}"
            assert client.delete(customer, headers=ADMIN).status_code == 200
            answer = client.post(
                f"/v1/conversations/{erased.conversation_id}/replies",
                json={"text": "Still there?"},
                headers=AGENT,
            )
        assert answer.status_code == 409
        assert answer.json()["detail"] == "the customer asked to be erased"
        assert actions_of(tail, erased.conversation_id) == []
    finally:
        tail.close()


def test_the_conversations_index_is_made_once_and_maps_every_field(care_settings, run):
    es = elastic.client(care_settings)
    try:
        assert elastic.ensure_conversations_index(es, care_settings) is False  # made already
        full = state(
            run,
            10,
            status="waiting_customer",
            assignee="maria",
            queue="support.queue.en.orders",
            language="en",
            priority="P3",
            first_response_due_at=NOW,
            first_response_at=NOW,
            resolved_at=NOW,
            reopen_count=2,
            last_inbound_at=NOW,
            last_outbound_at=NOW,
            intent="defect",
            sentiment="negative",
            market="HR",
            survey_sent_at=NOW,
            csat=4,
            csat_at=NOW,
        )
        assert set(full.model_fields_set) == set(Conversation.model_fields) - {"schema_version"}
        # dynamic: strict - a field the mapping lacked would be refused here.
        put_states(care_settings, [full])
    finally:
        es.close()
