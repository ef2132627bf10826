"""Instagram mentions completed from the emulator's Graph API: the republished event,
the retries and their waits, and the marks when it cannot be done."""

import asyncio
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from socialcare.ingest.enrichment import Enricher
from socialcare.ingest.graph import MentionReader
from socialcare.schema import Author, Enrichment, Event, Kind
from socialcare_dev.emulator import create_app as emulator_app
from socialcare_dev.emulator.faults import FaultSpec
from socialcare_dev.emulator.graph_mentions import SeedComment, SeedMedia
from tests.support.webhooks import RecordingPublisher, unit_settings

ACCOUNT = "17841400000000001"
MEDIA, COMMENT = "18030000000000999", "17900000000000555"
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def mention(comment: bool) -> Event:
    message_id = COMMENT if comment else MEDIA
    return Event(
        platform="instagram",
        platform_message_id=message_id,
        kind=Kind.mention,
        brand_account_id=ACCOUNT,
        conversation_id=f"instagram:{message_id}",
        parent_id=MEDIA if comment else None,
        author=Author(id="unknown"),
        created_at=RECEIVED,
        received_at=RECEIVED,
        enrichment=Enrichment.pending,
    )


class Run:
    """An enricher reading from an in-process emulator; its waits are recorded."""

    def __init__(self, token: str | None = "ig-token", attempts: int = 4) -> None:
        self.emulator = emulator_app()
        self.publisher = RecordingPublisher()
        self.waits: list[float] = []
        settings = unit_settings(
            ingest_graph_access_token=token,
            ingest_enrichment_attempts=attempts,
            ingest_enrichment_backoff_seconds=1.0,
        )
        reader = MentionReader(
            "http://emulator/instagram/v21.0",
            SecretStr(token) if token else None,
            5.0,
            transport=httpx.ASGITransport(app=self.emulator),
        )
        self.enricher = Enricher(settings, self.publisher, reader, sleep=self._sleep)

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def seed(self) -> None:
        mentions = self.emulator.state.mentions
        written = datetime(2026, 11, 23, 9, 58, tzinfo=UTC)
        caption = "Kupila sam punjač @voltmobile i ne radi 😡"
        mentions.seed("mentioned_media", SeedMedia(id=MEDIA, caption=caption, username="ana.k"))
        comment = SeedComment(id=COMMENT, text="@voltmobile gdje je moj paket?", username="ivo_p")
        mentions.seed("mentioned_comment", comment.model_copy(update={"timestamp": written}))

    def fault(self, **spec) -> None:
        self.emulator.state.emulator.faults.add(FaultSpec(platform="instagram", **spec))

    def calls(self) -> list[dict]:
        return [r.model_dump() for r in self.emulator.state.emulator.recorder.select(None, None)]

    def complete(self, event: Event) -> list[Event]:
        async def go() -> None:
            self.enricher.submit(self.enricher.marked([event]))
            await self.enricher.drain()
            await self.enricher.reader.aclose()

        asyncio.run(go())
        return self.publisher.published


def test_a_caption_mention_is_republished_with_the_caption_and_its_author():
    run = Run()
    run.seed()
    (done,) = run.complete(mention(comment=False))
    assert done.event_id == f"instagram:{MEDIA}"
    assert done.enrichment == Enrichment.done
    assert done.text == "Kupila sam punjač @voltmobile i ne radi 😡"
    assert done.author == Author(id="ana.k", handle="ana.k")
    assert (done.key, done.conversation_id) == (mention(False).key, f"instagram:{MEDIA}")
    (call,) = run.calls()
    assert call["method"] == "GET" and call["platform"] == "instagram"
    assert call["query"]["fields"] == (
        f"mentioned_media.media_id({MEDIA}){{caption,username,timestamp}}"
    )
    assert "ig-token" not in str(call)


def test_a_comment_mention_gets_the_comment_and_the_time_it_was_written():
    run = Run()
    run.seed()
    (done,) = run.complete(mention(comment=True))
    assert (done.text, done.author.handle) == ("@voltmobile gdje je moj paket?", "ivo_p")
    assert done.created_at == datetime(2026, 11, 23, 9, 58, tzinfo=UTC)
    assert done.parent_id == MEDIA
    assert "mentioned_comment.comment_id" in run.calls()[0]["query"]["fields"]


def test_failed_fetches_are_retried_with_a_doubling_wait():
    run = Run()
    run.seed()
    run.fault(kind="server_error", count=2, status=503)
    (done,) = run.complete(mention(comment=False))
    assert done.enrichment == Enrichment.done
    assert run.waits == [1.0, 2.0]
    assert [c["status"] for c in run.calls()] == [503, 503, 200]


def test_a_rate_limit_waits_what_graph_says_when_longer():
    run = Run()
    run.seed()
    run.fault(kind="rate_limit", count=1, retry_after=7)
    (done,) = run.complete(mention(comment=False))
    assert done.enrichment == Enrichment.done
    assert run.waits == [7.0]


def test_after_the_last_attempt_the_event_is_republished_marked_failed():
    run = Run(attempts=3)
    run.seed()
    run.fault(kind="server_error", count=10)
    (failed,) = run.complete(mention(comment=False))
    assert failed.enrichment == Enrichment.failed
    assert failed == mention(False).model_copy(update={"enrichment": Enrichment.failed})
    assert len(run.calls()) == 3 and run.waits == [1.0, 2.0]


def test_a_refusal_is_not_retried():
    run = Run()  # nothing seeded: Graph's "object does not exist"
    (failed,) = run.complete(mention(comment=True))
    assert failed.enrichment == Enrichment.failed
    assert len(run.calls()) == 1 and run.waits == []


def test_a_bad_token_is_a_refusal():
    run = Run(token="invalid-token")
    run.seed()
    (failed,) = run.complete(mention(comment=False))
    assert failed.enrichment == Enrichment.failed
    assert run.calls()[0]["status"] == 401


def test_without_a_token_mentions_are_failed_from_the_start_and_nothing_is_fetched():
    run = Run(token=None)
    run.seed()
    assert run.complete(mention(comment=False)) == []
    assert run.enricher.marked([mention(False)])[0].enrichment == Enrichment.failed
    assert run.calls() == []


def test_events_the_platform_sent_whole_are_left_alone():
    run = Run()
    whole = mention(False).model_copy(update={"enrichment": None, "text": "hi"})
    assert run.complete(whole) == []
    assert run.enricher.marked([whole]) == [whole]
