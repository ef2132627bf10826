"""End-to-end benchmark: signed webhooks in, searchable events out, on this machine.

Starts the services as processes (an isolated pipeline: its own consumer groups and
index), then
1. sends a burst of webhooks as fast as ingest takes them and measures the sustained
   rate from the first webhook until the last event is searchable;
2. sends paced traffic at 50 % and 90 % of that rate and measures latency from
   webhook received to indexed, p50/p99;
3. splits each event's time into stages by the Kafka record timestamps (raw,
   classified, routed) and the document's indexed_at, and prints each stage's
   throughput during the burst, so the bottleneck is visible;
4. before all that, measures the classifier alone on the same texts (all cores this
   process may use, the worker's micro-batch size), the figure the sustained rate is
   compared with;
5. counts the CPU each process spent per event of the burst (from /proc).

The automatic acknowledgements are pinned (``--acks``), because the shipped rules send
one only outside business hours: with them as shipped the same traffic costs more on a
Sunday than on a Tuesday morning, and runs on different days do not compare.

    .venv/bin/socialcare stack up && scripts/model.sh
    .venv/bin/python bench/e2e.py [--burst 3000] [--seconds 40] [--json]
        [--acks none|all|shipped] [--classify-replicas 2] [--cores ROLE=LIST ...]

Scaling runs: ``--cores classify=0 --cores classify=1 --cores ingest=1`` starts the
first classify replica under ``taskset -c 0``, the second under ``taskset -c 1``
and ingest under ``taskset -c 1`` (a role given once pins all its replicas to that
list, e.g. ``classify=0-3``). Kafka and Elasticsearch are already running (``socialcare
stack up``): pin them yourself with ``taskset -a -p -c LIST <pid>`` before the run;
the report shows every process's CPU list as it found it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from kafka import TopicPartition

from socialcare import elastic, kafka
from socialcare.classify.settings import ClassifySettings
from socialcare.route.config import load_config
from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED, RAW, ROUTED
from socialcare_dev import tracking
from socialcare_dev.isolation import isolated_pipeline
from socialcare_dev.pipeline import ROLES, cpu_list, pinning
from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack
from socialcare_dev.traffic import Traffic

STAGES = (("ingest", RAW.name), ("classify", CLASSIFIED.name), ("route", ROUTED.name))


TICK = os.sysconf("SC_CLK_TCK")

# --acks: which messages get an automatic acknowledgement during the run. Each one is
# a reply through respond and the platform emulator that comes back as an outbound
# event and goes through the whole pipeline again.
ACKS = {
    "none": "none (the shipped rules without acknowledgement rules)",
    "all": "every private message, whatever the hour (the shipped rule without its "
    "business-hours condition)",
    "shipped": "the shipped rules: private messages outside the business hours of the "
    "kk, fa, hr and sl queues, so the figures depend on the day and the hour",
}


def routing_file(acks: str, directory: Path) -> Path | None:
    """The routing rules of the run, written into ``directory``; None: the shipped file."""
    if acks == "shipped":
        return None
    config = load_config()
    rules = []
    if acks == "all":
        always = {"outside_business_hours": None}
        rules = [
            r.model_copy(update={"when": r.when.model_copy(update=always)})
            for r in config.acknowledgements.rules
        ]
    config = config.model_copy(
        update={"acknowledgements": config.acknowledgements.model_copy(update={"rules": rules})}
    )
    path = directory / "routing.yaml"
    path.write_text(
        yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    )
    return path


def cpu_by_session() -> dict[int, float]:
    """CPU seconds (user + system) of every process, summed by session: each service,
    each server and this benchmark runs in a session of its own."""
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session, utime, stime = int(fields[3]), int(fields[11]), int(fields[12])
        used[session] = used.get(session, 0.0) + (utime + stime) / TICK
    return used


def classifier_alone(texts: list[str], batch: int) -> tuple[float, float, str]:
    """texts/s of the model alone and of model + language identification (what the
    worker does per event), all cores to itself, micro-batches in arrival order; and
    the model's version."""
    from socialcare.classify.language import LanguageIdentifier
    from socialcare.classify.predict import Predictor

    predictor = Predictor(ClassifySettings().model_dir)
    languages = LanguageIdentifier(languages=ClassifySettings().classify_languages)
    predictor.predict(texts[:batch])  # warm-up
    rates = [0.0, 0.0]
    # Best of alternating rounds: the shared cores here drift between runs.
    for _ in range(2):
        for with_language in (False, True):
            started = time.perf_counter()
            for start in range(0, len(texts), batch):
                chunk = texts[start : start + batch]
                predictor.predict(chunk)
                if with_language:
                    for text in chunk:
                        languages.detect(text)
            rate = len(texts) / (time.perf_counter() - started)
            rates[with_language] = max(rates[with_language], rate)
    return rates[0], rates[1], predictor.version


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def send(url: str, traffic: Traffic, count: int, rate: float | None) -> list[str]:
    """``count`` webhooks, paced at ``rate``/s or as fast as 8 connections go."""
    accepted: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for _ in range(count):
        queue.put_nowait(traffic.next())
    started = time.perf_counter()

    async def worker(client: httpx.AsyncClient, lane: int, lanes: int) -> None:
        n = lane
        while not queue.empty():
            delivery = queue.get_nowait()
            if rate:
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                n += lanes
            response = await client.post(
                delivery.path, content=delivery.body, headers=delivery.headers
            )
            response.raise_for_status()
            accepted.extend(response.json()["event_ids"])

    lanes = 8
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.gather(*(worker(client, lane, lanes) for lane in range(lanes)))
    return accepted


