"""The demo's care loop and its report: the brand answers (answering.py), a few
customers write again, and the summary says what a support lead reads on a care
dashboard. Its figures come from the care metrics API (``GET /v1/metrics/care``)
over the run's conversations, the way a dashboard would read them; only the counts
per status and per platform, which the API does not give, are read elsewhere."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from socialcare import elastic
from socialcare.route.config import load_config
from socialcare.route.settings import RouteSettings
from socialcare.schema import ConversationStatus
from socialcare.settings import Settings
from socialcare_dev import tracking
from socialcare_dev.answering import REPLIES, DemoAgent, DemoHelpDesk
from socialcare_dev.pipeline import Pipeline
from socialcare_dev.traffic import Traffic

STATUSES = [s.value for s in ConversationStatus]
SENTIMENTS = ("negative", "neutral", "positive")
# How the demo's customers answer "How did we do? Reply 1-5", and how often.
RATINGS = ("5", "4", "⭐⭐⭐⭐⭐", "👍", "3", "2", "1")
RATING_WEIGHTS = (30, 25, 15, 10, 10, 5, 5)
# Markets in the summary's sentiment table, largest first.
MARKETS_SHOWN = 8


@dataclass
class CareRun:
    """What the care loop needs of the demo: its pipeline, settings, Elasticsearch
    client, traffic and agent key, and how it shows progress."""

    pipeline: Pipeline
    settings: Settings
    es: Any
    traffic: Traffic
    agent_key: str
    console: Console
    wait_searchable: Callable[[list[str]], None]

    def api(self) -> httpx.Client:
        headers = {"X-API-Key": self.agent_key}
        return httpx.Client(base_url=self.pipeline.search_url, headers=headers, timeout=30)


def care_loop(run: CareRun, accepted: list[str], since: datetime) -> dict[str, Any]:
    """The agent in the console and the help desk on Kafka each answer a share of the
    conversations and resolve some; then a few customers write again. Returns the
    care figures of the summary."""
    es, states_alias = run.es, elastic.conversations_alias(run.settings)
    conversations = set(tracking.conversations_of(es, run.settings.index_alias, accepted).values())
    tracking.wait_states(es, states_alias, conversations, lambda _: True, timeout=120)
    rng = random.Random(11)
    with run.api() as client:
        by_agent = DemoAgent(client, rng).work(conversations, share=0.6, resolve_share=0.3)
    by_desk = DemoHelpDesk(run.settings, since, rng).work(set(accepted), 0.6, 0.3)
    answered = by_agent | by_desk
    run.console.print(
        f"\nthe agent answered {len(by_agent)} conversations in the console, the help desk "
        f"{len(by_desk)} on support.actions; {sum(answered.values())} of them resolved"
    )
    settled = tracking.wait_states(
        es,
        states_alias,
        answered,
        lambda s: (
            bool(s.get("first_response_at"))
            and (s["status"] == "resolved") == answered[s["conversation_id"]]
        ),
        timeout=120,
    )
    if unsettled := [c for c in answered if not settled.get(c, {}).get("first_response_at")]:
        run.console.print(f"[red]{len(unsettled)} answers not confirmed by the platform[/]")
    surveyed = load_config(RouteSettings().routing_config).surveys.platforms
    resolved = [
        c for c, done in answered.items() if done and settled.get(c, {}).get("platform") in surveyed
    ]
    rated = _answer_surveys(run, resolved, rng)
    follow_ups = _write_again(run, max(3, len(answered) // 8))
    # The report covers the conversations opened during the run: the backlog written
    # hours before it is the "past their deadline" line's, and a stack that ran the
    # demo earlier keeps those runs' conversations in the same index.
    final = {
        c: s
        for c, s in tracking.states(es, states_alias, conversations).items()
        if datetime.fromisoformat(s["opened_at"]) >= since
    }
    return _report(run, since, final, answered, len(follow_ups)) | {"csat_answers": rated}


def _answer_surveys(run: CareRun, resolved: list[str], rng: random.Random) -> int:
    """Most customers whose conversation was resolved on a platform with satisfaction
    surveys answer the survey: a digit, stars or a thumb. Returns how many answered;
    their conversations record it and stay resolved."""
    alias = elastic.conversations_alias(run.settings)
    surveyed = tracking.wait_states(
        run.es, alias, resolved, lambda s: bool(s.get("survey_sent_at")), timeout=60
    )
    answering = [s for c, s in surveyed.items() if s.get("survey_sent_at") and rng.random() < 0.7]
    with httpx.Client(base_url=run.pipeline.ingest_url, timeout=30) as client:
        for state in answering:
            target = state["reply_to"]
            author = run.traffic.author_of(target["platform"], target["recipient_id"])
            if author is not None:
                rating = rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
                run.traffic.message(author, rating).post(client).raise_for_status()
    rated = tracking.wait_states(
        run.es,
        alias,
        [s["conversation_id"] for s in answering],
        lambda s: bool(s.get("csat")),
        timeout=60,
    )
    count = sum(1 for s in rated.values() if s.get("csat"))
    sent = sum(1 for s in surveyed.values() if s.get("survey_sent_at"))
    run.console.print(f"{sent} surveys sent on resolution; {count} customers answered")
    return count


def _write_again(run: CareRun, count: int) -> list[str]:
    """``count`` customers who already wrote write again (an answered conversation
    waits for us again, a resolved one reopens), and their conversations show it."""
    ids: list[str] = []
    with httpx.Client(base_url=run.pipeline.ingest_url, timeout=30) as client:
        for _ in range(count):
            ids += run.traffic.follow_up().post(client).raise_for_status().json()["event_ids"]
    wrote_at = datetime.now(UTC) - timedelta(seconds=2)  # platform times are whole seconds
    run.console.print(f"{count} customers wrote again")
    run.wait_searchable(ids)
    again = set(tracking.conversations_of(run.es, run.settings.index_alias, ids).values())
    tracking.wait_states(
        run.es,
        elastic.conversations_alias(run.settings),
        again,
        lambda s: datetime.fromisoformat(s["last_inbound_at"]) >= wrote_at,
        timeout=120,
    )
    return ids


def care_metrics(run: CareRun, since: datetime, **params: str) -> dict[str, Any]:
    """``GET /v1/metrics/care`` over the conversations opened from ``since`` on."""
    with run.api() as client:
        answer = client.get("/v1/metrics/care", params={"since": since.isoformat(), **params})
    return answer.raise_for_status().json()


def _report(
    run: CareRun,
    since: datetime,
    final: dict[str, dict],
    answered: dict[str, bool],
    follow_ups: int,
) -> dict[str, Any]:
    sent, automated = _replies_sent(run.pipeline)
    table = Table(title="replies sent per platform", title_justify="left", min_width=30)
    for column in ("platform", "by people", "automated"):
        table.add_column(column)
    for platform in sorted(set(sent) | set(automated)):
        table.add_row(platform, str(sent.get(platform, 0)), str(automated.get(platform, 0)))
    run.console.print(table)
    statuses = Counter(state["status"] for state in final.values())
    statuses = {status: statuses.get(status, 0) for status in STATUSES}
    overall = care_metrics(run, since)["overall"]
    markets = care_metrics(run, since, group_by="market")["groups"]
    _print_figures(run.console, statuses, overall)
    _print_markets(run.console, markets)
    first = overall["first_response"]
    return {
        "replies_sent": sent,
        "automated_sent": automated,
        "conversations": statuses,
        "first_response_ms": {
            "p50": first["p50_ms"],
            "p90": first["p90_ms"],
            "answered": first["count"],
        },
        "answered": {"agent_or_helpdesk": len(answered), "resolved": sum(answered.values())},
        "follow_ups": follow_ups,
        "reopened": overall["reopened"]["count"],
        "care_metrics": overall,
        "sentiment_by_market": {g["key"]: g["sentiment"] for g in markets},
    }


def _print_figures(console: Console, statuses: dict[str, int], overall: dict) -> None:
    first, business = overall["first_response"], overall["first_response_business"]
    within, resolved = overall["within_deadline"], overall["resolved"]
    console.print(
        f"conversations opened during the run: [bold]{statuses['open']}[/] open (waiting for us), "
        f"[bold]{statuses['waiting_customer']}[/] waiting on the customer, "
        f"[bold]{statuses['resolved']}[/] resolved; {overall['reopened']['count']} reopened "
        "by the customer"
    )
    console.print(
        f"GET /v1/metrics/care: first response p50 [bold]{_duration(first['p50_ms'])}[/], "
        f"p90 [bold]{_duration(first['p90_ms'])}[/] over {first['count']} answered "
        f"conversations (in staffed hours: p50 {_duration(business['p50_ms'])}, p90 "
        f"{_duration(business['p90_ms'])}); {_percent(within)} answered within the deadline "
        f"({within['count']} of {within['of']}), {overall['overdue_unanswered']} overdue"
    )
    csat = overall.get("csat") or {}
    rated = (
        f"CSAT {csat['average']:.1f} / 5 from {csat['count']} answers"
        if csat.get("count")
        else "no CSAT answers yet"
    )
    console.print(
        f"resolved {_percent(resolved)} ({resolved['count']} of {resolved['of']}), resolution "
        f"p50 {_duration(overall['resolution_time']['p50_ms'])}; {rated}"
    )


def _print_markets(console: Console, groups: list[dict]) -> None:
    table = Table(title="sentiment by market (latest customer message)", title_justify="left")
    for column in ("market", *SENTIMENTS):
        table.add_column(column)
    for group in groups[:MARKETS_SHOWN]:
        mix = group["sentiment"]
        table.add_row(group["key"] or "unknown", *(str(mix.get(s, 0)) for s in SENTIMENTS))
    console.print(table)


def _replies_sent(pipeline: Pipeline) -> tuple[dict[str, int], dict[str, int]]:
    """Replies the platforms (the emulator) accepted per platform: those the demo's
    agent and help desk wrote, and the automated ones (acknowledgements, surveys)."""
    url = f"{pipeline.emulator_url}/_emulator/requests"
    records = httpx.get(url, timeout=30).raise_for_status().json()["requests"]
    people, automated = Counter(), Counter()
    written = set(REPLIES.values())
    for record in records:
        # Sends only: the listening poller's searches are GETs to the same emulator.
        sent = record["method"] == "POST" and record["fault"] is None
        if sent and 200 <= record["status"] < 300:
            body = json.dumps(record["body"], ensure_ascii=False)
            by_people = any(text in body for text in written)
            (people if by_people else automated)[record["platform"]] += 1
    return dict(people.most_common()), dict(automated.most_common())


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.0f} s" if ms < 120_000 else f"{ms / 60_000:.0f} min"


def _percent(share: dict) -> str:
    return "-" if share["share"] is None else f"{100 * share['share']:.0f} %"
