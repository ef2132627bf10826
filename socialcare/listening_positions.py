"""The X listening poller's position per brand (X is the one platform it polls), on the compacted
``social.listening.positions`` (key: the brand's name): the newest tweet id whose
events Kafka has acknowledged, so a restarted poller searches on from there."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ListeningPosition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brand: str = Field(min_length=1, description="The brand's name in the listening rules.")
    newest_id: str = Field(
        pattern=r"^\d+$", description="The newest post id published; the next since_id."
    )
    query: str = Field(description="The search query the position was reached with.")
    updated_at: datetime

    @property
    def key(self) -> bytes:
        """The Kafka message key: the brand; compaction keeps its latest position."""
        return self.brand.encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()
