"""Reading from the Meta Graph API what a notification only names by id: the caption
or the comment an Instagram account was @mentioned in, and who wrote it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import SecretStr

# Graph answers "2017-05-04T17:51:08+0000".
_TIMESTAMP = "%Y-%m-%dT%H:%M:%S%z"


class GraphError(Exception):
    """A fetch that did not answer with the object; ``retry_after`` when Graph says."""

    def __init__(
        self,
        reason: str,
        status: int | None = None,
        retry_after: float = 0.0,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after
        # Unreachable, overloaded or failing: worth another try. A refusal (a bad token,
        # no permission, an unknown media) answers the same next time.
        if retryable is None:
            retryable = status is None or status in (408, 429) or status >= 500
        self.retryable = retryable


@dataclass(frozen=True)
class Mentioned:
    """The caption or comment that mentions the account."""

    text: str
    username: str
    written_at: datetime | None


class MentionReader:
    """``GET /{ig-user-id}?fields=mentioned_media...`` and ``mentioned_comment...``."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        # Created here but connects on first use: nothing reaches the network at start-up.
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", timeout=timeout, transport=transport
        )

    async def mention(self, account: str, media_id: str, comment_id: str | None) -> Mentioned:
        if self.token is None:
            raise GraphError("SOCIALCARE_INGEST_GRAPH_ACCESS_TOKEN is not set", retryable=False)
        if comment_id is None:
            edge, fields = f"mentioned_media.media_id({media_id})", "caption,username,timestamp"
        else:
            edge, fields = f"mentioned_comment.comment_id({comment_id})", "text,username,timestamp"
        try:
            answer = await self.client.get(
                account,
                params={"fields": f"{edge}{{{fields}}}"},
                # In a header, not the query: URLs end up in proxies' logs.
                headers={"Authorization": f"Bearer {self.token.get_secret_value()}"},
            )
        except httpx.HTTPError as exc:
            raise GraphError(f"Graph API unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise GraphError(
                f"Graph API answered {answer.status_code}",
                answer.status_code,
                _retry_after(answer.headers.get("retry-after")),
            )
        return _mentioned(answer, "mentioned_media" if comment_id is None else "mentioned_comment")

    async def aclose(self) -> None:
        await self.client.aclose()


def _mentioned(answer: httpx.Response, edge: str) -> Mentioned:
    try:
        found = answer.json()[edge]
        text = found["caption" if edge == "mentioned_media" else "text"]
        username = found["username"]
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphError(f"Graph API answer has no {edge}", answer.status_code) from exc
    if not isinstance(text, str) or not isinstance(username, str) or not username:
        raise GraphError(f"Graph API answer's {edge} is malformed", answer.status_code)
    return Mentioned(text=text, username=username, written_at=_timestamp(found.get("timestamp")))


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, _TIMESTAMP)
    except ValueError:
        return None


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0
