"""The Instagram Graph API's mention reads, over captions and comments a test seeded
with ``POST /_emulator/instagram/media`` and ``/_emulator/instagram/comments``:

- ``GET /{version}/{ig_user_id}?fields=mentioned_media.media_id({id}){caption,...}``
- ``GET /{version}/{ig_user_id}?fields=mentioned_comment.comment_id({id}){text,...}``

-> 200 ``{"mentioned_media": {<the fields asked for>, "id"}, "id": ig_user_id}``; an id
nobody seeded is Graph's 400 code 100 subcode 33. Faults apply as to any Instagram
call (``policy`` is that same 400).
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from socialcare_dev.emulator.calls import Answer, Call
from socialcare_dev.emulator.graph import authorized, error

PATH = "/{version}/{object_id}"
_FIELDS = re.compile(
    r"^(mentioned_media|mentioned_comment)\.(media_id|comment_id)\((\w+)\)\{([\w,]+)\}$"
)
_EDGES = {"mentioned_media": "media_id", "mentioned_comment": "comment_id"}
_READABLE = {
    "mentioned_media": {"caption", "username", "timestamp", "media_type", "like_count"},
    "mentioned_comment": {"text", "username", "timestamp", "like_count"},
}


class SeedMedia(BaseModel):
    """A post whose caption @mentions the brand."""

    id: str = Field(pattern=r"^\d+$")
    caption: str
    username: str = Field(min_length=1)
    media_type: str = "IMAGE"
    timestamp: datetime | None = None


class SeedComment(BaseModel):
    """A comment that @mentions the brand."""

    id: str = Field(pattern=r"^\d+$")
    text: str
    username: str = Field(min_length=1)
    timestamp: datetime | None = None


class Mentions:
    """The seeded captions and comments; one per emulator."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, dict[str, object]]] = {
            "mentioned_media": {},
            "mentioned_comment": {},
        }
        self._lock = threading.Lock()

    def seed(self, edge: str, item: SeedMedia | SeedComment) -> None:
        fields = item.model_dump(exclude={"timestamp"})
        at = item.timestamp or datetime.now(UTC)
        # Graph's own format: "2026-11-23T10:00:00+0000".
        fields["timestamp"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        with self._lock:
            self.found[edge][item.id] = fields

    def read(self, call: Call) -> Answer:
        """``GET /{version}/{ig_user_id}?fields=mentioned_media...`` or ``mentioned_comment``."""
        if (failed := authorized(call)) is not None:
            return failed
        asked = _FIELDS.match(call.query.get("fields", ""))
        if asked is None or _EDGES[asked[1]] != asked[2]:
            return error(call, 400, "(#100) Tried accessing nonexisting field", 100)
        edge, object_id, fields = asked[1], asked[3], asked[4].split(",")
        with self._lock:
            found = self.found[edge].get(object_id)
        if found is None:
            message = f"Unsupported get request. Object with ID '{object_id}' does not exist"
            return error(call, 400, message, 100, 33)
        picked = {f: found[f] for f in fields if f in _READABLE[edge] and f in found}
        return Answer(200, {edge: {**picked, "id": object_id}, "id": call.path_params["object_id"]})

    def clear(self) -> None:
        with self._lock:
            for found in self.found.values():
                found.clear()


def control_router(mentions: Mentions) -> APIRouter:
    router = APIRouter(prefix="/_emulator/instagram", tags=["control"])

    @router.post("/media", status_code=201)
    async def seed_media(media: SeedMedia) -> SeedMedia:
        """A captioned post that mentions the brand: what ``mentioned_media`` reads."""
        mentions.seed("mentioned_media", media)
        return media

    @router.post("/comments", status_code=201)
    async def seed_comment(comment: SeedComment) -> SeedComment:
        """A comment that mentions the brand: what ``mentioned_comment`` reads."""
        mentions.seed("mentioned_comment", comment)
        return comment

    @router.delete("/mentions", status_code=204)
    async def forget() -> Response:
        mentions.clear()
        return Response(status_code=204)

    return router
