"""A search API over a test's own conversations index, filled with given states:
for the care metrics' tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.index.conversations import conversation_document
from socialcare.schema import Conversation
from socialcare.search.api import create_app
from socialcare.search.settings import SearchSettings
from socialcare.settings import Settings
from tests.support.search_index import drop_index


@contextmanager
def care_api(
    settings: Settings, states: Iterable[Conversation], key: str, indexed_at: datetime
) -> Iterator[TestClient]:
    """The API (``key`` may read) over a fresh index holding ``states`` as the index
    worker writes them; dropped afterwards."""
    care = SearchSettings(
        **{
            **settings.model_dump(),
            "index_alias": f"test-care-{uuid.uuid4().hex[:8]}",
            "embedding_dims": 4,
            "search_api_keys": f"{key}:read",
        }
    )
    es = elastic.client(care)
    elastic.ensure_index(es, care)
    elastic.ensure_conversations_index(es, care)
    alias = elastic.conversations_alias(care)
    for state in states:
        doc = conversation_document(state, indexed_at)
        es.index(index=alias, id=state.conversation_id, document=doc)
    es.indices.refresh(index=alias)
    es.close()
    try:
        with TestClient(create_app(care)) as client:
            yield client
    finally:
        drop_index(care)
