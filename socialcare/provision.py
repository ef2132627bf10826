"""Provisioning: the pipeline's topics, the events index and the conversations index,
created where missing.

Run once per environment before the services start (``socialcare provision``; the
Kubernetes provision Job, docker compose and ``socialcare stack up`` all call it).
Idempotent: what exists is left as it is, including an alias pointing at a newer
index version.
"""

from __future__ import annotations

from collections.abc import Callable

from socialcare import elastic, kafka
from socialcare.settings import Settings
from socialcare.topics import PIPELINE_TOPICS


def provision(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Create the pipeline topics, the index template and both indices (all idempotent)."""
    created = kafka.ensure_topics(settings, PIPELINE_TOPICS)
    if created:
        say(f"created topics: {', '.join(created)}")
    es = elastic.client(settings)
    try:
        if elastic.ensure_index(es, settings):
            say(f"created index {elastic.index_name(settings)} behind alias {settings.index_alias}")
        if elastic.ensure_conversations_index(es, settings):
            say(
                f"created index {elastic.conversations_index_name(settings)} "
                f"behind alias {elastic.conversations_alias(settings)}"
            )
    finally:
        es.close()
