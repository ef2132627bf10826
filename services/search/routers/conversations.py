"""``GET /v1/conversations/{id}``: a whole thread in order, and the conversation's state."""

from collections.abc import AsyncIterator
from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import APIRouter, Depends, HTTPException

from socialcare.http import error_responses
from socialcare.search.deps import ElasticDep, SettingsDep, reader
from socialcare.search.models import Conversation, StoredEvent
from socialcare.search.queries import NO_EMBEDDING
from socialcare.search.routers import KEYED
from socialcare.search.states import conversation_state

router = APIRouter(dependencies=[Depends(reader)])


@router.get(
    "/v1/conversations/{conversation_id}",
    response_model=Conversation,
    responses=error_responses(*KEYED, 404),
)
async def conversation(conversation_id: str, es: ElasticDep, settings: SettingsDep) -> Conversation:
    """The whole thread in order, each message with its classification and routing,
    and the conversation's state (status, assignee, deadlines; null until known)."""
    events = [
        StoredEvent.model_validate(h["_source"])
        async for h in scan(
            es,
            settings.index_alias,
            {"term": {"conversation_id": conversation_id}},
            [{"created_at": "asc"}, {"event_id": "asc"}],
        )
    ]
    state = await conversation_state(es, settings, conversation_id)
    if not events and state is None:
        raise HTTPException(404, f"no conversation {conversation_id!r}")
    return Conversation(conversation_id=conversation_id, events=events, state=state)


async def scan(
    es: AsyncElasticsearch,
    index: str,
    query: dict[str, Any],
    sort: list[Any],
    source: Any = NO_EMBEDDING,
    page: int = 1000,
) -> AsyncIterator[dict[str, Any]]:
    """Every hit of ``query`` in ``sort`` order, page by page with search_after."""
    after = None
    while True:
        extra = {"search_after": after} if after else {}
        result = await es.search(
            index=index, query=query, sort=sort, size=page, source=source, **extra
        )
        hits = result["hits"]["hits"]
        for hit in hits:
            yield hit
        if len(hits) < page:
            return
        after = hits[-1]["sort"]