def stage_times(settings: Settings, ids: set[str], since_ms: int) -> dict[str, dict[str, float]]:
    """Kafka timestamp (s) of each event's record on raw, classified and routed."""
    consumer = kafka.consumer(settings)
    found: dict[str, dict[str, float]] = {topic: {} for _, topic in STAGES}
    try:
        for _, topic in STAGES:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            starts = consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
            ends = consumer.end_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, starts[tp].offset if starts[tp] else ends[tp])
            done = {tp for tp in partitions if consumer.position(tp) >= ends[tp]}
            while len(done) < len(partitions):
                for tp, records in consumer.poll(timeout_ms=500).items():
                    for r in records:
                        event_id = dict(r.headers).get("event_id", b"").decode()
                        if event_id in ids:
                            found[topic].setdefault(event_id, r.timestamp / 1000)
                    if consumer.position(tp) >= ends[tp]:
                        done.add(tp)
    finally:
        consumer.close()
    return found


def documents(es, alias: str, ids: list[str]) -> dict[str, tuple[float, float]]:
    """event id -> (received_at, indexed_at) in epoch seconds."""
    out = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        hits = es.search(
            index=alias,
            query={"terms": {"event_id": chunk}},
            size=len(chunk),
            source=["event_id", "received_at", "indexed_at"],
        )["hits"]["hits"]
        for hit in hits:
            doc = hit["_source"]
            out[doc["event_id"]] = (
                datetime.fromisoformat(doc["received_at"]).timestamp(),
                datetime.fromisoformat(doc["indexed_at"]).timestamp(),
            )
    return out


LOAD_GENERATOR = "load_generator"
PACED_SHARES = (0.5, 0.9)


def _ms(value: float) -> float | None:
    """A figure for the JSON report: rounded, None for 'not measured' (NaN)."""
    return None if math.isnan(value) else round(value, 2)


def _shown(value: float | None) -> float:
    return math.nan if value is None else value


def stage_figures(docs: dict, stamps: dict) -> dict[str, dict[str, float | None]]:
    """Each stage's rate in the burst and the latency it added (p50, p99)."""
    figures = {}
    previous = {i: received for i, (received, _) in docs.items()}
    for name, topic in [*STAGES, ("index", None)]:
        at = stamps[topic] if topic else {i: indexed for i, (_, indexed) in docs.items()}
        took = [(at[i] - previous[i]) * 1000 for i in at if i in previous] or [math.nan]
        span = max(at.values()) - min(at.values()) if len(at) > 1 else math.nan
        figures[name] = {
            "events_per_s": _ms(len(at) / span if span else math.nan),
            "p50_ms": _ms(statistics.median(took)),
            "p99_ms": _ms(pct(took, 0.99)),
        }
        previous = at
    return figures


