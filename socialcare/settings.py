"""Runtime configuration, read once from environment variables.

Every variable is prefixed ``SOCIALCARE_``; the defaults suit the local stack that
``socialcare stack up`` starts, so a laptop needs no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALCARE_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated host:port."
    )
    kafka_replication_factor: int = Field(
        1, ge=1, description="Replication factor of the topics `stack up` creates (3 in prod)."
    )
    kafka_client_id: str = Field("socialcare", description="Client id prefix sent to Kafka.")
    elasticsearch_url: str = Field(
        "http://127.0.0.1:9200", description="Elasticsearch URL (http or https)."
    )
    elasticsearch_api_key: str | None = Field(
        None, description="Elasticsearch API key; unset for a cluster without security."
    )
    index_alias: str = Field(
        "social-events", description="Alias agents search; points at the current index version."
    )
    index_shards: int = Field(1, ge=1, description="Primary shards of a new events index.")
    index_replicas: int = Field(
        0, ge=0, description="Replicas per shard of the events index (0 on a single node)."
    )
    embedding_dims: int = Field(
        384, ge=1, description="Size of the classifier's sentence embedding (dense_vector dims)."
    )
    worker_data_dir: Path = Field(
        Path(".stack/workers"),
        description="Scratch directory of faust workers (table state is in Kafka changelogs).",
    )
    consumer_lag_interval_seconds: float = Field(
        15.0, gt=0, description="How often a worker measures its consumer lag (metric)."
    )
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_format: Literal["json", "console"] = Field(
        "json", description="json for machines (one object per line), console for people."
    )
    stack_dir: Path = Field(
        Path(".stack"),
        description="Where `socialcare stack` keeps downloads, data and logs of the local stack.",
    )
    stack_kafka_heap: str = Field("1g", description="JVM heap of the local Kafka broker.")
    stack_elasticsearch_heap: str = Field("1g", description="JVM heap of the local ES node.")
    stack_start_timeout: float = Field(
        180.0, gt=0, description="Seconds `stack up` waits for each server to become ready."
    )

    @property
    def kafka_address(self) -> tuple[str, int]:
        """First bootstrap server, which is where the local broker listens."""
        host, _, port = self.kafka_bootstrap_servers.split(",")[0].strip().rpartition(":")
        return host or "127.0.0.1", int(port)

    @property
    def elasticsearch_address(self) -> tuple[str, int]:
        parts = urlsplit(self.elasticsearch_url)
        return parts.hostname or "127.0.0.1", parts.port or 9200


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()
