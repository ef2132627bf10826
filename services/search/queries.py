"""Elasticsearch queries of the search API, as pure functions of typed parameters."""

from __future__ import annotations

import base64
import binascii
import math
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field

# Each facet agents filter and count by, and the field of the index it is: the one map
# (the search filters and facets, the stats, and the development tools' tracking use it).
FACETS: dict[str, str] = {
    "platform": "platform",
    "language": "classification.language",
    "intent": "classification.intent",
    "sentiment": "classification.sentiment",
    "queue": "routing.queue",
    "skill": "routing.skill",
    "priority": "routing.priority",
    "kind": "kind",
}
# API answers leave out the sentence embeddings: large, and of use only to /v1/similar.
NO_EMBEDDING = {"excludes": ["classification.embedding"]}


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LETTER = {Sort.relevance: "r", Sort.newest: "n", Sort.oldest: "o"}
_SORT = {letter: sort for sort, letter in _LETTER.items()}
_B64URL = r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?"
# float.hex() of a finite score (subnormal ones have 4 exponent digits).
_SCORE = r"-?0x[01]\.[0-9a-f]{0,13}p[+-][0-9]{1,4}"
CURSOR_PATTERN = rf"(?:r~{_SCORE}|[no])~-?[0-9]{{1,19}}~{_B64URL}"
# The inbox pages in ascending order only: its cursors are the oldest-first kind.
INBOX_CURSOR_PATTERN = rf"o~-?[0-9]{{1,19}}~{_B64URL}"


# Bounds on what reaches Elasticsearch: a terms query takes at most 65,536 values, and
# nothing an agent types needs more than these.
Term = Annotated[str, Field(min_length=1, max_length=256)]
Terms = Annotated[list[Term], Field(max_length=50, description="Any of these values.")]
# RFC 3339 date-time, what the OpenAPI `date-time` format promises: pydantic alone
# would also take `0.5` (a Unix time) or a date without a time.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and not RFC3339.fullmatch(value):
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-11-20T09:00:00Z")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class TimeWindow(BaseModel):
    # since after until is a valid, empty window (Elasticsearch finds nothing).
    since: Moment | None = Field(None, description="Written at or after (RFC 3339).")
    until: Moment | None = Field(None, description="Written before (RFC 3339).")


def _cursor_parses(value: str | None) -> str | None:
    if value is not None:
        Cursor.parse(value)
    return value


# A page's cursor (`next_cursor` of the previous page), as every paged endpoint takes it.
PageCursor = Annotated[str | None, AfterValidator(_cursor_parses)]


def cursor_field(description: str, pattern: str = CURSOR_PATTERN) -> Any:
    return Field(None, max_length=2048, pattern=f"^{pattern}$", description=description)


class SearchParams(TimeWindow):
    q: str | None = Field(None, max_length=1000, description="Full-text query on the message.")
    platform: Terms = []
    language: Terms = []
    intent: Terms = []
    sentiment: Terms = []
    queue: Terms = []
    skill: Terms = []
    priority: Terms = []
    kind: Terms = []
    author: Term | None = Field(None, description="Author id or handle.")
    sla_breached: bool | None = Field(
        None, description="true: first answer late or overdue; false: not breached."
    )
    sort: Sort = Sort.relevance
    size: int = Field(20, ge=1, le=500)
    cursor: PageCursor = cursor_field(
        "`next_cursor` of the previous page. It carries the sort of the first page, "
        "which goes on: `sort` is ignored with a cursor."
    )


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
    for name, field in FACETS.items():
        values = getattr(params, name)
        if values:
            clauses.append({"terms": {field: values}})
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
        window: dict[str, int] = {}
        if params.since:
            window["gte"] = epoch_millis(params.since)
        if params.until:
            window["lt"] = epoch_millis(params.until)
        clauses.append({"range": {"created_at": window}})
    if params.sla_breached is True:
        clauses.append(breached_query(now))
    elif params.sla_breached is False:
        clauses.append({"bool": {"must_not": [breached_query(now)]}})
    return clauses


def terms(facet: str, size: int = 50) -> dict[str, Any]:
    """The aggregation that counts the values of ``facet``."""
    return {"terms": {"field": FACETS[facet], "size": size}}


def author_query(platform: str, author_id: str) -> dict[str, Any]:
    return {
        "bool": {"filter": [{"term": {"platform": platform}}, {"term": {"author.id": author_id}}]}
    }


