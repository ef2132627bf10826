from pathlib import Path

from pydantic import Field

from services.route.config import DEFAULT_CONFIG
from socialcare.settings import Settings


class RouteSettings(Settings):
    routing_config: Path = Field(
        DEFAULT_CONFIG, description="The routing rules file (YAML); see docs/routing.md."
    )
    route_app_id: str = Field(
        "socialcare-route", description="Faust app id of the route worker: its consumer group."
    )
    route_web_port: int = Field(
        6067, description="Port of the route worker's /healthz, /readyz and /metrics."
    )
