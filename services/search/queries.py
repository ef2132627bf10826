"""Elasticsearch queries of the search API, as pure functions of typed parameters."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

FACETS = ("platform", "language", "intent", "sentiment", "queue", "skill", "priority", "kind")
FIELD = {
    "platform": "platform",
    "kind": "kind",
    "language": "classification.language",
    "intent": "classification.intent",
    "sentiment": "classification.sentiment",
    "queue": "routing.queue",
    "skill": "routing.skill",
    "priority": "routing.priority",
}


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


class SearchParams(BaseModel):
    q: str | None = Field(None, max_length=1000, description="Full-text query on the message.")
    platform: list[str] = []
    language: list[str] = []
    intent: list[str] = []
    sentiment: list[str] = []
    queue: list[str] = []
    skill: list[str] = []
    priority: list[str] = []
    kind: list[str] = []
    author: str | None = Field(None, description="Author id or handle.")
    since: datetime | None = Field(None, description="Written at or after (ISO 8601).")
    until: datetime | None = Field(None, description="Written before (ISO 8601).")
    sla_breached: bool | None = Field(
        None, description="true: first answer late or overdue; false: not breached."
    )
    sort: Sort = Sort.relevance
    size: int = Field(20, ge=1, le=500)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


def breached_query(now: datetime) -> dict[str, Any]:
    """Inbound messages answered late, or still unanswered past their deadline."""
    return {
        "bool": {
            "minimum_should_match": 1,
            "should": [
                {"term": {"response.answered_late": True}},
                {
                    "bool": {
                        "filter": [
                            {"term": {"direction": "inbound"}},
                            {"range": {"routing.first_response_due_at": {"lt": now.isoformat()}}},
                        ],
                        "must_not": [{"exists": {"field": "response.answered_at"}}],
                    }
                },
            ],
        }
    }


def filters(params: SearchParams, now: datetime) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for name in FACETS:
        values = getattr(params, name)
        if values:
            clauses.append({"terms": {FIELD[name]: values}})
    if params.author:
        clauses.append(
            {
                "bool": {
                    "should": [
                        {"term": {"author.id": params.author}},
                        {"term": {"author.handle": params.author}},
                    ]
                }
            }
        )
    if params.since or params.until:
        window: dict[str, str] = {}
        if params.since:
            window["gte"] = params.since.isoformat()
        if params.until:
            window["lt"] = params.until.isoformat()
        clauses.append({"range": {"created_at": window}})
    if params.sla_breached is True:
        clauses.append(breached_query(now))
    elif params.sla_breached is False:
        clauses.append({"bool": {"must_not": [breached_query(now)]}})
    return clauses


def search_body(params: SearchParams, now: datetime) -> dict[str, Any]:
    text = (
        {"match": {"text": {"query": params.q, "operator": "and"}}}
        if params.q
        else {"match_all": {}}
    )
    # event_id is unique, so every sort ends in a total order: search_after pages
    # are stable however deep they go (no 10,000-hit window).
    sort: list[Any] = {
        Sort.relevance: [{"_score": "desc"}, {"created_at": "desc"}, {"event_id": "asc"}],
        Sort.newest: [{"created_at": "desc"}, {"event_id": "asc"}],
        Sort.oldest: [{"created_at": "asc"}, {"event_id": "asc"}],
    }[params.sort]
    body: dict[str, Any] = {
        "query": {"bool": {"must": [text], "filter": filters(params, now)}},
        "sort": sort,
        "size": params.size,
        "track_total_hits": True,
        "highlight": {
            # html encoder: the text is escaped before <mark> tags are added, so the
            # console can render highlights without rendering customers' markup.
            "encoder": "html",
            "fields": {"text": {"number_of_fragments": 0}},
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
        },
        "aggs": {name: {"terms": {"field": FIELD[name], "size": 50}} for name in FACETS},
        "_source": {"excludes": ["classification.embedding"]},
    }
    if params.cursor:
        body["search_after"] = decode_cursor(params.cursor)
    return body


def encode_cursor(sort_values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort_values).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor is not one this API handed out") from exc
    if not isinstance(values, list):
        raise ValueError("cursor is not one this API handed out")
    return values
