"""The demo's listening: customers who talk about the demo brands on X without
tagging them. Their posts are seeded into the emulator's recent search, where the
listening poller (``socialcare listen worker``) finds them; the rules
(socialcare/default_listening.yaml) keep the customers' and drop a job ad and the
brand's own post. Also what ingest acknowledged but dropped, by kind."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from socialcare_dev.traffic import Traffic

# (text, language, username): untagged posts the search finds, two the rules refuse.
POSTS = [
    ("VoltMobile mreža ne radi već tri dana, ni poziva ni interneta", "hr", "ivana_zg"),
    ("Опять ВольтМобайл без сети второй день, как это понимать?", "ru", "sergei_msk"),
    ("Meine VoltBuds Pro laden seit dem Update nicht mehr", "de", "lena_b"),
    ("NordaShop still has not refunded my return from October", "en", "sam_k"),
    ("VoltMobile internet çok yavaş, akşamları hiç açılmıyor", "tr", "emre_ist"),
    ("We are hiring! VoltMobile is looking for a network engineer", "en", "jobs_board"),
    ("Our VoltMobile network now covers every island, enjoy!", "en", "VoltMobile"),
]
KEPT = 5  # the job ad is excluded; the brand's own account is never listening


def seed_posts(emulator_url: str, run: str) -> list[str]:
    """Put the posts in the emulator's recent search; their event ids."""
    tweets = [
        {"text": text, "lang": language, "username": name, "name": name,
         "author_id": str(1_600_000_000_000_000_000 + n)}
        for n, (text, language, name) in enumerate(POSTS)
    ]  # fmt: skip
    answer = httpx.post(f"{emulator_url}/_emulator/x/tweets", json={"tweets": tweets}, timeout=30)
    return [f"twitter:{t['id']}" for t in answer.raise_for_status().json()]


def picked_up(es, alias: str, ids: list[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """The seeded posts that reached the index as ``kind: listening`` (the poller
    searches every few seconds), once the expected ones have or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        listening = [{"terms": {"event_id": ids}}, {"term": {"kind": "listening"}}]
        found = es.search(
            index=alias,
            query={"bool": {"filter": listening}},
            source=["event_id", "text", "classification.language", "routing.queue"],
            size=len(ids),
        )["hits"]["hits"]
        if len(found) >= KEPT or time.monotonic() > deadline:
            return [hit["_source"] for hit in found]
        time.sleep(1)


def send_receipts(client: httpx.Client, traffic: Traffic) -> int:
    """Viber's delivered and seen receipts for a few customers: acknowledged, counted
    as dropped kinds, never events."""
    viber = [a for a in traffic.authors if a.platform == "viber"][:3]
    for author in viber:
        for status in ("delivered", "seen"):
            traffic.receipt(author, status).post(client).raise_for_status()
    return 2 * len(viber)


def dropped_kinds(ingest_url: str) -> dict[str, int]:
    """What ingest acknowledged and dropped, by kind (``socialcare_ingest_ignored_total``)."""
    answer = httpx.get(f"{ingest_url}/metrics", timeout=30, follow_redirects=True)
    text = answer.raise_for_status().text
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "socialcare_ingest_ignored":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.value:
                    counts[sample.labels["type"]] = int(sample.value)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def report(console, found: list[dict[str, Any]], dropped: dict[str, int]) -> dict[str, Any]:
    """Print what listening heard and what ingest dropped; their summary figures."""
    console.print(
        f"\nlistening: the poller picked up [bold]{len(found)}[/] untagged posts about the "
        f"brands on X ({len(POSTS) - KEPT} more refused by the rules: a job ad, the brand's own)"
    )
    for post in found:
        language = (post.get("classification") or {}).get("language", "?")
        queue = (post.get("routing") or {}).get("queue", "not routed yet")
        console.print(f"  [{language}] {post['text'][:70]}  -> {queue}")
    kinds = ", ".join(f"{kind} {n}" for kind, n in dropped.items()) or "none"
    console.print(f"deliveries acknowledged without a message (dropped kinds): {kinds}")
    return {
        "listening": {"picked_up": len(found), "event_ids": [p["event_id"] for p in found]},
        "dropped_kinds": dropped,
    }
