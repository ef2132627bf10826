"""Runtime configuration, read once from environment variables.

Every variable is prefixed ``SOCIALCARE_``; the defaults suit the local stack that
``socialcare stack up`` starts, so a laptop needs no configuration at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALCARE_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated host:port."
    )
    kafka_replication_factor: int = Field(
        1, ge=1, description="Replication factor of the topics `stack up` creates (3 in prod)."
    )
    kafka_client_id: str = Field("socialcare", description="Client id prefix sent to Kafka.")
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        "PLAINTEXT",
        description="How the clients reach Kafka: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL "
        "(SASL_SSL in Kubernetes).",
    )
    kafka_sasl_mechanism: KafkaSaslMechanism = Field(
        "SCRAM-SHA-512",
        description="SASL mechanism of the SASL_* protocols: SCRAM-SHA-512, SCRAM-SHA-256 or "
        "PLAIN.",
    )
    kafka_sasl_username: str | None = Field(
        None, description="Kafka user of the SASL_* protocols (the service's KafkaUser)."
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, description="Password of the Kafka user; required with SASL_*."
    )
    kafka_ssl_cafile: FilePath | None = Field(
        None,
        description="PEM file of the CA that signed the brokers' certificates (SSL, SASL_SSL); "
        "unset: the system's CAs.",
    )
    elasticsearch_url: str = Field(
        "http://127.0.0.1:9200", description="Elasticsearch URL (http or https)."
    )
    elasticsearch_api_key: str | None = Field(
        None, description="Elasticsearch API key; unset for a cluster without security."
    )
    elasticsearch_ca_certs: FilePath | None = Field(
        None,
        description="PEM file of the CA that signed Elasticsearch's HTTP certificate (an "
        "https URL); unset: the system's CAs.",
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
    embedding_search: Literal["flat", "hnsw"] = Field(
        "flat",
        description="How a new events index searches embeddings (similar messages): `flat` "
        "compares with every event's int8 vector (exact, cheapest to index; its cost grows "
        "with the index), `hnsw` walks a graph (approximate, for millions of events; costs "
        "indexing time). docs/performance.md has the measurements.",
    )
    worker_data_dir: Path = Field(
        Path(".stack/workers"),
        description="Scratch directory of faust workers (table state is in Kafka changelogs).",
    )
    consumer_lag_interval_seconds: float = Field(
        15.0, gt=0, description="How often a worker measures its consumer lag (metric)."
    )
    listening_config: Path | None = Field(
        None,
        description="Listening rules file (YAML, docs/listening.md): per brand its terms by "
        "language, exclusions and own accounts. Unset: the shipped default_listening.yaml "
        "(the demo brands), unless SOCIALCARE_LISTENING_KEYWORDS is set.",
    )
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_format: Literal["json", "console"] = Field(
        "json", description="json for machines (one object per line), console for people."
    )
    log_id_key: SecretStr | None = Field(
        None,
        description="Secret key of the hashes that stand for event, conversation and author "
        "ids in logs (they can hold phone numbers); the same in every service so one event "
        "can be followed through the pipeline. Unset: a public fallback key.",
    )

    @model_validator(mode="after")
    def _security_is_consistent(self) -> Self:
        # A setting the chosen protocol would ignore is a deployment mistake (the
        # service would connect with less security than intended), so it fails at
        # start-up instead of silently.
        protocol = self.kafka_security_protocol
        sasl = protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"SOCIALCARE_KAFKA_SECURITY_PROTOCOL={protocol} needs "
                "SOCIALCARE_KAFKA_SASL_USERNAME and SOCIALCARE_KAFKA_SASL_PASSWORD"
            )
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password):
            raise ValueError(
                "SOCIALCARE_KAFKA_SASL_USERNAME/_PASSWORD are set but "
                f"SOCIALCARE_KAFKA_SECURITY_PROTOCOL={protocol} sends no credentials; "
                "use SASL_SSL or SASL_PLAINTEXT"
            )
        if self.kafka_ssl_cafile and not protocol.endswith("SSL"):
            raise ValueError(
                "SOCIALCARE_KAFKA_SSL_CAFILE is set but "
                f"SOCIALCARE_KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS; "
                "use SSL or SASL_SSL"
            )
        if self.elasticsearch_ca_certs and urlsplit(self.elasticsearch_url).scheme != "https":
            raise ValueError(
                "SOCIALCARE_ELASTICSEARCH_CA_CERTS is set but SOCIALCARE_ELASTICSEARCH_URL "
                f"({self.elasticsearch_url}) is not https"
            )
        return self

    @property
    def kafka_sasl_credentials(self) -> tuple[str, str] | None:
        """(username, password) when the protocol is SASL_*, else None."""
        if not self.kafka_security_protocol.startswith("SASL_"):
            return None
        # The validator above makes both present; this narrows the types.
        if self.kafka_sasl_username is None or self.kafka_sasl_password is None:
            raise ValueError("SASL credentials are missing")
        return self.kafka_sasl_username, self.kafka_sasl_password.get_secret_value()

    @property
    def kafka_servers(self) -> list[str]:
        """The bootstrap servers as the Kafka clients take them: one ``host:port`` each.

        The one place ``kafka_bootstrap_servers`` is parsed."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    @property
    def kafka_addresses(self) -> list[tuple[str, int]]:
        """The bootstrap servers as (host, port), for a plain connect; a server without
        a host is on 127.0.0.1. ValueError if a port is not a number."""
        addresses = []
        for server in self.kafka_servers:
            host, _, port = server.rpartition(":")
            addresses.append((host or "127.0.0.1", int(port)))
        return addresses

    @property
    def kafka_address(self) -> tuple[str, int]:
        """First bootstrap server, which is where the local broker listens."""
        return self.kafka_addresses[0]

    @property
    def elasticsearch_address(self) -> tuple[str, int]:
        parts = urlsplit(self.elasticsearch_url)
        return parts.hostname or "127.0.0.1", parts.port or 9200
