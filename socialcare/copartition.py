"""Checking that a table's changelog and its source topic have as many partitions, on
fresh metadata, before the first record.

faust checks this itself on a table's first use from each source topic, reading the
consumer's metadata snapshot, and raises ``PartitionsMismatch`` when the counts
differ. Right after a worker created its changelog topic (its first start, in a new
deployment or a test's fresh consumer group), that snapshot can still list the
changelog with 0 partitions: faust then raised for every record until the metadata
was refreshed, minutes later, and each of them went to the DLQ as if it were bad (a
CI run of the end-to-end tests lost its first conversations that way). Here the
counts are read from the brokers, waiting while the changelog is being created; a
real mismatch (a topic created by hand with other partitions) fails the worker at
once, with faust's own message, rather than dead-lettering every record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import faust
from faust.exceptions import PartitionsMismatch

from socialcare import kafka
from socialcare.logging import get_logger
from socialcare.settings import Settings

log = get_logger(__name__)
# faust's record of the source topics it checked; a test fails if an upgrade renames it.
VERIFIED = "_verified_source_topics_for_partitions"
WAIT_SECONDS = 60.0


def partition_counts(settings: Settings, topics: Iterable[str], wait: float) -> dict[str, int]:
    """Each topic's partition count from the brokers; a topic still being created is
    waited for up to ``wait`` seconds (then left out)."""
    wanted = set(topics)
    consumer = kafka.consumer(settings)
    try:
        deadline = time.monotonic() + wait
        while True:
            counts = {t: len(consumer.partitions_for_topic(t) or ()) for t in wanted}
            if all(counts.values()) or time.monotonic() > deadline:
                return {t: n for t, n in counts.items() if n}
            time.sleep(0.5)
            consumer.topics()  # refreshes the metadata the next lookup reads
    finally:
        consumer.close()


async def verify_copartitioned(
    settings: Settings, table: faust.TableT, topics: Iterable[str], wait: float = WAIT_SECONDS
) -> None:
    """Check ``table`` against each of its source ``topics`` and tell faust it is done."""
    sources = list(topics)
    changelog = table.changelog_topic_name
    counts = await asyncio.to_thread(partition_counts, settings, [changelog, *sources], wait)
    if changelog not in counts:
        log.warning("table.changelog_unknown", table=table.name, topic=changelog)
        return  # faust's own check still applies on first use
    verified = getattr(table, VERIFIED)
    for topic in sources:
        if topic in counts and counts[topic] != counts[changelog]:
            raise PartitionsMismatch(
                f"source topic {topic!r} of table {table.name!r} has {counts[topic]} "
                f"partitions, its changelog {changelog!r} {counts[changelog]}"
            )
        if topic in counts:
            verified.add(topic)
