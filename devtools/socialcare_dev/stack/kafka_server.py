"""A single-node KRaft Kafka broker from Maven Central jars, run without Docker."""

from __future__ import annotations

import base64
import socket
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import UserScramCredentialUpsertion
from kafka.errors import KafkaConfigurationError, KafkaError

from socialcare_dev.process import ManagedProcess, require_free_ports
from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import maven
from socialcare_dev.stack.errors import StackError
from socialcare_dev.stack.java import java_bin
from socialcare_dev.stack.versions import KAFKA_SCALA, KAFKA_VERSION, LOG4J_VERSION

_LOG4J2 = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
"""


# The SASL listener's one user: tests authenticate as it, and with a wrong password
# to see a client fail. A local, loopback-only broker, so no secret to protect.
SASL_MECHANISM = "SCRAM-SHA-512"
SASL_USERNAME = "socialcare-test"
SASL_PASSWORD = "socialcare-test-password"


class KafkaServer:
    name = "kafka"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.kafka_address
        self.controller_port = self.port + 1
        # Beside the PLAINTEXT listener, not instead: everything else keeps using that
        # one, while the clients' SASL settings can be tried against a real broker.
        self.sasl_port = self.port + 2
        root = settings.stack_dir.resolve()
        self.lib = root / "downloads" / f"kafka_{KAFKA_SCALA}-{KAFKA_VERSION}" / "lib"
        self.home = root / "kafka"
        self.data = self.home / "data"
        self.config = self.home / "server.properties"
        self.process = ManagedProcess(
            "Kafka",
            self.home / "logs" / "kafka.log",
            cwd=self.home,
            pid_file=self.home / "kafka.pid",
            marker=str(self.config),
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def sasl_address(self) -> str:
        return f"{self.host}:{self.sasl_port}"

    def install(self, say: Callable[[str], None]) -> None:
        done = self.lib / ".complete"
        if done.exists():
            return
        say(f"downloading Kafka {KAFKA_VERSION} jars from Maven Central into {self.lib}")
        maven.copy_dependencies(
            [
                ("org.apache.kafka", f"kafka_{KAFKA_SCALA}", KAFKA_VERSION),
                ("org.apache.logging.log4j", "log4j-api", LOG4J_VERSION),
                ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
                ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
            ],
            self.lib,
        )
        done.touch()

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(_LOG4J2)
        self.config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers={self.host}:{self.controller_port}",
                    f"listeners=PLAINTEXT://{self.host}:{self.port},"
                    f"CONTROLLER://{self.host}:{self.controller_port},"
                    f"SASL_PLAINTEXT://{self.sasl_address}",
                    f"advertised.listeners=PLAINTEXT://{self.address},"
                    f"SASL_PLAINTEXT://{self.sasl_address}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
                    "SASL_PLAINTEXT:SASL_PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    # No authorizer: an authenticated user may do what ANONYMOUS may do
                    # on the PLAINTEXT listener, so the listener tests authentication only.
                    f"sasl.enabled.mechanisms={SASL_MECHANISM}",
                    f"listener.name.sasl_plaintext.{SASL_MECHANISM.lower()}.sasl.jaas.config="
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                    f"log.dirs={self.data}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # Topics are created explicitly (stack up, faust) with their partitions;
                    # an auto-created topic would silently get the wrong count.
                    "auto.create.topics.enable=false",
                    # Single-member groups in tests and demos should start at once.
                    "group.initial.rebalance.delay.ms=0",
                    "",
                ]
            )
        )

    def _format(self) -> None:
        if (self.data / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            [
                str(java_bin()),
                "-cp",
                f"{self.lib}/*",
                f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                # "=": a random id may start with "-", which would read as an option.
                f"--cluster-id={cluster_id}",
                "-c",
                str(self.config),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def start_process(self, say: Callable[[str], None]) -> None:
        ports = (self.port, self.controller_port, self.sasl_port)
        require_free_ports(self.name, self.host, ports)
        self._write_config()
        self._format()
        heap = self.settings.stack_kafka_heap
        self.process.command = [
            str(java_bin()),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.lib}/*",
            "kafka.Kafka",
            str(self.config),
        ]
        self.process.spawn()
        say(f"starting Kafka {KAFKA_VERSION} on {self.address} (log: {self.process.log_file})")

    def wait_ready(self) -> float:
        return self.process.wait_ready(self.settings.stack_start_timeout, self.is_ready)

    def is_ready(self) -> bool:
        # A plain connect first: kafka-python logs every refused connection as an error.
        try:
            socket.create_connection((self.host, self.port), timeout=2).close()
        except OSError:
            return False
        try:
            admin = self._admin(request_timeout_ms=3000)
        except KafkaConfigurationError:
            raise
        except KafkaError:
            return False
        try:
            return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
        finally:
            admin.close()

    def ensure_sasl_user(self) -> None:
        """Create or reset the SASL listener's user.

        SCRAM credentials live in the cluster metadata, so an upsert on every `up`
        (idempotent: same name, same password) also serves a data directory formatted
        before the SASL listener existed, which `kafka-storage format --add-scram`
        could not reach.
        """
        admin = self._admin()
        try:
            errors = admin.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(SASL_USERNAME, SASL_MECHANISM, SASL_PASSWORD)]
            )
        finally:
            admin.close()
        if errors.get(SASL_USERNAME):
            raise StackError(f"creating Kafka user {SASL_USERNAME} failed: {errors}")

    def _admin(self, **extra: Any) -> KafkaAdminClient:
        # Not socialcare.kafka.admin_client: the stack manages its own broker through
        # the PLAINTEXT listener it configured, whatever security the settings give
        # the services' clients.
        return KafkaAdminClient(bootstrap_servers=[self.address], **extra)

    def log_paths(self) -> list[Path]:
        return [self.process.log_file]
