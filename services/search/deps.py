"""What the search routes depend on, declared once: the settings, the Elasticsearch
client, the actions publisher, the erasure log and the caller's key.

The app factory puts the settings on ``app.state`` and its lifespan the clients; a
test that mounts one router on a bare app sets them itself or overrides these
dependencies (``app.dependency_overrides[get_elasticsearch] = ...``).
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from elasticsearch import AsyncElasticsearch
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from socialcare.erasure import ErasureFollower
from socialcare.http import app_state
from socialcare.publishing import Publisher
from socialcare.search.settings import SearchSettings

API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="An agent's key from SOCIALCARE_SEARCH_API_KEYS; its scopes decide what it may "
    "call (read: search and read; reply: act on conversations; erase: erasure; admin: all), "
    "and it names the agent who acts.",
    auto_error=False,  # a missing key is our 401 Problem, not FastAPI's default answer
)


get_settings = app_state("settings")
get_elasticsearch = app_state("elasticsearch")
get_publisher = app_state("publisher")


SettingsDep = Annotated[SearchSettings, Depends(get_settings)]
ElasticDep = Annotated[AsyncElasticsearch, Depends(get_elasticsearch)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def get_erasure_log(request: Request, settings: SettingsDep) -> ErasureFollower:
    # Read when the first erasure comes (merging a retry into the record of an earlier
    # attempt needs it), then followed by a daemon thread for the life of the app.
    state = request.app.state
    if getattr(state, "erasure_log", None) is None:
        state.erasure_log = ErasureFollower(settings)
    return state.erasure_log


@dataclass(frozen=True)
class Caller:
    """Who called: a key's id for the audit log (never the key), its scopes and the
    agent it acts as."""

    key_id: str
    scopes: frozenset[str]
    agent: str

    def may(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def get_caller(
    settings: SettingsDep, x_api_key: Annotated[str | None, Security(API_KEY)]
) -> Caller:
    if not x_api_key:
        raise HTTPException(401, "missing X-API-Key header")
    for key, grant in settings.search_api_keys.items():
        if hmac.compare_digest(key.encode(), x_api_key.encode()):
            return Caller(hashlib.sha256(key.encode()).hexdigest()[:12], grant.scopes, grant.agent)
    raise HTTPException(403, "unknown API key")


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(scope: str) -> Callable[[Caller], Caller]:
    """A dependency that lets only keys with ``scope`` (or ``admin``) through."""

    def check(caller: CallerDep) -> Caller:
        if not caller.may(scope):
            raise HTTPException(403, f"this key lacks the {scope!r} scope")
        return caller

    return check


reader = require("read")
replier = require("reply")
eraser = require("erase")
ReadKey = Annotated[Caller, Depends(reader)]
ReplyKey = Annotated[Caller, Depends(replier)]
EraseKey = Annotated[Caller, Depends(eraser)]
ErasureLogDep = Annotated[ErasureFollower, Depends(get_erasure_log)]
