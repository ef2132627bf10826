import base64
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from socialcare.schema import (
    ClassifiedEvent,
    DeadLetter,
    Event,
    Intent,
    RoutedEvent,
    Sentiment,
)
from tests.support.events import CLASSIFICATION, ROUTING, event_data


def test_event_id_is_derived_from_platform_and_message_id():
    event = Event.model_validate(event_data(7))
    assert event.event_id == "twitter:1790000000000000007"
    assert event.key == b"twitter:conv-1"


def test_event_id_that_disagrees_with_platform_message_id_is_rejected():
    with pytest.raises(ValidationError, match="event_id must be 'twitter:"):
        Event.model_validate(event_data(1, event_id="twitter:something-else"))


def test_same_platform_message_gives_same_event_id():
    first = Event.model_validate(event_data(3))
    again = Event.model_validate(event_data(3, received_at="2026-11-23T10:00:00Z"))
    assert first.event_id == again.event_id


def test_numeric_ids_are_rejected_so_large_ids_never_pass_through_floats():
    with pytest.raises(ValidationError):
        Event.model_validate(event_data(1, platform_message_id=5450123456789012345))


def test_naive_timestamps_are_rejected_and_aware_ones_normalized_to_utc():
    with pytest.raises(ValidationError):
        Event.model_validate(event_data(1, created_at="2026-11-23T09:00:00"))
    event = Event.model_validate(event_data(1, created_at="2026-11-23T12:30:00+03:30"))
    assert event.created_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert event.created_at.utcoffset().total_seconds() == 0


def test_unknown_fields_are_rejected():
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Event.model_validate(event_data(1, sentiment="negative"))


def test_generic_platform_names_are_accepted_but_must_be_slugs():
    assert Event.model_validate(event_data(1, platform="trustpilot")).platform == "trustpilot"
    with pytest.raises(ValidationError):
        Event.model_validate(event_data(1, platform="Trust Pilot"))


def test_json_round_trip_keeps_every_field_and_script():
    event = Event.model_validate(
        event_data(2, text="سفارش من کجاست؟ Тапсырысым 😡", attachments=[{"type": "image"}])
    )
    again = Event.model_validate_json(event.to_bytes())
    assert again == event
    assert json.loads(event.to_bytes())["text"] == "سفارش من کجاست؟ Тапсырысым 😡"


def test_classified_event_requires_classification():
    with pytest.raises(ValidationError, match="classification"):
        ClassifiedEvent.model_validate(event_data(1))
    event = ClassifiedEvent.model_validate(event_data(1, classification=CLASSIFICATION))
    assert event.classification.intent is Intent.shipping
    assert event.classification.sentiment is Sentiment.negative


def test_classification_rejects_unknown_labels_and_out_of_range_scores():
    with pytest.raises(ValidationError):
        ClassifiedEvent.model_validate(
            event_data(1, classification={**CLASSIFICATION, "intent": "complaint"})
        )
    with pytest.raises(ValidationError):
        ClassifiedEvent.model_validate(
            event_data(1, classification={**CLASSIFICATION, "intent_scores": {"defect": 1.5}})
        )


def test_routed_event_requires_routing_and_a_raw_event_reads_it_back():
    with pytest.raises(ValidationError, match="routing"):
        RoutedEvent.model_validate(event_data(1, classification=CLASSIFICATION))
    routed = RoutedEvent.model_validate(
        event_data(1, classification=CLASSIFICATION, routing=ROUTING)
    )
    # A consumer that only knows the base Event can still read routed messages.
    assert Event.model_validate_json(routed.to_bytes()).routing == routed.routing


def test_dead_letter_keeps_the_original_bytes_and_the_reason():
    original = b"\xff\xfe not json"
    letter = DeadLetter.for_record(
        service="classify",
        source_topic="social.events.raw",
        value=original,
        key=b"k",
        partition=2,
        offset=41,
        error=ValueError("invalid JSON at byte 0"),
    )
    again = DeadLetter.model_validate_json(letter.model_dump_json())
    assert again.original_value() == original
    assert base64.b64decode(again.key_b64) == b"k"
    assert again.error_type == "ValueError"
    assert "invalid JSON" in again.error


def _action(**fields):
    from socialcare.schema import Action

    base = {
        "action_id": "a-1",
        "type": "resolve",
        "conversation_id": "twitter:c-1",
        "actor": {"kind": "agent", "id": "ana"},
        "requested_at": "2026-12-05T10:00:00Z",
    }
    return Action.model_validate({**base, **fields})


def test_an_action_carries_the_fields_its_type_needs():
    from pydantic import ValidationError

    assert _action().type == "resolve"
    with pytest.raises(ValidationError, match="a 'reply' action needs text, reply_to"):
        _action(type="reply")
    with pytest.raises(ValidationError, match="a 'assign' action needs agent"):
        _action(type="assign")
    with pytest.raises(ValidationError, match="a 'note' action needs text"):
        _action(type="note")
    target = {
        "event_id": "telegram:9",
        "platform": "telegram",
        "brand_account_id": "bot-1",
        "kind": "dm",
        "platform_message_id": "9",
        "recipient_id": "42",
        "customer_wrote_at": "2026-12-05T09:59:00+01:00",
    }
    reply = _action(type="reply", text="On its way!", reply_to=target)
    assert reply.reply_to.customer_wrote_at.isoformat() == "2026-12-05T08:59:00+00:00"
    assert reply.key == b"twitter:c-1"