def process_names(pipeline, stack: LocalStack) -> dict[int, str]:
    """session id -> process name: each service (replicas as classify-2, ...), the
    emulator and each server runs in a session of its own."""
    names = {s.pid(): name for name, s in pipeline.services.items()}
    if pipeline.emulator is not None:
        names[pipeline.emulator.pid()] = "emulator"
    names |= {server.process.pid(): server.name for server in stack.servers}
    names.pop(None, None)
    return names


def allowed_cpus(pid: int) -> str:
    """The CPU list a process may run on now (what taskset set, or all)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "?"
    return next(
        (
            ln.split(":", 1)[1].strip()
            for ln in status.splitlines()
            if ln.startswith("Cpus_allowed_list")
        ),
        "?",
    )


def cpu_per_event(spent: dict[str, float], events: int) -> dict[str, float | None]:
    """ms of CPU per event by process kind: the replicas of a role summed under its
    name (the issue's table), kafka, elasticsearch and load_generator."""
    by_kind: dict[str, float] = {}
    for name, seconds in spent.items():
        kind = name if name in (LOAD_GENERATOR, "emulator") else name.partition("-")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    return {kind: _ms(seconds * 1000 / events) for kind, seconds in sorted(by_kind.items())}


def pin_this_process(cores: list[str]) -> None:
    """Every thread of this process (the load generator) onto its CPU list."""
    if cores:
        cpus = set(cpu_list(cores[0]))
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), cpus)


def outbound(es, alias: str) -> int:
    """Outbound events (the brand's replies) searchable under ``alias`` now."""
    es.indices.refresh(index=alias)
    return es.count(index=alias, query={"term": {"direction": "outbound"}})["count"]


def burst_run(args, pipeline, alias: str, es, traffic: Traffic) -> dict[str, Any]:
    """The burst: sustained rate, stage figures and CPU per event of each process."""
    settings = StackSettings()
    names = process_names(pipeline, LocalStack(settings))
    # Counted (with a refresh) before the clocks start, not inside the measured window.
    replies_before = outbound(es, alias)
    since_ms = int(time.time() * 1000)
    started = time.time()
    cpu_before, own_before = cpu_by_session(), time.process_time()
    burst = asyncio.run(send(pipeline.ingest_url, traffic, args.burst, None))
    accepted_in = time.time() - started
    # Polled slowly: the check itself costs Elasticsearch CPU.
    while tracking.count(es, alias, burst) < len(burst):
        time.sleep(2)
    cpu_after, own_after = cpu_by_session(), time.process_time()
    wall = time.time() - started
    replies = outbound(es, alias) - replies_before
    spent = {
        name: cpu_after.get(sid, 0.0) - cpu_before.get(sid, 0.0) for sid, name in names.items()
    }
    # This process alone (not its session, which may hold the shell and others).
    spent[LOAD_GENERATOR] = own_after - own_before
    docs = documents(es, alias, burst)
    sustained = len(burst) / (max(indexed for _, indexed in docs.values()) - started)
    return {
        "events": len(burst),
        "ingest_accepted_per_s": round(len(burst) / accepted_in, 1),
        "wall_s": round(wall, 2),
        # the automatic acknowledgements indexed by then: each one went through the
        # pipeline as an event of its own
        "outbound_events": replies,
        "sustained_events_per_s": round(sustained, 1),
        "stages": stage_figures(docs, stage_times(settings, set(burst), since_ms)),
        "cpu_ms_per_event": cpu_per_event(spent, len(burst)),
        "cpu_ms_per_event_by_process": {n: _ms(s * 1000 / len(burst)) for n, s in spent.items()},
        "cpu_list": {n: allowed_cpus(pid) for pid, n in names.items()}
        | {LOAD_GENERATOR: allowed_cpus(os.getpid())},
    }


