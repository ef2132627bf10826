"""The care metrics (``GET /v1/metrics/care``) as Elasticsearch aggregations over the
conversations index, one document per conversation: its parameters, its aggregations
and their reading. The durations and the deadline outcome are measured when a state
is indexed (``socialcare.index.conversations.measures``), so nothing here needs
scripting, which the cluster may not run."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from socialcare.search.models import CareFigures, CareGroup, Csat, Durations, Share
from socialcare.search.queries import Moment, epoch_millis

GroupBy = Literal[
    "platform",
    "language",
    "queue",
    "brand_account_id",
    "market",
    "intent",
    "sentiment",
    "day",
    "hour",
]
CALENDAR: set[str] = {"day", "hour"}
PERCENTS = [50, 90]
# Groups by a field: more values than any deployment has queues or accounts.
MAX_GROUPS = 500


class CareParams(BaseModel):
    since: Moment | None = Field(None, description="Opened at or after (RFC 3339).")
    until: Moment | None = Field(None, description="Opened before (RFC 3339).")
    group_by: GroupBy | None = Field(
        None,
        description="Split the figures by a field of the conversation, or by the day or "
        "hour (UTC) it was opened.",
    )


def _durations(field: str) -> dict[str, Any]:
    return {
        f"{field}_p": {"percentiles": {"field": field, "percents": PERCENTS}},
        f"{field}_n": {"value_count": {"field": field}},
    }


def figure_aggs(now: datetime) -> dict[str, Any]:
    """The figures of one set of conversations (all, or one group's)."""
    return {
        **_durations("first_response_ms"),
        **_durations("first_response_business_ms"),
        **_durations("resolution_ms"),
        # The tone of each conversation's latest customer message.
        "sentiment_mix": {"terms": {"field": "sentiment", "size": 10}},
        "in_time": {"filter": {"term": {"answered_in_time": True}}},
        "late": {"filter": {"term": {"answered_in_time": False}}},
        "overdue": {
            "filter": {
                "bool": {
                    "filter": [{"range": {"first_response_due_at": {"lt": epoch_millis(now)}}}],
                    "must_not": [
                        {"exists": {"field": "first_response_at"}},
                        {"term": {"status": "resolved"}},
                    ],
                }
            }
        },
        "resolved": {"filter": {"term": {"status": "resolved"}}},
        "reopened": {"filter": {"range": {"reopen_count": {"gt": 0}}}},
        "csat_avg": {"avg": {"field": "csat"}},
        "csat_n": {"value_count": {"field": "csat"}},
        "surveyed": {"filter": {"exists": {"field": "survey_sent_at"}}},
    }


def _grouping(group_by: str) -> dict[str, Any]:
    if group_by in CALENDAR:
        # Only the days or hours with conversations: a wide window stays small.
        return {
            "date_histogram": {
                "field": "opened_at",
                "calendar_interval": group_by,
                "min_doc_count": 1,
            }
        }
    return {"terms": {"field": group_by, "size": MAX_GROUPS, "missing": ""}}


def care_body(params: CareParams, now: datetime) -> dict[str, Any]:
    window: dict[str, int] = {}
    if params.since:
        window["gte"] = epoch_millis(params.since)
    if params.until:
        window["lt"] = epoch_millis(params.until)
    query = {"range": {"opened_at": window}} if window else {"match_all": {}}
    figures = figure_aggs(now)
    aggs: dict[str, Any] = {"overall": {"filter": {"match_all": {}}, "aggs": figures}}
    if params.group_by:
        aggs["groups"] = {**_grouping(params.group_by), "aggs": figures}
    return {"query": query, "size": 0, "aggs": aggs}


def _read_durations(agg: dict[str, Any], field: str) -> Durations:
    values = agg.get(f"{field}_p", {}).get("values", {})
    return Durations(
        p50_ms=values.get("50.0"),
        p90_ms=values.get("90.0"),
        count=agg.get(f"{field}_n", {}).get("value", 0),
    )


def _read_csat(agg: dict[str, Any], surveyed: int) -> Csat:
    answers = agg.get("csat_n", {}).get("value", 0)
    return Csat(
        average=agg.get("csat_avg", {}).get("value"),
        count=answers,
        response_rate=Share.of_counts(answers, surveyed),
    )


def read_figures(agg: dict[str, Any]) -> dict[str, Any]:
    """The figures of one bucket (empty: no conversations index yet)."""
    opened = agg.get("doc_count", 0)

    def count(name: str) -> int:
        return agg.get(name, {}).get("doc_count", 0)

    in_time, overdue = count("in_time"), count("overdue")
    return {
        "opened": opened,
        "first_response": _read_durations(agg, "first_response_ms"),
        "first_response_business": _read_durations(agg, "first_response_business_ms"),
        "sentiment": {
            b["key"]: b["doc_count"] for b in agg.get("sentiment_mix", {}).get("buckets", [])
        },
        "within_deadline": Share.of_counts(in_time, in_time + count("late") + overdue),
        "overdue_unanswered": overdue,
        "resolved": Share.of_counts(count("resolved"), opened),
        "resolution_time": _read_durations(agg, "resolution_ms"),
        "reopened": Share.of_counts(count("reopened"), opened),
        "csat": _read_csat(agg, count("surveyed")),
    }


def read_overall(aggs: dict[str, Any]) -> CareFigures:
    return CareFigures(**read_figures(aggs.get("overall", {})))


def read_groups(aggs: dict[str, Any], group_by: str | None) -> list[CareGroup]:
    buckets = aggs.get("groups", {}).get("buckets", [])
    return [
        CareGroup(
            key=b["key_as_string"] if group_by in CALENDAR else (b["key"] or None),
            **read_figures(b),
        )
        for b in buckets
    ]
