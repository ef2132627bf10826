"""Faults the emulator was told to inject: the next N calls of a platform (or of any)
fail in one of four ways."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from socialcare.schema import KNOWN_PLATFORMS


class FaultKind(StrEnum):
    rate_limit = "rate_limit"
    server_error = "server_error"
    timeout = "timeout"
    policy = "policy"


class FaultSpec(BaseModel):
    platform: str | None = Field(
        None, description="One of the seven platforms (x = twitter); null: any platform."
    )
    kind: FaultKind
    count: int = Field(1, ge=1, description="How many calls fail.")
    retry_after: int = Field(5, ge=0, description="rate_limit: the seconds to wait.")
    status: int | None = Field(None, ge=500, le=599, description="server_error: the status.")
    hang_seconds: float | None = Field(
        None, ge=0, description="timeout: how long to hang (default: the server's)."
    )

    @field_validator("platform")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value == "x":
            return "twitter"
        if value is not None and value not in KNOWN_PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(KNOWN_PLATFORMS)} or x")
        return value


class Fault(FaultSpec):
    id: int
    remaining: int


class FaultBook:
    """Pending faults, the oldest matching one used first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(**spec.model_dump(), id=self._next_id, remaining=spec.count)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, platform: str | None) -> Fault | None:
        """The fault this call of ``platform`` must suffer, if any (counted down)."""
        for fault in self._faults:
            if fault.platform is None or fault.platform == platform:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()