def paced_runs(args, pipeline, alias: str, es, traffic: Traffic, sustained: float) -> dict:
    """Webhook -> indexed latency at each share of the sustained rate."""
    paced = {}
    for share in PACED_SHARES:
        rate = sustained * share
        count = int(rate * args.seconds)
        print(f"paced: {count} webhooks at {rate:.0f}/s ...", file=sys.stderr)
        since_ms = int(time.time() * 1000)
        ids = asyncio.run(send(pipeline.ingest_url, traffic, count, rate))
        tracking.wait_searchable(es, alias, ids, timeout=1800)
        result = tracking.outcome(es, alias, ids)
        stamps = stage_times(StackSettings(), set(ids), since_ms)
        paced[f"{share:.0%}"] = {
            "rate_per_s": round(rate, 1),
            "events": len(ids),
            "indexed": result.total,
            "p50_ms": _ms(result.p50),
            "p99_ms": _ms(result.percentile(0.99)),
            # where the latency is spent: each stage's p50 and p99 at this load
            "stages": stage_figures(documents(es, alias, ids), stamps),
        }
    return paced


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement, as the JSON report."""
    settings, classify = Settings(), ClassifySettings()
    es = elastic.client(settings)
    workdir = Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    traffic = Traffic(uuid.uuid4().hex[:8], backlog_share=0.0)
    report: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "loadavg_at_start": list(os.getloadavg())},
        "settings": {
            "burst": args.burst,
            "paced_seconds": args.seconds,
            "acks": args.acks,
            "classify_replicas": args.classify_replicas,
            "cores": args.cores,
            "classify_batch_size": classify.classify_batch_size,
            "classify_threads": classify.classify_threads,
        },
    }
    print("classifier alone ...", file=sys.stderr)
    # The texts the traffic is made of (the corpus' test split), in mixed order.
    sample = [text for texts in zip(*traffic.texts.values(), strict=False) for text in texts] * 3
    alone, with_language, version = classifier_alone(sample, classify.classify_batch_size)
    report |= {
        "model_version": version,
        "classifier_alone_per_s": round(alone, 1),
        "classifier_with_language_per_s": round(with_language, 1),
    }
    replicas = {"classify": args.classify_replicas}
    rules = routing_file(args.acks, workdir)
    env = {"SOCIALCARE_ROUTING_CONFIG": str(rules)} if rules else {}
    with isolated_pipeline(settings, workdir, replicas, args.pins, env) as (pipeline, alias):
        # After the services started: they would inherit this process's CPU list.
        pin_this_process(args.pins.get(LOAD_GENERATOR, []))
        # Warm-up: the first events pay for connections and lazy set-up.
        warm = asyncio.run(send(pipeline.ingest_url, traffic, 50, None))
        tracking.wait_searchable(es, alias, warm, timeout=300)
        print(f"burst: {args.burst} webhooks ...", file=sys.stderr)
        burst = burst_run(args, pipeline, alias, es, traffic)
        sustained = burst.pop("sustained_events_per_s")
        report |= {"sustained_events_per_s": sustained, "burst": burst}
        report["cpu_ms_per_event"] = burst.pop("cpu_ms_per_event")
        report["paced"] = paced_runs(args, pipeline, alias, es, traffic, sustained)
    return report


def print_report(report: dict[str, Any]) -> None:
    """The report as tables for a person."""
    burst, sustained = report["burst"], report["sustained_events_per_s"]
    alone, with_language = (
        report["classifier_alone_per_s"],
        report["classifier_with_language_per_s"],
    )
    print("\nwhole pipeline on this machine (all services, Kafka, ES and the load generator)")
    print(f"automatic acknowledgements: {ACKS[report['settings']['acks']]}")
    print(
        f"burst of {burst['events']}: ingest accepted them at "
        f"{burst['ingest_accepted_per_s']:.0f}/s; sustained webhook -> searchable "
        f"{sustained:.0f} events/s; {burst['outbound_events']} acknowledgements came back "
        "as outbound events"
    )
    print(
        f"classifier alone: model {alone:.0f} texts/s, with language identification "
        f"{with_language:.0f}/s; the pipeline sustains {sustained / alone:.0%} and "
        f"{sustained / with_language:.0%} of them"
    )
    print(f"\n{'stage':<9} {'events/s in the burst':>22} {'stage latency p50':>18} {'p99':>8}")
    for name, stage in burst["stages"].items():
        print(
            f"{name:<9} {_shown(stage['events_per_s']):>22.0f} "
            f"{_shown(stage['p50_ms']):>15.0f} ms {_shown(stage['p99_ms']):>5.0f} ms"
        )
    cores = report["machine"]["cpu_count"]
    print(
        f"\nCPU per event in the burst ({burst['wall_s']:.0f} s; {cores} cores give "
        f"{cores * 1000 * burst['wall_s'] / burst['events']:.0f} ms per event at this rate)"
    )
    for name, ms in burst["cpu_ms_per_event_by_process"].items():
        print(f"  {name:<16} {_shown(ms):6.1f} ms   (CPUs {burst['cpu_list'].get(name, '?')})")
    print(f"\n{'load':<22} {'events':>7} {'webhook -> indexed p50':>23} {'p99':>9}")
    for share, paced in report["paced"].items():
        load = f"{share} ({paced['rate_per_s']:.0f}/s)"
        print(
            f"{load:<22} {paced['indexed']:>7} "
            f"{_shown(paced['p50_ms']):>20.0f} ms {_shown(paced['p99_ms']):>6.0f} ms"
        )
    print("(searchable within the index refresh interval, 1 s, after indexed)")
    print("latency each stage added, p50 / p99:")
    for share, paced in report["paced"].items():
        parts = "  ".join(
            f"{name} {_shown(stage['p50_ms']):.0f} / {_shown(stage['p99_ms']):.0f} ms"
            for name, stage in paced["stages"].items()
        )
        print(f"  {share:<4} {parts}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Kafka and Elasticsearch are not started here: pin them with "
        "'taskset -a -p -c LIST <pid>' (pids: socialcare stack status).",
    )
    parser.add_argument("--burst", type=int, default=3000, help="webhooks in the burst")
    parser.add_argument("--seconds", type=float, default=40, help="length of each paced run")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print exactly one JSON object on stdout (the tables go to stderr)",
    )
    parser.add_argument(
        "--acks",
        choices=list(ACKS),
        default="none",
        help="which messages get an automatic acknowledgement: "
        + "; ".join(f"{name}: {text}" for name, text in ACKS.items())
        + " (default: none)",
    )
    parser.add_argument(
        "--classify-replicas", type=int, default=2, metavar="N", help="classify worker processes"
    )
    roles = [*ROLES, "emulator", LOAD_GENERATOR]
    parser.add_argument(
        "--cores",
        action="append",
        default=[],
        metavar="ROLE=LIST",
        help="start ROLE's processes under 'taskset -c LIST' (LIST as taskset: 0, 0,2, "
        "0-3). Repeat a role to give its replicas a list each, in turn: "
        "--cores classify=0 --cores classify=1. ROLE: " + ", ".join(roles),
    )
    args = parser.parse_args(argv)
    if args.classify_replicas < 1:
        parser.error("--classify-replicas must be at least 1")
    try:
        args.pins = pinning(args.cores, roles)
    except ValueError as error:
        parser.error(str(error))
    return args


def main() -> None:
    args = arguments()
    # SIGTERM (timeout, a CI's cancel) unwinds like Ctrl-C: the pipeline's processes
    # are stopped and its indices dropped instead of being left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if not args.json:
        print_report(run(args))
        return
    # stdout carries the JSON object alone; anything printed on the way goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        report = run(args)
        print_report(report)
    print(json.dumps(report, indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
