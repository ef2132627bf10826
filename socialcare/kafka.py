"""Kafka client set-up shared by the services: admin, producer, consumer and faust apps.

Nothing here connects at import; each function builds a client when called. How a
client reaches the brokers (servers, TLS, SASL) is decided here once, in
``client_config`` and ``faust_credentials``, so no client can connect with less
security than the settings ask for.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import faust
from faust.types.auth import CredentialsT
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from socialcare.logging import get_logger
from socialcare.settings import Settings
from socialcare.topics import TopicSpec

log = get_logger(__name__)


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of the SSL protocols: the configured CA (or the system's)
    and hostname verification; None when the protocol is not TLS."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    cafile = settings.kafka_ssl_cafile
    return ssl.create_default_context(cafile=str(cafile) if cafile else None)


def client_config(settings: Settings) -> dict[str, Any]:
    """The keyword arguments every kafka-python client needs to reach the brokers:
    where they are and how to authenticate and encrypt."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = _ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    if (credentials := settings.kafka_sasl_credentials) is not None:
        username, password = credentials
        config.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=username,
            sasl_plain_password=password,
        )
    return config


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """``client_config`` for faust (aiokafka): its ``broker_credentials``."""
    context = _ssl_context(settings)
    if (credentials := settings.kafka_sasl_credentials) is not None:
        username, password = credentials
        # With an ssl_context faust speaks SASL_SSL, without one SASL_PLAINTEXT.
        return faust.SASLCredentials(
            username=username,
            password=password,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def admin_client(settings: Settings, **extra: Any) -> KafkaAdminClient:
    config = {**client_config(settings), "client_id": f"{settings.kafka_client_id}-admin"}
    return KafkaAdminClient(**{**config, **extra})


# The metadata of offsets committed to move a consumer group past records it never
# processed (a backlog skipped on purpose): a worker that reads again what it had
# consumed before a restart (the alerts worker) reads nothing before such a commit.
BACKLOG_SKIPPED = "socialcare:backlog-skipped"


def consumer(settings: Settings, *topics: str, **extra: Any) -> KafkaConsumer:
    """A consumer of ``topics`` (none: assign or subscribe later)."""
    config = {**client_config(settings), "client_id": f"{settings.kafka_client_id}-consumer"}
    return KafkaConsumer(*topics, **{**config, **extra})


def producer(settings: Settings, **extra: Any) -> KafkaProducer:
    """A producer whose acknowledged sends are durable and never duplicated by retries.

    acks=all with idempotence is what lets ingest answer 2xx only once Kafka has
    the event: an acknowledged record survives a leader change.
    """
    config: dict[str, Any] = {
        **client_config(settings),
        "client_id": f"{settings.kafka_client_id}-producer",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "compression_type": "gzip",
    }
    config.update(extra)
    return KafkaProducer(**config)


def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    specs = list(specs)
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=settings.kafka_replication_factor,
                            topic_configs=spec.config,
                        )
                    ]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass  # another process won the race; the topic is there, which is the goal
        if created:
            log.info("kafka.topics_created", topics=created)
        return created
    finally:
        admin.close()


def faust_app(app_id: str, settings: Settings, **extra: Any) -> faust.App:
    """A faust app wired to the configured brokers.

    Tables use the in-memory store backed by their changelog topic, so state
    survives restarts and rebalances without a local RocksDB volume.
    """
    config: dict[str, Any] = {
        "broker": [f"kafka://{s}" for s in settings.kafka_servers],
        "store": "memory://",
        "topic_replication_factor": settings.kafka_replication_factor,
        "topic_allow_declare": True,
        "producer_acks": -1,
        "consumer_auto_offset_reset": "earliest",
        "web_enabled": False,
        "datadir": str(settings.worker_data_dir / app_id),
    }
    credentials = faust_credentials(settings)
    if credentials is not None:
        config["broker_credentials"] = credentials
    config.update(extra)
    # faust creates its data directory without parents.
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(app_id, **config)


def worker_app(
    app_id: str, settings: Settings, web_port: int, service: str, source: str
) -> faust.App:
    """A faust app for a pipeline worker: its web server serves /healthz, /readyz and
    /metrics (the Kubernetes probes and the Prometheus scrape), and it reports its
    consumer group's lag on ``source`` as ``socialcare_consumer_lag``."""
    from socialcare.lag import LagProbe
    from socialcare.worker_web import add_ops_pages

    app = faust_app(app_id, settings, web_enabled=True, web_port=web_port, web_bind="0.0.0.0")
    add_ops_pages(app)
    probe = LagProbe(settings, group=app_id, service=service)

    @app.timer(interval=settings.consumer_lag_interval_seconds)
    async def report_lag() -> None:
        try:
            # kafka-python is blocking: off the event loop that heartbeats for faust.
            await asyncio.to_thread(probe.measure, {source})
        except Exception as exc:  # a metric must never stop the worker
            log.warning("consumer_lag.unavailable", service=service, error=str(exc))

    return app


def run_worker(app: faust.App, log_level: str = "INFO") -> None:
    """Run a faust app as a worker in this process until SIGTERM/SIGINT.

    Logging stays as ``configure_logging`` set it (JSON lines), not faust's own.
    On SIGTERM faust stops the agents, commits acknowledged offsets and leaves the
    consumer group, so a rolling restart hands partitions over cleanly.
    """
    from faust.worker import Worker

    Worker(
        app,
        loglevel=log_level.lower(),
        redirect_stdouts=False,
        override_logging=False,
        quiet=True,  # no banner or spinner on stdout: logs only
    ).execute_from_commandline()
