"""The demo's traffic as the alerts worker sees it, without ingest or the classifier:
the same seeded messages the demo posts (socialcare_dev.traffic.Traffic), the spike
from 40 % to 60 % of the run, each at the time the demo would send it; the intent is
the corpus label (the classifier's answer on most), defect for the spike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from socialcare.classify.data import load
from socialcare_dev.traffic import Author, Delivery, Traffic

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    n: int
    at: datetime
    platform: str
    language: str
    text: str
    intent: str
    spike: bool


class _Capture(Traffic):
    """Traffic that keeps what it would send instead of signing a webhook."""

    def message(self, author: Author, text: str, at=None, spike: bool = False) -> Delivery:
        self.captured = (author, text, spike)
        return super().message(author, text, at, spike)


def demo_messages(
    events: int = 600,
    rate: float = 40.0,
    seed: int = 7,
    start: datetime = START,
    spike: bool = True,
) -> list[Message]:
    labels = {e.text: e.intent for e in load(split="test")}
    traffic = _Capture("alerts-demo", seed=seed, now=start)
    messages = []
    for n in range(events):
        traffic.next(spike=spike and 0.4 * events <= n < 0.6 * events)
        author, text, is_spike = traffic.captured
        intent = "defect" if is_spike else labels.get(text, "other")
        at = start + timedelta(seconds=n / rate)
        messages.append(Message(n, at, author.platform, author.language, text, intent, is_spike))
    return messages
