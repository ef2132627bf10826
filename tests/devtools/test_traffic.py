"""The demo's traffic is what ingest accepts: every platform's delivery is signed and
shaped so that ingest turns it into one inbound event of that platform, and a customer
who writes again stays in their conversation."""

import pytest
from fastapi.testclient import TestClient

from socialcare.ingest.app import create_app
from socialcare.ingest.settings import IngestSettings
from socialcare_dev.traffic import PLATFORMS, Secrets, Traffic
from tests.support.webhooks import RecordingPublisher


@pytest.fixture
def ingest():
    publisher = RecordingPublisher()
    env = Secrets().env()
    settings = IngestSettings(**{k.removeprefix("SOCIALCARE_").lower(): v for k, v in env.items()})
    with TestClient(create_app(settings, publisher)) as client:
        yield client, publisher


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_delivery_becomes_one_inbound_event_and_a_follow_up_joins_it(
    ingest, platform
):
    client, publisher = ingest
    traffic = Traffic("t1")
    author = traffic.new_author(platform, "de")
    for text in ("Wo bleibt mein Paket?", "Immer noch nichts angekommen."):
        delivery = traffic.message(author, text)
        response = delivery.post(client)
        assert response.status_code == 200, response.text
    first, again = publisher.published
    assert {first.platform, again.platform} == {platform}
    assert (first.direction, again.direction) == ("inbound", "inbound")
    assert first.text.endswith("Wo bleibt mein Paket?")  # a tweet opens with the @brand
    assert again.text.endswith("Immer noch nichts angekommen.")
    assert first.conversation_id == again.conversation_id
    assert first.event_id != again.event_id


def test_the_stream_covers_all_seven_platforms():
    traffic = Traffic("t2")
    seen = {traffic.next().platform for _ in range(40)}
    assert seen == set(PLATFORMS) and len(PLATFORMS) == 7
