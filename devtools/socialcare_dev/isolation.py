"""A whole pipeline of real service processes for the end-to-end tests and the e2e
benchmark, isolated from everything else on the local stack: its own consumer groups
(started at the current end of their topics), its own index alias, its own worker data,
its own platform emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from socialcare import elastic
from socialcare.settings import Settings
from socialcare.topics import ACTION_RESULTS, ACTIONS, CLASSIFIED, CONVERSATIONS, RAW, ROUTED
from socialcare_dev.pipeline import Pipeline, skip_backlog
from socialcare_dev.traffic import Secrets

API_KEY = "e2e-agent-key-0123456789"


def fresh_group(settings: Settings, prefix: str, topic: str) -> str:
    """A consumer group of its own that starts at the topic's current end: a test's
    worker sees that test's records, not the thousands earlier tests left."""
    group = f"{prefix}-{uuid.uuid4().hex[:8]}"
    skip_backlog(settings, group, topic)
    return group


@contextmanager
def isolated_pipeline(
    settings: Settings,
    workdir: Path,
    replicas: dict[str, int] | None = None,
    cores: Mapping[str, Sequence[str]] | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[Pipeline, str]]:
    """(the started pipeline, its index alias); stopped and its index dropped after.
    ``replicas`` and ``cores`` as for Pipeline (the benchmark's scaling runs); ``env``:
    more settings for every service (the benchmark's routing file)."""
    run = uuid.uuid4().hex[:8]
    alias = f"e2e-{run}"
    groups = {
        "SOCIALCARE_CLASSIFY_APP_ID": (f"e2e-classify-{run}", RAW.name),
        "SOCIALCARE_ROUTE_APP_ID": (f"e2e-route-{run}", CLASSIFIED.name),
        "SOCIALCARE_CONVERSATIONS_APP_ID": (f"e2e-conversations-{run}", ROUTED.name),
        "SOCIALCARE_ALERTS_APP_ID": (f"e2e-alerts-{run}", CLASSIFIED.name),
        "SOCIALCARE_INDEX_APP_ID": (f"e2e-index-{run}", ROUTED.name),
        "SOCIALCARE_RESPOND_APP_ID": (f"e2e-respond-{run}", ACTIONS.name),
    }
    for group, topic in groups.values():
        skip_backlog(settings, group, topic)
    # The conversations worker reads the actions and their results too, and the index
    # worker the conversation states.
    for topic in (ACTIONS.name, ACTION_RESULTS.name):
        skip_backlog(settings, groups["SOCIALCARE_CONVERSATIONS_APP_ID"][0], topic)
    skip_backlog(settings, groups["SOCIALCARE_INDEX_APP_ID"][0], CONVERSATIONS.name)
    pipeline = Pipeline(
        workdir,
        env=Secrets().env()
        | {setting: group for setting, (group, _) in groups.items()}
        | {
            "SOCIALCARE_INDEX_ALIAS": alias,
            "SOCIALCARE_SEARCH_API_KEYS": f"{API_KEY}:read+reply:e2e-agent",
            "SOCIALCARE_WORKER_DATA_DIR": str(workdir / "data"),
            "SOCIALCARE_INGEST_API_KEYS": "e2e-ingest-key",
            "SOCIALCARE_CONSUMER_LAG_INTERVAL_SECONDS": "1",
        }
        | dict(env or {}),
        replicas=replicas,
        cores=cores,
    )
    pipeline.start()
    try:
        yield pipeline, alias
    finally:
        pipeline.stop()
        drop_indices(settings, alias)


def drop_indices(settings: Settings, alias: str) -> None:
    """Delete a run's indices (``<alias>-*``: events, conversations, alerts) and its
    index template."""
    es = elastic.client(settings)
    try:
        for index in es.indices.get(index=f"{alias}-*"):
            es.indices.delete(index=index)
        es.indices.delete_index_template(name=alias)
    finally:
        es.close()