def search_body(params: SearchParams, now: datetime) -> dict[str, Any]:
    text = (
        {"match": {"text": {"query": params.q, "operator": "and"}}}
        if params.q
        else {"match_all": {}}
    )
    # event_id is unique, so every sort ends in a total order: search_after pages
    # are stable however deep they go (no 10,000-hit window).
    cursor = Cursor.parse(params.cursor) if params.cursor else None
    order = page_sort(params)
    sort: list[Any] = {
        Sort.relevance: [{"_score": "desc"}, {"created_at": "desc"}, {"event_id": "asc"}],
        Sort.newest: [{"created_at": "desc"}, {"event_id": "asc"}],
        Sort.oldest: [{"created_at": "asc"}, {"event_id": "asc"}],
    }[order]
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
        "aggs": {name: terms(name) for name in FACETS},
        "_source": NO_EMBEDDING,
    }
    if cursor:
        body["search_after"] = cursor.search_after
    return body


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort and the search_after values of the last hit.

    Written as `<sort letter>~[<score as float.hex>~]<created_at millis>~<base64url
    event_id>` so that a regular expression (CURSOR_PATTERN, in the OpenAPI document)
    says exactly which strings are cursors: every string it matches parses, and
    every value reaches Elasticsearch with the type its sort needs. A cursor is not a
    secret: a made-up one only starts a page somewhere else.
    """

    sort: Sort
    search_after: list[Any]

    def encode(self) -> str:
        *head, event_id = self.search_after
        parts = [_LETTER[self.sort]]
        if self.sort == Sort.relevance:
            parts.append(float(head.pop(0)).hex())
        parts.append(str(int(head[0])))
        parts.append(base64.urlsafe_b64encode(event_id.encode()).decode().rstrip("="))
        return "~".join(parts)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        if not re.fullmatch(CURSOR_PATTERN, text):
            raise ValueError("cursor is not one this API handed out")
        letter, *values, event_id = text.split("~")
        sort = _SORT[letter]
        after: list[Any] = [_score(values.pop(0))] if sort == Sort.relevance else []
        # Elasticsearch's longs; only a made-up cursor gets here with more.
        after.append(max(-(2**63), min(2**63 - 1, int(values[0]))))
        try:
            raw = base64.urlsafe_b64decode(event_id + "=" * (-len(event_id) % 4))
        except (binascii.Error, ValueError) as exc:  # the pattern rules this out
            raise ValueError("cursor is not one this API handed out") from exc
        after.append(raw.decode(errors="replace"))
        return cls(sort, after)


def epoch_millis(moment: datetime) -> int:
    """``moment`` as Elasticsearch's epoch millis (the index keeps milliseconds), rounded
    up. Not an ISO string: Java rejects offsets beyond ±18:00 that RFC 3339 allows, and
    converting 0001-01-01T00:00+01:00 to UTC would overflow Python's datetime."""
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return -(-micros // 1000)


def _score(text: str) -> float:
    try:
        return float.fromhex(text)
    except OverflowError:  # only a made-up cursor: the largest finite score instead
        return math.copysign(sys.float_info.max, -1.0 if text.startswith("-") else 1.0)


def page_sort(params: SearchParams) -> Sort:
    """The sort of this page: a cursor's goes on, whatever `sort` says."""
    return Cursor.parse(params.cursor).sort if params.cursor else params.sort


def encode_cursor(sort: Sort, sort_values: list[Any]) -> str:
    return Cursor(sort, sort_values).encode()


class InboxParams(BaseModel):
    queue: Terms = []
    language: Terms = []
    platform: Terms = []
    priority: Terms = []
    assignee: Term | None = Field(
        None, description="Assigned to this agent; `me`: to the agent of the caller's key."
    )
    overdue: bool = Field(
        False,
        description="Only those past their first-response deadline: the open breaches, "
        "longest overdue first.",
    )
    size: int = Field(20, ge=1, le=500)
    cursor: PageCursor = cursor_field(
        "`next_cursor` of the previous page.", pattern=INBOX_CURSOR_PATTERN
    )


# Conversation fields the inbox filters by (the conversations index's own names).
INBOX_FILTERS = ("queue", "language", "platform", "priority")
# Soonest deadline first (none last); the conversation id makes the order total, so
# the pages of a cursor are stable. Paged like the oldest-first search: a cursor of
# Sort.oldest holds (deadline millis, conversation id).
INBOX_SORT = [
    {"first_response_due_at": {"order": "asc", "missing": "_last"}},
    {"conversation_id": "asc"},
]


def inbox_body(params: InboxParams, agent: str, now: datetime | None = None) -> dict[str, Any]:
    """Open conversations (waiting for us) with the filters of ``params``; ``agent``
    is who `assignee=me` means, ``now`` when `overdue` is."""
    clauses: list[dict[str, Any]] = [{"term": {"status": "open"}}]
    unanswered: list[dict[str, Any]] = []
    if params.overdue:
        # A breach: not answered by now (a reopened one answered in time is none).
        moment = now or datetime.now(UTC)
        clauses.append({"range": {"first_response_due_at": {"lt": epoch_millis(moment)}}})
        unanswered.append({"exists": {"field": "first_response_at"}})
    for name in INBOX_FILTERS:
        values = getattr(params, name)
        if values:
            clauses.append({"terms": {name: values}})
    if params.assignee:
        assignee = agent if params.assignee == "me" else params.assignee
        clauses.append({"term": {"assignee": assignee}})
    body: dict[str, Any] = {
        "query": {"bool": {"filter": clauses, "must_not": unanswered}},
        "sort": INBOX_SORT,
        "size": params.size,
        "track_total_hits": True,
    }
    if params.cursor:
        cursor = Cursor.parse(params.cursor)
        if cursor.sort != Sort.oldest:  # INBOX_CURSOR_PATTERN rules this out
            raise ValueError("cursor is not one the inbox handed out")
        body["search_after"] = cursor.search_after
    return body
