"""Elasticsearch client set-up and the versioned events index behind its alias.

Agents search the alias (``social-events``); it points at ``social-events-v<N>``.
A mapping change bumps ``INDEX_VERSION``: the new index is created from the new
template and filled by a reindex while the alias keeps serving the old one.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch, helpers
from elasticsearch.exceptions import BadRequestError

from socialcare.logging import get_logger
from socialcare.settings import Settings

log = get_logger(__name__)

INDEX_VERSION = 1

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}

# How the embedding is searched, by `Settings.embedding_search`; both keep int8 copies
# of the vectors for the search and re-rank the best 3 x k on the stored floats (without
# re-ranking int8 found only 86 % of the exact 10 nearest). `flat` scans every vector:
# exact (recall@10 1.00) and cheap to index (3,000-3,200 docs/s at 100k-300k documents
# against 1,300-1,500 for the graph, bench/search.py), but a similar-messages query
# costs about 16 ms more per 100,000 events. `hnsw` keeps the query time flat as the
# index grows, at that indexing cost and with approximate neighbours (ef_construction
# 48 indexed faster but lost neighbours at 100k documents). docs/performance.md.
EMBEDDING_INDEX_OPTIONS: dict[str, dict[str, Any]] = {
    "flat": {"type": "int8_flat", "rescore_vector": {"oversample": 3.0}},
    "hnsw": {
        "type": "int8_hnsw",
        "m": 16,
        "ef_construction": 100,
        "rescore_vector": {"oversample": 3.0},
    },
}


def embedding_index_options(settings: Settings) -> dict[str, Any]:
    return EMBEDDING_INDEX_OPTIONS[settings.embedding_search]


def _client_options(settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {"request_timeout": 30, "retry_on_timeout": True, "max_retries": 3}
    if settings.elasticsearch_api_key:
        options["api_key"] = settings.elasticsearch_api_key
    if settings.elasticsearch_ca_certs:
        options["ca_certs"] = str(settings.elasticsearch_ca_certs)
    return options


def client(settings: Settings) -> Elasticsearch:
    return Elasticsearch(settings.elasticsearch_url, **_client_options(settings))


def async_client(settings: Settings) -> AsyncElasticsearch:
    return AsyncElasticsearch(settings.elasticsearch_url, **_client_options(settings))


def index_name(settings: Settings, version: int = INDEX_VERSION) -> str:
    return f"{settings.index_alias}-v{version}"


def event_mappings(settings: Settings) -> dict[str, Any]:
    """Explicit mappings of one event document (the RoutedEvent model, flattened).

    ``dynamic: strict`` makes a document with an unknown field fail loudly, so a
    schema change without a mapping change is caught at indexing, not at search.
    """
    score_map = {"type": "object", "dynamic": True}
    return {
        "dynamic": "strict",
        "properties": {
            "event_id": _KEYWORD,
            "schema_version": {"type": "short"},
            "platform": _KEYWORD,
            "kind": _KEYWORD,
            "direction": _KEYWORD,
            "brand_account_id": _KEYWORD,
            "platform_message_id": _KEYWORD,
            "conversation_id": _KEYWORD,
            "parent_id": _KEYWORD,
            "author": {
                "properties": {
                    "id": _KEYWORD,
                    "handle": _KEYWORD,
                    "display_name": {"type": "text", "fields": {"raw": _KEYWORD}},
                    "follower_count": {"type": "long"},
                }
            },
            "sent_by": {"properties": {"kind": _KEYWORD, "id": _KEYWORD}},
            "text": {"type": "text", "analyzer": "standard"},
            "attachments": {
                "properties": {"type": _KEYWORD, "url": {"type": "keyword", "index": False}}
            },
            "created_at": _DATE,
            "received_at": _DATE,
            "indexed_at": _DATE,
            "market": _KEYWORD,
            "enrichment": _KEYWORD,
            "classification": {
                "properties": {
                    "intent": _KEYWORD,
                    "intent_scores": score_map,
                    "sentiment": _KEYWORD,
                    "sentiment_scores": score_map,
                    "language": _KEYWORD,
                    "language_confidence": {"type": "float"},
                    "model_version": _KEYWORD,
                    "embedding": {
                        "type": "dense_vector",
                        "dims": settings.embedding_dims,
                        "index": True,
                        "similarity": "cosine",
                        "index_options": embedding_index_options(settings),
                    },
                }
            },
            # Set by the indexer when the brand answers the conversation.
            "response": {
                "properties": {"answered_at": _DATE, "answered_late": {"type": "boolean"}}
            },
            "routing": {
                "properties": {
                    "queue": _KEYWORD,
                    "language_queue": _KEYWORD,
                    "skill": _KEYWORD,
                    "priority": _KEYWORD,
                    "first_response_due_at": _DATE,
                    "needs_translation": {"type": "boolean"},
                    "rule": _KEYWORD,
                    "routed_at": _DATE,
                }
            },
        },
    }


def index_template(settings: Settings) -> dict[str, Any]:
    return {
        "index_patterns": [f"{settings.index_alias}-v*"],
        "priority": 100,
        "version": INDEX_VERSION,
        "template": {
            "settings": {
                "number_of_shards": settings.index_shards,
                "number_of_replicas": settings.index_replicas,
                "refresh_interval": "1s",
            },
            "mappings": event_mappings(settings),
        },
        "_meta": {"description": "Social care events, one document per event_id."},
    }


def add_new_fields(es: Elasticsearch, alias: str, mappings: dict[str, Any]) -> None:
    """Put the top-level fields added since the indices behind ``alias`` were created
    (strict mappings refuse documents that carry them), and only those: a field the
    index has keeps its mapping, which a migration to a newer index may have changed."""
    current = es.indices.get_mapping(index=alias)
    for index, body in current.items():
        known = body["mappings"].get("properties", {})
        new = {k: v for k, v in mappings["properties"].items() if k not in known}
        if new:
            es.indices.put_mapping(index=index, properties=new)
            log.info("elasticsearch.fields_added", index=index, fields=sorted(new))


def upgrade_embedding_options(es: Elasticsearch, alias: str, options: dict[str, Any]) -> None:
    """Put the embedding index ``options`` on the indices behind ``alias`` that have
    others. Elasticsearch changes them in place only when the change is an upgrade
    (flat to int8_flat or to any hnsw, int8_flat to int8_hnsw, new graph parameters or
    re-ranking: new segments get the new structure, re-ranking applies at once). Any
    other change (int8_hnsw to int8_flat, say) needs a new index version and a reindex
    (docs/operations.md): logged, and the index keeps serving with what it has."""
    path = "classification.embedding"
    for index, body in es.indices.get_field_mapping(index=alias, fields=path).items():
        field = body["mappings"].get(path, {}).get("mapping", {}).get("embedding")
        if field is None or field.get("index_options") == options:
            continue
        embedding = {**field, "index_options": options}
        try:
            es.indices.put_mapping(
                index=index, properties={"classification": {"properties": {"embedding": embedding}}}
            )
        except BadRequestError as exc:
            log.warning(
                "elasticsearch.embedding_options_kept",
                index=index,
                kept=field.get("index_options", {}).get("type"),
                wanted=options["type"],
                error=exc.error,
            )
            continue
        log.info("elasticsearch.embedding_options_upgraded", index=index, to=options["type"])


def ensure_index(es: Elasticsearch, settings: Settings) -> bool:
    """Install the template and create the current index behind the alias.

    Returns True when the index was created now, False when it was already there.
    An alias that already exists is left alone, whatever index it points at: after
    a migration (docs/operations.md) it serves a newer index, and creating this
    one again would give the alias a second write index.
    """
    es.indices.put_index_template(name=settings.index_alias, **index_template(settings))
    name = index_name(settings)
    if es.indices.exists(index=name) or es.indices.exists_alias(name=settings.index_alias):
        add_new_fields(es, settings.index_alias, event_mappings(settings))
        upgrade_embedding_options(es, settings.index_alias, embedding_index_options(settings))
        return False
    try:
        es.indices.create(index=name, aliases={settings.index_alias: {"is_write_index": True}})
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        return False
    log.info("elasticsearch.index_created", index=name, alias=settings.index_alias)
    return True


CONVERSATIONS_INDEX_VERSION = 1


def conversations_alias(settings: Settings) -> str:
    """The alias of the conversation states (``social-events-conversations``): one
    document per conversation, the latest state of support.conversations."""
    return f"{settings.index_alias}-conversations"


def conversations_index_name(settings: Settings, version: int = CONVERSATIONS_INDEX_VERSION) -> str:
    return f"{conversations_alias(settings)}-v{version}"


# Fields of a conversation document that are not the state's own: measured from it at
# indexing for the care metrics, and left out of the API's conversation states.
CONVERSATION_MEASURES = (
    "first_response_ms",
    "first_response_business_ms",
    "resolution_ms",
    "answered_in_time",
)


def conversation_mappings() -> dict[str, Any]:
    """Explicit mappings of one conversation state (socialcare.schema.Conversation).

    It has no ``author`` or ``created_at``: the erasure and retention scans of the
    events' indices (``<alias>-*``) pass over it. An erased customer's state is
    deleted by the index worker instead (and by the tombstone of the state).
    """
    return {
        "dynamic": "strict",
        "properties": {
            **dict.fromkeys(
                (
                    "conversation_id",
                    "platform",
                    "brand_account_id",
                    "status",
                    "assignee",
                    "queue",
                    "language",
                    "priority",
                    "intent",
                    "sentiment",
                    "market",
                ),
                _KEYWORD,
            ),
            "schema_version": {"type": "short"},
            "reopen_count": {"type": "integer"},
            "csat": {"type": "byte"},
            # Measured by the index worker (CONVERSATION_MEASURES), for the care metrics'
            # aggregations: the cluster may run without scripting.
            "first_response_ms": {"type": "long"},
            "first_response_business_ms": {"type": "long"},
            "resolution_ms": {"type": "long"},
            "answered_in_time": {"type": "boolean"},
            **dict.fromkeys(
                (
                    "opened_at",
                    "first_response_due_at",
                    "first_response_at",
                    "resolved_at",
                    "last_inbound_at",
                    "last_outbound_at",
                    "last_activity_at",
                    "survey_sent_at",
                    "csat_at",
                    "indexed_at",
                ),
                _DATE,
            ),
            "reply_to": {
                "properties": {
                    **dict.fromkeys(
                        (
                            "event_id",
                            "platform",
                            "brand_account_id",
                            "kind",
                            "platform_message_id",
                            "parent_id",
                            "recipient_id",
                        ),
                        _KEYWORD,
                    ),
                    "customer_wrote_at": _DATE,
                }
            },
        },
    }


def ensure_conversations_index(es: Elasticsearch, settings: Settings) -> bool:
    """Create the conversations index behind its alias, unless the alias exists (it may
    point at a newer version: then only fields added since are put on its mapping).
    Returns True when created now.

    No template: the index is a projection of a compacted topic, so a new version is
    filled by replaying support.conversations, not by a reindex."""
    alias = conversations_alias(settings)
    name = conversations_index_name(settings)
    if es.indices.exists(index=name) or es.indices.exists_alias(name=alias):
        add_new_fields(es, alias, conversation_mappings())
        return False
    try:
        es.indices.create(
            index=name,
            settings={
                "number_of_shards": settings.index_shards,
                "number_of_replicas": settings.index_replicas,
            },
            mappings=conversation_mappings(),
            aliases={alias: {"is_write_index": True}},
        )
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        return False
    log.info("elasticsearch.index_created", index=name, alias=alias)
    return True


async def delete_expired(es: AsyncElasticsearch, alias: str, max_age_days: float) -> int:
    """Delete events created more than ``max_age_days`` ago from every index version
    of ``alias`` (the index's retention); returns how many were deleted.

    Scan and bulk-delete rather than _delete_by_query, which needs the reindex module
    (the local stack's node runs without it). Idempotent and safe to run from
    several workers at once: a document already gone is not an error.
    """
    cutoff = {"range": {"created_at": {"lt": f"now-{int(max_age_days * 86400)}s"}}}
    expired = [
        {"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]}
        async for hit in helpers.async_scan(
            es,
            index=[alias, f"{alias}-*", f"-{alias}-audit"],
            query={"query": cutoff},
            _source=False,
            expand_wildcards="open",
            allow_no_indices=True,
            ignore_unavailable=True,
            size=1000,
        )
    ]
    if not expired:
        return 0
    deleted, _ = await helpers.async_bulk(
        es, expired, raise_on_error=False, raise_on_exception=False, refresh=True
    )
    log.info("elasticsearch.expired_deleted", alias=alias, deleted=deleted)
    return int(deleted)
