"""``socialcare demo``: the whole pipeline, locally, on realistic traffic.

Brings up Kafka and Elasticsearch, starts the services as separate processes with a
platform emulator in place of the platforms' send APIs, posts signed multilingual
webhooks to ingest (a defect spike in one product partway through; untagged posts
on X for the listening poller, listening_demo.py) and waits until every accepted
event is searchable. Then the brand answers (answering.py), customers rate the
answers and a few write again (care_demo.py), and it prints what a support lead
wants to know.
``--keep-running`` leaves it all up; Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from socialcare import elastic
from socialcare.alerts.settings import AlertsSettings
from socialcare.classify.settings import ClassifySettings
from socialcare.conversations.settings import ConversationsSettings
from socialcare.index.settings import IndexSettings
from socialcare.respond.settings import RespondSettings
from socialcare.route.settings import RouteSettings
from socialcare.topics import ACTION_RESULTS, ACTIONS, CLASSIFIED, CONVERSATIONS, RAW, ROUTED
from socialcare_dev import listening_demo, tracking
from socialcare_dev.care_demo import CareRun, care_loop
from socialcare_dev.pipeline import EMULATOR_PORT, ROLES, Pipeline, skip_backlog
from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack, StackError
from socialcare_dev.traffic import SPIKE_PRODUCT, Secrets, Traffic

# The ports of a normal local run (README), so the URLs printed are the usual ones.
PORTS = {
    "ingest": 8000,
    "search": 8001,
    "classify": 6066,
    "classify-2": 6069,
    "route": 6067,
    "index": 6068,
    "conversations": 6070,
    "respond": 6071,
    "alerts": 6072,
    "listen": 6073,
    "emulator": 8090,
}
# Each role's own port variable overrides its port (a replica follows its role on a
# port of its own); 0 means any free port, so a test can run the demo beside others.
PORT_VARIABLES = {role: variable for role, (_, variable) in ROLES.items()} | {
    "emulator": EMULATOR_PORT
}


def demo_ports(environ: Mapping[str, str] = os.environ) -> dict[str, int]:
    ports = {}
    for name, default in PORTS.items():
        role = name.split("-")[0]
        value = environ.get(PORT_VARIABLES[role])
        ports[name] = default if value is None else int(value) if name == role else 0
    return ports


# The issue's `demo-agent-key` is two characters short of the search API's 16.
AGENT_KEY = "demo-agent-key-local"
AGENT_NAME = "demo-agent"
# "not charging" in the words of samples/spike.jsonl
NATIVE_QUERIES = [
    ("es", "cargar"),
    ("de", "laden"),
    ("ru", "заряжаться"),
    ("tr", "şarj"),
    ("fr", "chargent"),
    ("pt", "carregar"),
    ("it", "caricano"),
    ("pl", "ładować"),
]
console = Console()


def run(
    settings: StackSettings,
    events: int = 600,
    rate: float = 40.0,
    keep_running: bool = False,
    summary_json: Path | None = None,
) -> None:
    try:
        started_stack = bool(LocalStack(settings).up())
    except StackError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    secrets = Secrets()
    pipeline = Pipeline(
        settings.stack_dir / "demo-logs",
        env=secrets.env()
        | {
            "SOCIALCARE_SEARCH_API_KEYS": f"{AGENT_KEY}:read+reply:{AGENT_NAME}",
            "SOCIALCARE_LOG_LEVEL": "INFO",
        },
        ports=demo_ports(),
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    # SIGTERM (e.g. from a terminal closing) stops the demo the way Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _skip_backlogs(settings)
        console.print(f"starting the services (logs in {pipeline.log_dir}) ...")
        pipeline.start(
            on_ready=lambda role, took: console.print(f"  {role:<13} ready after {took:4.1f} s")
        )
        since = datetime.now(UTC).replace(microsecond=0)  # platform times are whole seconds
        traffic = Traffic(uuid.uuid4().hex[:8], secrets)
        heard = listening_demo.seed_posts(pipeline.emulator_url, traffic.run)
        accepted, spike_started = _send(pipeline, traffic, events, rate)
        with httpx.Client(base_url=pipeline.ingest_url, timeout=30) as client:
            listening_demo.send_receipts(client, traffic)
        es = elastic.client(settings)
        _wait(es, settings.index_alias, accepted)
        figures = _summary(es, settings.index_alias, accepted)
        figures |= listening_demo.report(
            console,
            listening_demo.picked_up(es, settings.index_alias, heard),
            listening_demo.dropped_kinds(pipeline.ingest_url),
        )
        care = CareRun(
            pipeline,
            settings,
            es,
            traffic,
            AGENT_KEY,
            console,
            wait_searchable=lambda ids: _wait(es, settings.index_alias, ids),
        )
        # The listening posts are conversations too: the brand answers them as well.
        figures |= care_loop(care, accepted + figures["listening"]["event_ids"], since)
        figures["alerts"] = _alerts(pipeline, spike_started, since)
        _examples(pipeline)
        if summary_json is not None:
            summary_json.write_text(json.dumps(figures, indent=2) + "\n")
            console.print(f"summary figures written to {summary_json}")
        console.print(
            f"\nsearch API docs: {pipeline.search_url}/docs   agent console: "
            f"{pipeline.search_url}/console (API key [bold]{AGENT_KEY}[/], may read and reply)"
        )
        if keep_running:
            console.print("running; Ctrl-C stops the services and the local stack")
            while all(s.running for s in pipeline.services.values()):
                time.sleep(1)
            raise typer.Exit(1)  # a service died: say so rather than idle
        else:
            console.print("(`socialcare demo --keep-running` leaves everything up to explore)")
    except KeyboardInterrupt:
        console.print("\nstopping ...")
    finally:
        pipeline.stop()
        if started_stack or keep_running:
            LocalStack(settings).down()
        console.print("services stopped" + (", local stack stopped" if started_stack else ""))


def _skip_backlogs(settings: StackSettings) -> None:
    """The demo follows its own traffic: records earlier runs or tests left on the
    local topics are not replayed first (they stay searchable where indexed)."""
    groups = (
        (ClassifySettings().classify_app_id, RAW.name),
        (RouteSettings().route_app_id, CLASSIFIED.name),
        *(
            (ConversationsSettings().conversations_app_id, topic.name)
            for topic in (ROUTED, ACTIONS, ACTION_RESULTS)
        ),
        *((IndexSettings().index_app_id, topic.name) for topic in (ROUTED, CONVERSATIONS)),
        (RespondSettings().respond_app_id, ACTIONS.name),
        (AlertsSettings().alerts_app_id, CLASSIFIED.name),
    )
    for group, topic in groups:
        if skipped := skip_backlog(settings, group, topic):
            console.print(f"  {group} starts at the end of {topic} ({skipped} earlier records)")


def _send(
    pipeline: Pipeline, traffic: Traffic, events: int, rate: float
) -> tuple[list[str], datetime]:
    """Post ``events`` webhooks at ``rate``/s; the spike runs from 40 % to 60 %.
    Returns the accepted event ids and when the spike started."""
    accepted: list[str] = []
    spike_started = datetime.now(UTC)
    retried = 0
    columns = (
        TextColumn("webhooks  "),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with (
        httpx.Client(base_url=pipeline.ingest_url, timeout=30) as client,
        Progress(*columns, console=console) as progress,
    ):
        task = progress.add_task("send", total=events, note="")
        started = time.monotonic()
        for n in range(events):
            spike = 0.4 * events <= n < 0.6 * events
            if n == int(0.4 * events):
                spike_started = datetime.now(UTC)
            delivery = traffic.next(spike=spike)
            while True:
                response = delivery.post(client)
                if response.status_code != 503:
                    break
                retried += 1  # Kafka unavailable: retry as the platforms do
                time.sleep(float(response.headers.get("retry-after", "1")))
            response.raise_for_status()
            accepted += response.json()["event_ids"]
            note = f"spike: {SPIKE_PRODUCT} failing" if spike else ""
            progress.update(task, advance=1, note=note + (f" ({retried} retried)" * bool(retried)))
            time.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
    console.print(f"ingest accepted {len(accepted)} events from {events} webhooks")
    return accepted, spike_started


def _alerts(pipeline: Pipeline, spike_started: datetime, since: datetime) -> list[dict[str, Any]]:
    """The spike alerts the alerts worker raised during this run (the index keeps
    earlier runs' too), as the console's banner shows them, with how long after the
    spike's first message each was raised."""
    headers = {"X-API-Key": AGENT_KEY}
    answer = httpx.get(f"{pipeline.search_url}/v1/alerts", headers=headers, timeout=30)
    alerts = [
        a
        for a in answer.raise_for_status().json()["alerts"]
        if datetime.fromisoformat(a["updated_at"]) >= since
    ]
    console.print(f"\n[bold]GET /v1/alerts[/] -> {len(alerts)} spike alert(s) in this run")
    figures = []
    for alert in alerts:
        # `since`: the start of the window in which it first spiked (event time);
        # `opened_at`: when it was raised.
        began = (datetime.fromisoformat(alert["since"]) - spike_started).total_seconds()
        opened = alert.get("opened_at")
        raised = None
        if opened:
            raised = (datetime.fromisoformat(opened) - spike_started).total_seconds()
        named = ", ".join(alert["terms"][:3]) or ", ".join(alert["dimensions"][:2])
        console.print(
            f"  {alert['status']:<8} {named}: {alert['events']} events in "
            f"{len(alert['languages'])} languages on {len(alert['platforms'])} platforms, "
            f"spiking from {began:+.0f} s and raised {_seconds(raised)} after the spike's "
            f"first message (x{alert['factor']:.1f} its baseline)"
        )
        figures.append(
            {
                "terms": alert["terms"],
                "status": alert["status"],
                "since": alert["since"],
                "since_spike_start_s": round(began, 1),
                "raised_after_spike_start_s": None if raised is None else round(raised, 1),
                "events": alert["events"],
                "languages": alert["languages"],
            }
        )
    return figures


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:+.0f} s"


