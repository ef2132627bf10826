"""The index worker as a process: real Kafka in, real Elasticsearch out, DLQ for refusals."""

import time
import uuid
from datetime import UTC, datetime

import pytest

from socialcare import elastic, kafka
from socialcare.schema import Conversation, ConversationStatus, DeadLetter
from socialcare.topics import CONVERSATIONS, DLQ, ROUTED
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess, free_port, skip_backlog
from tests.support.kafka_tail import TopicTail
from tests.support.search_index import ROWS, drop_index, routed

pytestmark = pytest.mark.integration


def index_worker(settings, tmp_path) -> ServiceProcess:
    """An index worker of its own: a consumer group at the end of the routed topic, the
    test's alias, and a port that is picked again if another process takes it first."""
    port = str(free_port())
    group = fresh_group(settings, "socialcare-index-it", ROUTED.name)
    skip_backlog(settings, group, CONVERSATIONS.name)  # its second source
    return ServiceProcess(
        ["index", "worker"],
        env={
            "SOCIALCARE_INDEX_APP_ID": group,
            "SOCIALCARE_INDEX_ALIAS": settings.index_alias,
            "SOCIALCARE_EMBEDDING_DIMS": "4",
            "SOCIALCARE_INDEX_WEB_PORT": port,
            "SOCIALCARE_WORKER_DATA_DIR": str(tmp_path / "data"),
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=tmp_path / "worker.log",
        port_setting="SOCIALCARE_INDEX_WEB_PORT",
    )


def fresh_events(run: str, rows) -> list:
    """The fixture rows as events of this run only (ids no other test has indexed)."""
    return [
        routed(row).model_copy(
            update={
                "platform_message_id": f"{run}-{row[0]}",
                "event_id": f"{row[1]}:{run}-{row[0]}",
            }
        )
        for row in rows
    ]


def test_index_worker_stores_each_event_once_and_dead_letters_the_rest(search_settings, tmp_path):
    settings = search_settings.model_copy(
        update={"index_alias": f"test-worker-{uuid.uuid4().hex[:8]}"}
    )
    run = uuid.uuid4().hex[:8]
    events = fresh_events(run, ROWS[:3])
    wrong_dims = events[0].model_copy(
        update={
            "platform_message_id": f"{run}-dims",
            "event_id": f"twitter:{run}-dims",
            "classification": events[0].classification.model_copy(update={"embedding": [0.5] * 9}),
        }
    )
    poison = f'{{"event_id": "{run}'.encode()
    worker = index_worker(settings, tmp_path)
    dlq = TopicTail(settings, DLQ.name)
    es = elastic.client(settings)
    worker.start()
    try:
        producer = kafka.producer(settings)
        for event in [*events, events[1], wrong_dims]:  # events[1] redelivered
            producer.send(ROUTED.name, key=event.key, value=event.to_bytes())
        producer.send(ROUTED.name, key=b"c-poison", value=poison)
        producer.flush(timeout=30)
        producer.close()

        letters = [
            DeadLetter.model_validate_json(r.value)
            for r in dlq.read(
                expect=2,
                # Other workers (other tests' consumer groups) may dead-letter the poison
                # record too: only this worker's letters count.
                match=lambda r: _ours(r.value, run),
            )
        ]
        wanted = {e.event_id for e in events}
        deadline = time.monotonic() + 60
        found: set[str] = set()
        while found != wanted and time.monotonic() < deadline:
            es.indices.refresh(index=settings.index_alias)
            hits = es.search(index=settings.index_alias, query={"ids": {"values": list(wanted)}})
            found = {h["_id"] for h in hits["hits"]["hits"]}
            time.sleep(0.5)
        count = es.count(
            index=settings.index_alias, query={"prefix": {"platform_message_id": run}}
        )["count"]
    finally:
        worker.stop()
        dlq.close()
        es.close()
        drop_index(settings)
    assert found == wanted, worker.tail()
    assert count == 3  # the redelivery did not add a document, the refused one is absent
    reasons = {letter.error_type: letter for letter in letters}
    assert set(reasons) == {"ValidationError", "IndexRejected"}
    assert reasons["ValidationError"].original_value() == poison
    assert "dims" in reasons["IndexRejected"].error
    assert all(letter.service == "index" for letter in letters)


def test_a_write_blocked_index_holds_the_events_back_instead_of_dead_lettering_them(
    search_settings, tmp_path
):
    """403 from Elasticsearch (a write block here; a key without a privilege in a
    deployment) is a state to wait out: the events are indexed once it is lifted."""
    settings = search_settings.model_copy(
        update={"index_alias": f"test-worker-{uuid.uuid4().hex[:8]}"}
    )
    run = uuid.uuid4().hex[:8]
    events = fresh_events(run, ROWS[2:5])
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.indices.put_settings(index=settings.index_alias, settings={"index.blocks.write": True})
    worker = index_worker(settings, tmp_path)
    dlq = TopicTail(settings, DLQ.name)
    worker.start()
    try:
        producer = kafka.producer(settings)
        for event in events:
            producer.send(ROUTED.name, key=event.key, value=event.to_bytes())
        producer.flush(timeout=30)
        producer.close()
        deadline = time.monotonic() + 60
        while "index.retry" not in worker.tail(10**7) and time.monotonic() < deadline:
            time.sleep(0.2)  # until the worker met the block
        assert "index.retry" in worker.tail(10**7), worker.tail()
        es.indices.put_settings(index=settings.index_alias, settings={"index.blocks.write": None})
        wanted = {e.event_id for e in events}
        found: set[str] = set()
        deadline = time.monotonic() + 60
        while found != wanted and time.monotonic() < deadline:
            es.indices.refresh(index=settings.index_alias)
            hits = es.search(index=settings.index_alias, query={"ids": {"values": list(wanted)}})
            found = {h["_id"] for h in hits["hits"]["hits"]}
            time.sleep(0.5)
        letters = dlq.read_to_end(match=lambda r: _ours(r.value, run))
    finally:
        worker.stop()
        dlq.close()
        es.close()
        drop_index(settings)
    assert found == wanted, worker.tail()
    assert letters == []


def _ours(value: bytes, run: str) -> bool:
    letter = DeadLetter.model_validate_json(value)
    return letter.service == "index" and run.encode() in letter.original_value()


def test_conversation_states_are_indexed_replaced_and_deleted_by_their_tombstone(
    search_settings, tmp_path
):
    settings = search_settings.model_copy(
        update={"index_alias": f"test-worker-{uuid.uuid4().hex[:8]}"}
    )
    alias = elastic.conversations_alias(settings)
    run = uuid.uuid4().hex[:8]
    opened = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    first = Conversation(
        conversation_id=f"conv-{run}",
        platform="viber",
        brand_account_id="viber-bot",
        status="open",
        opened_at=opened,
        last_activity_at=opened,
    )
    later = first.model_copy(update={"status": ConversationStatus.resolved, "resolved_at": opened})
    other = first.model_copy(update={"conversation_id": f"conv-{run}-2"})
    worker = index_worker(settings, tmp_path)
    dlq = TopicTail(settings, DLQ.name)
    es = elastic.client(settings)
    worker.start()
    producer = kafka.producer(settings)
    try:
        for state in (first, other, later):
            producer.send(CONVERSATIONS.name, key=state.key, value=state.to_bytes())
        producer.send(CONVERSATIONS.name, key=b"conv-poison", value=f'{{"x": "{run}'.encode())
        producer.flush(timeout=30)
        assert _until(es, alias, lambda docs: len(docs) == 2, run) == {
            first.conversation_id: "resolved",
            other.conversation_id: "open",
        }, worker.tail()
        producer.send(CONVERSATIONS.name, key=first.key, value=None)  # the tombstone
        producer.flush(timeout=30)
        assert _until(es, alias, lambda docs: len(docs) == 1, run) == {
            other.conversation_id: "open"
        }, worker.tail()
        [letter] = [
            DeadLetter.model_validate_json(r.value)
            for r in dlq.read(expect=1, match=lambda r: _ours(r.value, run))
        ]
    finally:
        producer.close()
        worker.stop()
        dlq.close()
        es.close()
        drop_index(settings)
    assert (letter.error_type, letter.source_topic) == ("ValidationError", CONVERSATIONS.name)


def _until(es, alias: str, done, run: str, timeout: float = 60) -> dict[str, str]:
    """conversation id -> status of this run's documents, once ``done`` says so."""
    deadline = time.monotonic() + timeout
    while True:
        es.indices.refresh(index=alias)
        hits = es.search(index=alias, query={"prefix": {"conversation_id": f"conv-{run}"}})
        docs = {h["_id"]: h["_source"]["status"] for h in hits["hits"]["hits"]}
        if done(docs) or time.monotonic() > deadline:
            return docs
        time.sleep(0.5)
