from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from socialcare.settings import Settings


class SearchSettings(Settings):
    search_api_keys: Annotated[dict[str, frozenset[str]], NoDecode] = Field(
        default_factory=dict,
        description="API keys and their scopes: `key:read,adminkey:read+erase` "
        "(read: search; erase: delete a customer's data).",
    )
    index_app_id: str = Field(
        "socialcare-index", description="Faust app id of the index worker: its consumer group."
    )
    index_web_port: int = Field(
        6068, description="Port of the index worker's /healthz, /readyz and /metrics."
    )
    index_batch_size: int = Field(500, ge=1, description="Most events in one bulk request.")
    index_batch_seconds: float = Field(
        1.0, gt=0, description="Longest wait to fill a bulk request."
    )

    @field_validator("search_api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        keys: dict[str, frozenset[str]] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key, _, scopes = item.partition(":")
            keys[key] = frozenset((scopes or "read").split("+"))
        return keys
