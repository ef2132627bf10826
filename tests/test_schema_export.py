import json

import jsonschema
import pytest
import yaml

from socialcare import schema_export
from socialcare.schema import Event, RoutedEvent
from socialcare.topics import PIPELINE_TOPICS
from tests.support.events import CLASSIFICATION, ROUTING, event_data
from tests.support.paths import REPO


def _committed() -> dict[str, str]:
    return {p.name: p.read_text() for p in schema_export.DEFAULT_DIR.glob("*.schema.json")}


def test_committed_schemas_match_the_models():
    # Fails after a model change until `socialcare schema export` is run and committed.
    assert _committed() == schema_export.render()


def test_committed_asyncapi_document_matches_the_topics():
    committed = (schema_export.DEFAULT_DIR.parent / "asyncapi.yaml").read_text()
    assert committed == schema_export.render_asyncapi()
    document = yaml.safe_load(committed)
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {t.name for t in PIPELINE_TOPICS} | {"support.queue.{language}.{skill}"}
    for channel in document["channels"].values():
        for message in channel["messages"].values():
            ref = message["payload"]["$ref"]
            assert (schema_export.DEFAULT_DIR.parent / ref).exists(), ref


def test_every_pipeline_topic_and_the_queue_pattern_have_a_schema():
    names = set(_committed())
    assert {f"{t.name}.schema.json" for t in PIPELINE_TOPICS} <= names
    assert "support.queue.LANGUAGE.SKILL.schema.json" in names


def _schema(topic: str) -> dict:
    return json.loads((schema_export.DEFAULT_DIR / f"{topic}.schema.json").read_text())


def test_published_messages_validate_against_the_published_schemas():
    raw = event_data(1)
    classified = {**raw, "classification": CLASSIFICATION}
    routed = {**classified, "routing": ROUTING}
    message = json.loads(RoutedEvent.model_validate(routed).to_bytes())
    jsonschema.validate(message, _schema("social.events.routed"))
    jsonschema.validate(message, _schema("support.queue.LANGUAGE.SKILL"))


def test_published_schemas_reject_what_the_models_reject():
    sample = (
        (REPO / "devtools" / "socialcare_dev" / "samples" / "events.jsonl")
        .read_text()
        .splitlines()[0]
    )
    message = json.loads(Event.model_validate_json(sample).to_bytes())
    jsonschema.validate(message, _schema("social.events.raw"))

    with pytest.raises(jsonschema.ValidationError) as bad_kind:
        jsonschema.validate({**message, "kind": "shout"}, _schema("social.events.raw"))
    assert list(bad_kind.value.absolute_path) == ["kind"]

    with pytest.raises(jsonschema.ValidationError) as unclassified:
        jsonschema.validate(message, _schema("social.events.classified"))
    assert list(unclassified.value.absolute_path) == ["classification"]
