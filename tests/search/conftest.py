import uuid

import pytest
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.search.api import create_app
from socialcare.search.settings import SearchSettings
from tests.support.search_index import ADMIN, AGENT, EVENTS, drop_index, index_events


@pytest.fixture(scope="module")
def search_settings(stack, settings) -> SearchSettings:
    return SearchSettings(
        **{
            **settings.model_dump(),
            "index_alias": f"test-search-{uuid.uuid4().hex[:8]}",
            "embedding_dims": 4,
            "search_api_keys": f"{AGENT['X-API-Key']}:read,{ADMIN['X-API-Key']}:read+erase",
        }
    )


@pytest.fixture(scope="module")
def indexed(search_settings) -> SearchSettings:
    es = elastic.client(search_settings)
    elastic.ensure_index(es, search_settings)
    es.close()
    assert index_events(search_settings, EVENTS) == {}
    yield search_settings
    drop_index(search_settings)


@pytest.fixture(scope="module")
def api(indexed):
    with TestClient(create_app(indexed)) as client:
        yield client
