from pathlib import Path

from pydantic import Field

from socialcare.route.config import DEFAULT_CONFIG
from socialcare.settings import Settings


class RoutingConfigSettings(Settings):
    """The settings of every service that reads the routing file (the route worker;
    the conversations worker, for automatic replies; the index worker, for
    business-hours measures)."""

    routing_config: Path = Field(
        DEFAULT_CONFIG, description="The routing rules file (YAML); see docs/routing.md."
    )


class RouteSettings(RoutingConfigSettings):
    route_app_id: str = Field(
        "socialcare-route", description="Faust app id of the route worker: its consumer group."
    )
    route_web_port: int = Field(
        6067, description="Port of the route worker's /healthz, /readyz and /metrics."
    )
    route_conversation_idle_seconds: float | None = Field(
        None,
        gt=0,
        description="Forget a conversation idle this long (its state is deleted, with a "
        "tombstone in the changelog). Default: computed from the routing rules, the "
        "longest window a rule counts contacts in or a first-response clock can run on "
        "the wall clock (4 days 21 hours for the shipped rules).",
    )
    route_expiry_interval_seconds: float = Field(
        300.0, gt=0, description="How often the route worker looks for idle conversations."
    )
