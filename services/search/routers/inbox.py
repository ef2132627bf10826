"""``GET /v1/inbox``: the open conversations (waiting for us), soonest deadline first."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from socialcare import elastic
from socialcare.http import error_responses
from socialcare.search import queries
from socialcare.search.deps import ElasticDep, ReadKey, SettingsDep
from socialcare.search.models import ConversationState, Inbox
from socialcare.search.routers import KEYED

router = APIRouter()


@router.get("/v1/inbox", response_model=Inbox, responses=error_responses(*KEYED))
async def inbox(
    params: Annotated[queries.InboxParams, Query()],
    caller: ReadKey,
    es: ElasticDep,
    settings: SettingsDep,
) -> Inbox:
    """Open conversations (the customer waits for us), soonest first-response deadline
    first (those without one last), filtered by queue, language, platform, priority
    and assignee (`me`: the caller's agent), or to those past their deadline
    (`overdue`). Page with `cursor`, like `/v1/search`."""
    try:
        body = queries.inbox_body(params, caller.agent, datetime.now(UTC))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    result = await es.search(
        index=elastic.conversations_alias(settings),
        # No conversations index yet (not provisioned since the care loop): empty.
        ignore_unavailable=True,
        source_excludes=list(elastic.CONVERSATION_MEASURES),
        **body,
    )
    hits = result["hits"]["hits"]
    return Inbox(
        total=result["hits"]["total"]["value"],
        conversations=[ConversationState.model_validate(h["_source"]) for h in hits],
        next_cursor=queries.encode_cursor(queries.Sort.oldest, hits[-1]["sort"])
        if len(hits) == params.size
        else None,
    )
