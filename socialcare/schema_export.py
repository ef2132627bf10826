"""JSON Schema of every topic's messages, generated from the pydantic models.

The files in ``docs/schemas/`` are what downstream tools validate against; a test
regenerates them and fails when the committed copies drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from socialcare.topics import PIPELINE_TOPICS, QUEUE_PREFIX, TopicSpec, queue_topic

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"
QUEUE_SCHEMA_NAME = f"{QUEUE_PREFIX}.LANGUAGE.SKILL"


def _documented_topics() -> dict[str, TopicSpec]:
    topics = {spec.name: spec for spec in PIPELINE_TOPICS}
    # All queue topics share one schema; one file documents the pattern.
    topics[QUEUE_SCHEMA_NAME] = queue_topic("xx", "skill")
    return topics


def render() -> dict[str, str]:
    """File name → file content for every topic schema."""
    files = {}
    for name, spec in _documented_topics().items():
        schema = spec.model.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{name}.schema.json",
            **schema,
            "description": f"Topic {name} ({spec.partitions} partitions): {spec.description} "
            "One UTF-8 JSON object per message, keyed by conversation_id "
            "(the DLQ keeps the original record's key).",
        }
        files[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return files


def export(dest: Path = DEFAULT_DIR) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, content in render().items():
        path = dest / filename
        path.write_text(content)
        written.append(path)
    return written
