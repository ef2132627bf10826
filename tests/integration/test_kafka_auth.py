"""The Kafka client security settings against a real SASL listener.

The local stack's broker has a SASL_PLAINTEXT (SCRAM-SHA-512) listener beside its
PLAINTEXT one, with one user that `stack up` creates. Every client here is built
by socialcare.kafka from settings alone, as the services build theirs.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka.errors import KafkaError

from socialcare import kafka
from socialcare.schema import Event
from socialcare.settings import Settings
from socialcare.topics import TopicSpec
from socialcare_dev.stack import LocalStack
from socialcare_dev.stack.kafka_server import SASL_MECHANISM, SASL_PASSWORD, SASL_USERNAME

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sasl_address(stack: LocalStack) -> str:
    # A refused connection is what a broken SASL listener looks like: fail, never skip.
    try:
        socket.create_connection((stack.kafka.host, stack.kafka.sasl_port), timeout=2).close()
    except OSError as exc:
        pytest.fail(
            f"no SASL listener on {stack.kafka.sasl_address} ({exc}); if the broker was "
            "started before the stack had one, `socialcare stack down && socialcare stack up` "
            "adds it"
        )
    return stack.kafka.sasl_address


def _sasl_settings(address: str, password: str, tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap_servers=address,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=SASL_MECHANISM,
        kafka_sasl_username=SASL_USERNAME,
        kafka_sasl_password=password,
        worker_data_dir=tmp_path / "workers",
    )


@pytest.fixture
def authenticated(sasl_address: str, tmp_path: Path) -> Settings:
    return _sasl_settings(sasl_address, SASL_PASSWORD, tmp_path)


@pytest.fixture
def topics(authenticated: Settings) -> Iterator[tuple[str, str]]:
    run = uuid.uuid4().hex[:10]
    source, sink = f"test.auth.in.{run}", f"test.auth.out.{run}"
    # Created through the SASL listener: the admin client authenticates too.
    created = kafka.ensure_topics(
        authenticated, [TopicSpec(name, 1, Event, "test") for name in (source, sink)]
    )
    assert created == [source, sink]
    yield source, sink
    admin = kafka.admin_client(authenticated)
    try:
        admin.delete_topics([source, sink])
    finally:
        admin.close()


def _consume(settings: Settings, topic: str, count: int) -> list[bytes]:
    consumer = kafka.consumer(
        settings,
        topic,
        group_id=f"test-auth-{uuid.uuid4().hex[:10]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    received: list[bytes] = []
    try:
        for record in consumer:
            received.append(record.value)
            if len(received) == count:
                break
    finally:
        consumer.close()
    return received


async def _run_echo_app(settings: Settings, source: str, sink: str, count: int) -> None:
    """A faust agent that copies ``count`` records from source to sink."""
    app = kafka.faust_app(f"test-auth-{uuid.uuid4().hex[:10]}", settings)
    sink_topic = app.topic(sink, value_type=bytes, value_serializer="raw")
    done = asyncio.Event()

    @app.agent(app.topic(source, value_type=bytes, value_serializer="raw"))
    async def echo(stream):  # type: ignore[no-untyped-def]
        seen = 0
        async for value in stream:
            await sink_topic.send(value=value)
            seen += 1
            if seen == count:
                done.set()

    await app.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=20)
        await app.producer.flush()
    finally:
        await app.stop()


def test_clients_with_the_right_password_produce_and_consume_over_sasl(
    authenticated: Settings, topics: tuple[str, str]
):
    source, sink = topics
    sent = [f"event {n}".encode() for n in range(5)]
    producer = kafka.producer(authenticated)
    try:
        for value in sent:
            producer.send(source, value=value)
        producer.flush(timeout=15)
    finally:
        producer.close()
    assert _consume(authenticated, source, len(sent)) == sent

    asyncio.run(_run_echo_app(authenticated, source, sink, len(sent)))
    assert _consume(authenticated, sink, len(sent)) == sent


def _failed_authentications(stack: LocalStack) -> int:
    return stack.kafka.process.log_file.read_text(errors="replace").count(
        "due to invalid credentials"
    )


def test_a_wrong_password_is_refused(stack: LocalStack, sasl_address: str, tmp_path: Path):
    wrong = _sasl_settings(sasl_address, "not-the-password", tmp_path)
    refused_before = _failed_authentications(stack)

    # kafka-python 3.0.12 drops the broker's SaslAuthenticate error when the broker
    # closes the connection right after it, so it reports the failure as a bootstrap
    # timeout; the broker's log says why.
    with pytest.raises(KafkaError):
        kafka.producer(wrong, bootstrap_timeout_ms=3000)

    async def aiokafka_admin() -> None:
        # faust's own mapping of broker_credentials onto its aiokafka clients.
        admin = AIOKafkaAdminClient(
            bootstrap_servers=sasl_address,
            request_timeout_ms=3000,
            **credentials_to_aiokafka_auth(kafka.faust_credentials(wrong)),
        )
        try:
            await admin.start()
        finally:
            await admin.close()

    with pytest.raises(Exception, match="Unable to bootstrap"):
        asyncio.run(aiokafka_admin())
    assert _failed_authentications(stack) >= refused_before + 2
