"""Settings of the development tools: the product's settings plus the local stack's."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from socialcare.settings import Settings


class StackSettings(Settings):
    """What `socialcare stack`, the demo, the benchmarks and the tests need beyond the
    product's settings: where and how the local Kafka and Elasticsearch run."""

    stack_dir: Path = Field(
        Path(".stack"),
        description="Where `socialcare stack` keeps downloads, data and logs of the local stack.",
    )
    stack_kafka_heap: str = Field("1g", description="JVM heap of the local Kafka broker.")
    stack_elasticsearch_heap: str = Field("1g", description="JVM heap of the local ES node.")
    stack_start_timeout: float = Field(
        180.0, gt=0, description="Seconds `stack up` waits for each server to become ready."
    )