def _wait(es, alias: str, ids: list[str]) -> None:
    with Progress(
        TextColumn("searchable"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("wait", total=len(ids))
        found = tracking.wait_searchable(
            es, alias, ids, timeout=600, on_progress=lambda n: progress.update(task, completed=n)
        )
    if found < len(ids):
        console.print(f"[red]only {found} of {len(ids)} searchable after 10 minutes[/]")


def _summary(es, alias: str, ids: list[str]) -> dict[str, Any]:
    result = tracking.outcome(es, alias, ids)
    console.print()
    for name, counts in result.facets.items():
        table = Table(title=f"events per {name}", title_justify="left", show_header=False)
        rows = list(counts.items())
        shown = rows[:12] + ([("others", sum(v for _, v in rows[12:]))] if rows[12:] else [])
        for key, value in shown:
            table.add_row(key, str(value), f"{100 * value / max(1, result.total):.0f} %")
        console.print(table)
    spike = es.count(index=alias, query={"match_phrase": {"text": SPIKE_PRODUCT}})["count"]
    console.print(
        f"[bold]{result.total}[/] events searchable; [bold]{result.past_deadline}[/] past their "
        f"first-response deadline unanswered (the backlog written hours ago); {spike} "
        f"mention {SPIKE_PRODUCT} (the defect spike)"
    )
    console.print(
        f"webhook received -> searchable: p50 [bold]{result.p50:.0f} ms[/], "
        f"p99 [bold]{result.percentile(0.99):.0f} ms[/] (+ up to 1 s index refresh)"
    )
    return {
        "events_total": result.total,
        "events": result.facets["platform"],
        "past_deadline": result.past_deadline,
        "spike_mentions": spike,
        "searchable_ms": {"p50": round(result.p50), "p99": round(result.percentile(0.99))},
    }


def _examples(pipeline: Pipeline) -> None:
    headers = {"X-API-Key": AGENT_KEY}
    with httpx.Client(base_url=pipeline.search_url, headers=headers, timeout=30) as client:
        query = {"q": "dejaron de cargar", "language": "es", "size": 3}
        found = client.get("/v1/search", params=query).raise_for_status().json()
        console.print(
            f"\n[bold]GET /v1/search?q=dejaron de cargar&language=es[/] -> {found['total']} hits"
        )
        for hit in found["hits"]:
            _line(hit["event"])
        conversations = (
            client.get("/v1/search", params={"kind": "dm", "sort": "newest", "size": 100})
            .raise_for_status()
            .json()["hits"]
        )
        seen: dict[str, int] = {}
        for hit in conversations:
            key = hit["event"]["conversation_id"]
            seen[key] = seen.get(key, 0) + 1
        thread_id = max(seen, key=seen.__getitem__) if seen else None
        if thread_id:
            thread = client.get(f"/v1/conversations/{thread_id}").raise_for_status().json()
            console.print(
                f"\n[bold]GET /v1/conversations/{thread_id}[/] (a customer who wrote again)"
            )
            for event in thread["events"]:
                _line(event)


def _line(event: dict) -> None:
    c, r = event.get("classification") or {}, event.get("routing") or {}
    console.print(
        f"  {event['created_at'][:16]} {event['platform']:<9} {c.get('intent', '-'):<11} "
        f"{c.get('sentiment', '-'):<8} {r.get('queue', '-'):<28} {r.get('priority', '-')}  "
        f"{event['text'][:60]!r}"
    )
