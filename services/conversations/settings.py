from pydantic import Field

from socialcare.route.settings import RoutingConfigSettings


class ConversationsSettings(RoutingConfigSettings):
    conversations_app_id: str = Field(
        "socialcare-conversations",
        description="Faust app id of the conversations worker: its consumer group.",
    )
    conversations_web_port: int = Field(
        6070, description="Port of the conversations worker's /healthz, /readyz and /metrics."
    )
    conversations_idle_seconds: float | None = Field(
        None,
        gt=0,
        description="Forget a conversation idle this long (its state is deleted, with a "
        "tombstone in the changelog and on support.conversations). Default: "
        "SOCIALCARE_RETENTION_CONVERSATIONS_DAYS, how long support.conversations keeps it.",
    )
    conversations_expiry_interval_seconds: float = Field(
        300.0,
        gt=0,
        description="How often the conversations worker looks for idle conversations.",
    )
