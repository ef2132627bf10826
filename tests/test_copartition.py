"""A table's changelog and source topic are checked on the brokers before the first
record, so a worker's first start never dead-letters records over stale metadata."""

import asyncio
import uuid
from types import SimpleNamespace

import faust
import pytest
from faust.exceptions import PartitionsMismatch
from pydantic import BaseModel

from socialcare import kafka
from socialcare.copartition import VERIFIED, verify_copartitioned
from socialcare.topics import TopicSpec

pytestmark = pytest.mark.integration


def topic(settings, partitions: int) -> str:
    name = f"test.copartition.{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics(settings, [TopicSpec(name, partitions, BaseModel, "test")])
    return name


def table(changelog: str):
    return SimpleNamespace(name="t", changelog_topic_name=changelog, **{VERIFIED: set()})


def test_faust_still_keeps_its_verified_topics_where_we_record_ours():
    app = faust.App("copartition-test", broker="kafka://127.0.0.1:1")
    assert isinstance(getattr(app.Table("t", partitions=6), VERIFIED), set)


def test_a_source_with_as_many_partitions_is_marked_verified(settings):
    source, changelog = topic(settings, 6), topic(settings, 6)
    checked = table(changelog)
    asyncio.run(verify_copartitioned(settings, checked, [source]))
    assert getattr(checked, VERIFIED) == {source}


def test_a_real_mismatch_fails_the_worker_at_start(settings):
    source, changelog = topic(settings, 6), topic(settings, 3)
    with pytest.raises(PartitionsMismatch, match="has 6 partitions, its changelog"):
        asyncio.run(verify_copartitioned(settings, table(changelog), [source]))


def test_a_changelog_that_never_appears_leaves_the_check_to_faust(settings):
    source = topic(settings, 6)
    checked = table(f"test.copartition.missing-{uuid.uuid4().hex[:8]}")
    asyncio.run(verify_copartitioned(settings, checked, [source], wait=1))
    assert getattr(checked, VERIFIED) == set()
