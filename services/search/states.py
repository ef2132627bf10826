"""What the care routes read from the indices: a conversation's state (the
conversations index), whether a conversation exists, and the customer message a reply
answers."""

from __future__ import annotations

from elasticsearch import AsyncElasticsearch
from elasticsearch.exceptions import NotFoundError

from socialcare import elastic
from socialcare.schema import ReplyTarget
from socialcare.search.models import ConversationState, StoredEvent
from socialcare.search.queries import NO_EMBEDDING
from socialcare.search.settings import SearchSettings


async def conversation_state(
    es: AsyncElasticsearch, settings: SearchSettings, conversation_id: str
) -> ConversationState | None:
    """The latest indexed state; None when there is none (or no conversations index
    yet: a deployment not provisioned since the care loop came)."""
    try:
        doc = await es.get(
            index=elastic.conversations_alias(settings),
            id=conversation_id,
            source_excludes=list(elastic.CONVERSATION_MEASURES),
        )
    except NotFoundError:
        return None
    return ConversationState.model_validate(doc["_source"])


async def has_events(
    es: AsyncElasticsearch, settings: SearchSettings, conversation_id: str
) -> bool:
    result = await es.count(
        index=settings.index_alias, query={"term": {"conversation_id": conversation_id}}
    )
    return result["count"] > 0


async def latest_inbound(
    es: AsyncElasticsearch, settings: SearchSettings, conversation_id: str
) -> StoredEvent | None:
    """The customer's latest message in the thread, if any."""
    result = await es.search(
        index=settings.index_alias,
        query={
            "bool": {
                "filter": [
                    {"term": {"conversation_id": conversation_id}},
                    {"term": {"direction": "inbound"}},
                ]
            }
        },
        sort=[{"created_at": "desc"}, {"event_id": "desc"}],
        size=1,
        source=NO_EMBEDDING,
    )
    hits = result["hits"]["hits"]
    return StoredEvent.model_validate(hits[0]["_source"]) if hits else None


class NotFound(LookupError):
    """No conversation of that id: neither a state nor a message."""


class NothingToAnswer(LookupError):
    """The conversation has no customer message a reply could answer."""


async def reply_target(
    es: AsyncElasticsearch, settings: SearchSettings, conversation_id: str
) -> ReplyTarget:
    """What a reply answers: the state's ``reply_to``, or while there is no state yet
    the thread's latest customer message."""
    state = await conversation_state(es, settings, conversation_id)
    if state is not None and state.reply_to is not None:
        return state.reply_to
    event = await latest_inbound(es, settings, conversation_id)
    if event is not None:
        return ReplyTarget.of(event)
    if state is None and not await has_events(es, settings, conversation_id):
        raise NotFound(conversation_id)
    raise NothingToAnswer(conversation_id)
