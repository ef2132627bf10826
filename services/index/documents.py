"""Routed events as Elasticsearch documents.

The document id is the event id, so any number of redeliveries of an event leave
exactly one document.
"""

from __future__ import annotations

import json
from datetime import datetime

from socialcare.care import answers
from socialcare.schema import Direction, RoutedEvent


def document_json(
    event: RoutedEvent, indexed_at: datetime, exclude: set[str] | None = None
) -> bytes:
    """The event's document: the event as JSON with ``indexed_at``, serialized by
    pydantic's own encoder (the standard library's spent a fifth of the index worker's
    CPU on the 384 floats, py-spy); ``exclude``: fields left out."""
    stamp = json.dumps(indexed_at.isoformat()).encode()
    body = event.model_dump_json(exclude=exclude).encode()
    return body[:-1] + b',"indexed_at":' + stamp + b"}"


def answers_customer(event: RoutedEvent, acks_answer: bool) -> bool:
    """Whether ``event`` is a reply that answers the customer's messages before it.

    An automatic acknowledgement or survey does not (unless the routing file counts
    acknowledgements, ``acks_answer``), as for the conversation's state. An outbound
    event that does not say who sent it (a reply written in the platform's own tools,
    seen as the platform's echo) is a person's answer."""
    if event.direction != Direction.outbound:
        return False
    return event.sent_by is None or answers(event.sent_by, acks_answer)
