from pydantic import Field, SecretStr

from socialcare.settings import Settings


class ListenSettings(Settings):
    """The listening poller's settings (``SOCIALCARE_LISTEN_*``); the brands are the
    listening rules of ``SOCIALCARE_LISTENING_CONFIG`` (shared with ingest)."""

    listen_x_base_url: str = Field(
        "https://api.x.com", description="X API base URL of the listening poller's recent search."
    )
    listen_x_bearer_token: SecretStr | None = Field(
        None,
        description="X API bearer token (app-only) for recent search (secret); unset: the "
        "poller does not poll.",
    )
    listen_poll_interval_seconds: float = Field(
        60.0, gt=0, description="Pause between two polls of every brand's search."
    )
    listen_max_results: int = Field(
        100, ge=10, le=100, description="Posts per page of X recent search (10-100)."
    )
    listen_http_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for X's answer to one search request."
    )
    listen_publish_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for Kafka to acknowledge one page's events."
    )
    listen_web_port: int = Field(
        6073, description="Port of the listening poller's /healthz, /readyz and /metrics."
    )
