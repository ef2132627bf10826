"""``POST /v1/conversations/{id}/replies|assign|resolve|reopen|notes``: agents act on a
conversation. Each request becomes an ``Action`` on ``support.actions`` (key
conversation_id), acknowledged by Kafka before the 202; the respond and conversation
services carry it out, idempotently by ``action_id``."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from socialcare import care
from socialcare.http import error_responses
from socialcare.schema import Action, ActionType, Actor, ActorKind
from socialcare.search import states
from socialcare.search.deps import (
    Caller,
    ElasticDep,
    ErasureLogDep,
    PublisherDep,
    ReplyKey,
    SettingsDep,
)
from socialcare.search.models import (
    ActionAccepted,
    ActionRequest,
    AssignRequest,
    NoteRequest,
    ReplyRequest,
)
from socialcare.search.routers import KEYED
from socialcare.search.settings import SearchSettings

router = APIRouter(prefix="/v1/conversations/{conversation_id}")
ConversationId = Annotated[str, Path(min_length=1, max_length=256)]
ACCEPTED: dict[str, Any] = {
    "status_code": 202,
    "response_model": ActionAccepted,
    # 400: a body that is no JSON at all (refused before the key is checked).
    "responses": error_responses(*KEYED, 400, 404),
}


async def _publish(
    publisher: PublisherDep,
    caller: Caller,
    conversation_id: str,
    request: ActionRequest | None,
    type_: ActionType,
    **fields: Any,
) -> ActionAccepted:
    action = Action(
        action_id=(request and request.action_id) or str(uuid.uuid4()),
        type=type_,
        conversation_id=conversation_id,
        actor=Actor(kind=ActorKind.agent, id=caller.agent),
        requested_at=datetime.now(UTC),
        **fields,
    )
    await publisher.publish_async([action])
    return ActionAccepted(action_id=action.action_id)


async def _must_exist(es: ElasticDep, settings: SearchSettings, conversation_id: str) -> None:
    if await states.conversation_state(es, settings, conversation_id) is None and not (
        await states.has_events(es, settings, conversation_id)
    ):
        raise HTTPException(404, f"no conversation {conversation_id!r}")


@router.post("/replies", **{**ACCEPTED, "responses": error_responses(*KEYED, 400, 404, 409)})
async def reply(
    conversation_id: ConversationId,
    body: ReplyRequest,
    caller: ReplyKey,
    es: ElasticDep,
    settings: SettingsDep,
    publisher: PublisherDep,
    erasure_log: ErasureLogDep,
) -> ActionAccepted:
    """Reply to the customer, on the platform they wrote on, in answer to their latest
    message. 409: no customer message to answer, or the customer was erased. 422
    also when the platform would refuse a free-form reply now (WhatsApp after 24 h)."""
    try:
        target = await states.reply_target(es, settings, conversation_id)
    except states.NotFound as exc:
        raise HTTPException(404, f"no conversation {conversation_id!r}") from exc
    except states.NothingToAnswer as exc:
        raise HTTPException(
            409, f"conversation {conversation_id!r} has no customer message to reply to"
        ) from exc
    await erasure_log.synced()
    if care.target_erased(erasure_log, conversation_id, target):
        raise HTTPException(409, care.CUSTOMER_ERASED)
    if refusal := care.reply_refusal(target, datetime.now(UTC)):
        raise HTTPException(422, refusal)
    return await _publish(
        publisher, caller, conversation_id, body, ActionType.reply, text=body.text, reply_to=target
    )


@router.post("/assign", **ACCEPTED)
async def assign(
    conversation_id: ConversationId,
    body: AssignRequest,
    caller: ReplyKey,
    es: ElasticDep,
    settings: SettingsDep,
    publisher: PublisherDep,
) -> ActionAccepted:
    """Assign the conversation to an agent (`me`: to the caller's agent, as the inbox's
    `assignee=me` reads it; a console knows its key, not the agent the key names)."""
    await _must_exist(es, settings, conversation_id)
    agent = caller.agent if body.agent == "me" else body.agent
    return await _publish(publisher, caller, conversation_id, body, ActionType.assign, agent=agent)


def _state_change(type_: ActionType, summary: str) -> Callable[..., Awaitable[ActionAccepted]]:
    """The endpoint of an action that needs nothing but the conversation (and an
    optional action_id)."""

    async def change(
        conversation_id: ConversationId,
        caller: ReplyKey,
        es: ElasticDep,
        settings: SettingsDep,
        publisher: PublisherDep,
        body: ActionRequest | None = None,
    ) -> ActionAccepted:
        await _must_exist(es, settings, conversation_id)
        return await _publish(publisher, caller, conversation_id, body, type_)

    change.__doc__ = summary
    return change


for _type, _summary in (
    (ActionType.resolve, "Resolve the conversation; a new customer message reopens it."),
    (ActionType.reopen, "Reopen a resolved conversation: it is waiting for us again."),
):
    router.post(f"/{_type.value}", name=_type.value, **ACCEPTED)(_state_change(_type, _summary))


@router.post("/notes", **ACCEPTED)
async def note(
    conversation_id: ConversationId,
    body: NoteRequest,
    caller: ReplyKey,
    es: ElasticDep,
    settings: SettingsDep,
    publisher: PublisherDep,
) -> ActionAccepted:
    """Add an internal note for other agents (never sent to the customer)."""
    await _must_exist(es, settings, conversation_id)
    return await _publish(publisher, caller, conversation_id, body, ActionType.note, text=body.text)
