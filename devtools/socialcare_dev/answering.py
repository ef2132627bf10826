"""The demo's side of the brand: a simulated agent who works the inbox over the search
API, and a simulated help desk that reads the orders queues on Kafka and answers on
``support.actions``, the two ways docs/consumers.md describes.

Each answers a share of the conversations it sees in the customer's language, and
resolves some of those it answered; every action carries an ``action_id`` derived
from the conversation, so running a round twice sends nothing twice.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
from kafka import TopicPartition

from socialcare import kafka
from socialcare.schema import Action, ActionType, Actor, ActorKind, ReplyTarget, RoutedEvent
from socialcare.settings import Settings
from socialcare.topics import ACTIONS

# The skill a help desk (say, the order-management team's Zendesk) answers; the
# agent in the console leaves those conversations to it.
HELPDESK_SKILL = "orders"
HELPDESK_QUEUES = re.compile(rf"^support\.queue\.[^.]+\.{HELPDESK_SKILL}$")
HELPDESK_ID = "demo-helpdesk"

REPLIES = {
    "ar": "شكرًا لتواصلك معنا، نحن نتابع طلبك وسنعود إليك قريبًا.",
    "de": "Danke für deine Nachricht, wir kümmern uns darum und melden uns gleich.",
    "en": "Thanks for reaching out, we're on it and will get back to you shortly.",
    "es": "Gracias por escribirnos, ya lo estamos revisando y te respondemos enseguida.",
    "fa": "از پیام شما ممنونیم، در حال بررسی هستیم و به‌زودی پاسخ می‌دهیم.",
    "fr": "Merci pour votre message, nous nous en occupons et revenons vers vous vite.",
    "hr": "Hvala na poruci, provjeravamo i javljamo vam se uskoro.",
    "it": "Grazie per averci scritto, stiamo verificando e ti rispondiamo a breve.",
    "kk": "Хабарламаңызға рахмет, тексеріп жатырмыз, жақын арада жауап береміз.",
    "nl": "Bedankt voor je bericht, we zoeken het uit en laten snel iets weten.",
    "pl": "Dziękujemy za wiadomość, sprawdzamy to i wkrótce się odezwiemy.",
    "pt": "Obrigado pela mensagem, já estamos a verificar e respondemos em breve.",
    "ru": "Спасибо за сообщение, мы уже разбираемся и скоро ответим.",
    "sl": "Hvala za sporočilo, preverjamo in se vam kmalu oglasimo.",
    "tr": "Mesajınız için teşekkürler, inceliyoruz ve kısa süre içinde dönüş yapacağız.",
    "uk": "Дякуємо за повідомлення, ми вже розбираємося і скоро відповімо.",
}


def reply_text(language: str | None) -> str:
    return REPLIES.get(language or "", REPLIES["en"])


def _skill(queue: str | None) -> str:
    return (queue or "").rsplit(".", 1)[-1]


class DemoAgent:
    """An agent in the console: takes open conversations soonest deadline first."""

    def __init__(self, client: httpx.Client, rng: random.Random) -> None:
        self.client, self.rng = client, rng

    def work(self, mine: set[str], share: float, resolve_share: float) -> dict[str, bool]:
        """Answer ``share`` of the open conversations among ``mine`` (not the help
        desk's); returns {conversation id: resolved too}."""
        answered: dict[str, bool] = {}
        for state in list(self._inbox()):
            conversation = state["conversation_id"]
            if conversation not in mine or _skill(state.get("queue")) == HELPDESK_SKILL:
                continue
            if self.rng.random() >= share:
                continue
            path = f"/v1/conversations/{conversation}"
            body = {"text": reply_text(state.get("language")), "action_id": f"{conversation}/r1"}
            if self.client.post(f"{path}/replies", json=body).status_code != 202:
                continue  # e.g. WhatsApp's window closed: an agent moves on
            resolve = self.rng.random() < resolve_share
            if resolve:
                self.client.post(f"{path}/resolve", json={"action_id": f"{conversation}/done"})
            answered[conversation] = resolve
        return answered

    def _inbox(self) -> Iterator[dict]:
        cursor = None
        while True:
            params = {"size": 100} | ({"cursor": cursor} if cursor else {})
            page = self.client.get("/v1/inbox", params=params).raise_for_status().json()
            yield from page["conversations"]
            cursor = page["next_cursor"]
            if not cursor:
                return


class DemoHelpDesk:
    """A help desk on Kafka: reads the orders queues from ``since`` (by timestamp, so
    it needs no consumer group of its own) and publishes its actions."""

    def __init__(self, settings: Settings, since: datetime, rng: random.Random) -> None:
        self.settings, self.since, self.rng = settings, since, rng

    def work(self, wanted: set[str], share: float, resolve_share: float) -> dict[str, bool]:
        """Answer ``share`` of the conversations whose events in ``wanted`` reached an
        orders queue; returns {conversation id: resolved too}."""
        latest: dict[str, RoutedEvent] = {}
        for event in self._queued():
            if event.event_id in wanted:
                latest[event.conversation_id] = event  # answer the latest message
        producer = kafka.producer(self.settings)
        answered: dict[str, bool] = {}
        try:
            for conversation, event in sorted(latest.items()):
                if self.rng.random() >= share:
                    continue
                resolve = self.rng.random() < resolve_share
                for action in self._actions(event, resolve):
                    producer.send(ACTIONS.name, key=action.key, value=action.to_bytes())
                answered[conversation] = resolve
            producer.flush(timeout=30)
        finally:
            producer.close()
        return answered

    def _actions(self, event: RoutedEvent, resolve: bool) -> list[Action]:
        actor = Actor(kind=ActorKind.helpdesk, id=HELPDESK_ID)
        now = datetime.now(UTC)
        common = {"conversation_id": event.conversation_id, "actor": actor, "requested_at": now}
        reply = Action(
            action_id=f"{event.conversation_id}/hd1",
            type=ActionType.reply,
            text=reply_text(event.classification.language),
            reply_to=ReplyTarget.of(event),
            **common,
        )
        if not resolve:
            return [reply]
        done = f"{event.conversation_id}/hd-done"
        return [reply, Action(action_id=done, type=ActionType.resolve, **common)]

    def _queued(self) -> Iterator[RoutedEvent]:
        consumer = kafka.consumer(self.settings, enable_auto_commit=False)
        try:
            topics = sorted(t for t in consumer.topics() if HELPDESK_QUEUES.match(t))
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in consumer.partitions_for_topic(topic) or ()
            ]
            if not partitions:
                return
            consumer.assign(partitions)
            ends = consumer.end_offsets(partitions)
            starts = consumer.offsets_for_times(
                dict.fromkeys(partitions, int(self.since.timestamp() * 1000))
            )
            for tp in partitions:
                consumer.seek(tp, starts[tp].offset if starts[tp] else ends[tp])
            while any(consumer.position(tp) < ends[tp] for tp in partitions):
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        yield RoutedEvent.model_validate_json(record.value)
        finally:
            consumer.close()
