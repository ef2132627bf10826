"""search_after paging has no 10,000-hit window: every hit of a large index, once."""

import uuid

import pytest
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.search.api import create_app
from tests.support.search_index import AGENT, ROWS, drop_index, index_events, routed

pytestmark = pytest.mark.integration

TOTAL = 10_500


@pytest.fixture(scope="module")
def large(search_settings):
    settings = search_settings.model_copy(
        update={"index_alias": f"test-deep-{uuid.uuid4().hex[:8]}"}
    )
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.close()
    template = routed(ROWS[0])

    def events():
        for n in range(TOTAL):
            yield template.model_copy(
                update={"platform_message_id": f"deep-{n}", "event_id": f"twitter:deep-{n}"}
            )

    assert index_events(settings, events()) == {}
    yield settings
    drop_index(settings)


def test_paging_past_ten_thousand_hits_returns_each_exactly_once(large):
    seen: list[str] = []
    with TestClient(create_app(large)) as api:
        cursor = None
        while True:
            params = {"size": 500, "sort": "newest", **({"cursor": cursor} if cursor else {})}
            body = api.get("/v1/search", params=params, headers=AGENT).json()
            assert body["total"] == TOTAL
            seen += [h["event"]["event_id"] for h in body["hits"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == TOTAL
    assert len(set(seen)) == TOTAL
