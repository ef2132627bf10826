"""The emulator's control endpoints under ``/_emulator``: what it received, and the
faults it was told to inject."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel

from socialcare_dev.emulator.faults import Fault, FaultBook, FaultSpec
from socialcare_dev.emulator.ids import Ids
from socialcare_dev.emulator.recording import Record, Recorder


class Emulator:
    """The emulator's state: one per app."""

    def __init__(self, hang_seconds: float) -> None:
        self.hang_seconds = hang_seconds
        self.recorder = Recorder()
        self.faults = FaultBook()
        self.ids = Ids()


class Requests(BaseModel):
    requests: list[Record]


class Faults(BaseModel):
    faults: list[Fault]


def control_router(emulator: Emulator) -> APIRouter:
    router = APIRouter(prefix="/_emulator", tags=["control"])

    @router.get("/requests")
    async def list_requests(platform: str | None = None, since: str | None = None) -> Requests:
        """The requests received, oldest first: of one platform (x = twitter), after
        ``since`` (a record's ``seq``, or an ISO 8601 time)."""
        platform = "twitter" if platform == "x" else platform
        return Requests(requests=emulator.recorder.select(platform, _since(since)))

    @router.delete("/requests", status_code=204)
    async def clear_requests() -> Response:
        emulator.recorder.clear()
        return Response(status_code=204)

    @router.post("/faults", status_code=201)
    async def add_fault(spec: FaultSpec) -> Fault:
        """Make the next ``count`` calls of ``platform`` (null: any) fail."""
        return emulator.faults.add(spec)

    @router.get("/faults")
    async def list_faults() -> Faults:
        return Faults(faults=emulator.faults.pending())

    @router.delete("/faults", status_code=204)
    async def clear_faults() -> Response:
        emulator.faults.clear()
        return Response(status_code=204)

    return router


def _since(value: str | None) -> int | datetime | None:
    if value is None or value == "":
        return None
    if value.isdigit():
        return int(value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, "since must be a seq or an ISO 8601 time") from None
