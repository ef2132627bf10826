"""Settings of the index worker: the shared ones (Elasticsearch, Kafka, the index
alias) and its own batching and ports."""

from pydantic import Field

from socialcare.route.settings import RoutingConfigSettings


class IndexSettings(RoutingConfigSettings):
    index_app_id: str = Field(
        "socialcare-index", description="Faust app id of the index worker: its consumer group."
    )
    index_web_port: int = Field(
        6068, description="Port of the index worker's /healthz, /readyz and /metrics."
    )
    index_batch_size: int = Field(500, ge=1, description="Most events in one bulk request.")
    # 1 s of waiting was most of webhook -> indexed at half load (bench/e2e.py at
    # ~42/s: p50 1,171 -> 626 ms, p99 2,272 -> 1,187 ms with 0.25 s, no more CPU).
    index_batch_seconds: float = Field(
        0.25, gt=0, description="Longest wait to fill a bulk request."
    )
    index_bulk_concurrency: int = Field(
        2,
        ge=1,
        description="Bulk requests a batch is split into, sent at the same time.",
    )
