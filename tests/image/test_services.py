"""Every service of the pipeline run from the image, hardened as the manifests say,
against the local Kafka and Elasticsearch: a signed webhook is taken in, classified by
the baked-in model, routed, indexed and found by a search."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from socialcare.schema import ClassifiedEvent, RoutedEvent
from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED, RAW, ROUTED
from socialcare_dev.isolation import drop_indices
from socialcare_dev.pipeline import ROLES, free_port, skip_backlog
from socialcare_dev.traffic import Secrets
from tests.image.podman import REPORT, Built, Container, hardening
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration
API_KEY = "image-agent-key-0123456789"
# role -> its Deployment in the manifests, and the topic its consumer group reads
SERVICES = {
    "ingest": ("ingest", None),
    "classify": ("classify-worker", RAW.name),
    "route": ("route-worker", CLASSIFIED.name),
    "index": ("index-worker", ROUTED.name),
    "search": ("search", None),
}
# Kubernetes' faust data directory (base/settings.env), an emptyDir there and here.
WORKER_DATA_DIR = "/var/lib/socialcare"


def _env(settings: Settings, run: str) -> dict[str, str]:
    """What isolated_pipeline gives the processes: groups of their own that start at
    the end of their topics, an index alias of its own; the servers of this machine."""
    env = Secrets().env() | {
        "SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "SOCIALCARE_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "SOCIALCARE_INDEX_ALIAS": f"image-{run}",
        "SOCIALCARE_SEARCH_API_KEYS": f"{API_KEY}:read:image-agent",
        "SOCIALCARE_INGEST_API_KEYS": "image-ingest-key",
        "SOCIALCARE_INGEST_HOST": "127.0.0.1",
        "SOCIALCARE_SEARCH_HOST": "127.0.0.1",
        "SOCIALCARE_WORKER_DATA_DIR": WORKER_DATA_DIR,
    }
    for role, (_, topic) in SERVICES.items():
        if topic:
            group = env[f"SOCIALCARE_{role.upper()}_APP_ID"] = f"image-{role}-{run}"
            skip_backlog(settings, group, topic)
    return env


def _container(image: str, role: str, env: dict[str, str]) -> Container:
    args, port_setting = ROLES[role]
    port = free_port()
    options = [*hardening(SERVICES[role][0]), "--network=host"]
    if role == "classify":
        # Kafka and Elasticsearch are addresses on this host: without a resolver no
        # model hub or other model source can be reached, only the baked-in model.
        options.append("--dns=none")
    return Container(
        image, args, options, env | {port_setting: str(port)}, f"http://127.0.0.1:{port}/readyz"
    )


@pytest.fixture(scope="module")
def services(image: Built, stack, settings) -> Iterator[dict[str, Container]]:
    run = uuid.uuid4().hex[:8]
    env = _env(settings, run)
    started: dict[str, Container] = {}
    try:
        for role in SERVICES:
            started[role] = _container(image.name, role, env)
            started[role].start()
            REPORT.append(f"cold start {role}: {started[role].cold_start:.1f} s (to /readyz)")
        yield started
    finally:
        for container in started.values():
            container.stop()
        drop_indices(settings, env["SOCIALCARE_INDEX_ALIAS"])


def _telegram(text: str) -> bytes:
    chat = uuid.uuid4().int % 10**12
    user = {"id": chat, "is_bot": False, "first_name": "Jonas"}
    message = {"message_id": 1, "from": user, "chat": {**user, "type": "private"}}
    message |= {"date": int(time.time()), "text": text}
    return json.dumps({"update_id": uuid.uuid4().int % 2**31, "message": message}).encode()


def _record(tail: TopicTail, event_id: str) -> bytes:
    (record,) = tail.read(1, timeout=90, settle=0, match=lambda r: event_id.encode() in r.value)
    return record.value


def _found(search: Container, marker: str, timeout: float = 60) -> list[dict]:
    url = search.ready_url.removesuffix("/readyz") + "/v1/search"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(url, params={"q": marker}, headers={"X-API-Key": API_KEY})
        if response.status_code == 200 and response.json()["hits"]:
            return response.json()["hits"]
        time.sleep(0.5)
    raise AssertionError(f"no search hit for {marker}:\n{search.logs()}")


def test_a_signed_webhook_goes_through_every_service_of_the_image(services, settings, image):
    marker = f"img{uuid.uuid4().hex[:10]}"
    tails = {t: TopicTail(settings, t) for t in (RAW.name, CLASSIFIED.name, ROUTED.name)}
    text = f"Mein Paket ist seit zwei Wochen unterwegs, wann wird geliefert? Auftrag {marker}"
    response = httpx.post(
        services["ingest"].ready_url.removesuffix("/readyz") + "/webhooks/telegram",
        content=_telegram(text),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": Secrets().telegram,
        },
    )
    assert response.status_code == 200, response.text
    (event_id,) = response.json()["event_ids"]
    assert marker in _record(tails[RAW.name], event_id).decode()

    classified = ClassifiedEvent.model_validate_json(_record(tails[CLASSIFIED.name], event_id))
    # Classified in the container by the model baked into the image, which is the
    # model the tag names.
    assert image.tag.endswith(f"-{classified.classification.model_version}")
    assert classified.classification.language == "de"
    routed = RoutedEvent.model_validate_json(_record(tails[ROUTED.name], event_id))
    assert routed.routing.queue.startswith("support.queue.")

    (hit,) = _found(services["search"], marker)
    assert hit["event"]["event_id"] == event_id
