import json
import re
import uuid

import pytest
from typer.testing import CliRunner

from socialcare.cli import app
from socialcare.schema import Event
from socialcare.topics import RAW
from tests.support.events import event_data
from tests.support.kafka_tail import TopicTail

pytestmark = pytest.mark.integration


def test_replay_publishes_a_file_to_kafka(stack, settings, tmp_path):
    run = uuid.uuid4().hex[:8]
    lines = [
        json.dumps(event_data(n, platform="backfill", platform_message_id=f"{run}-{n}"))
        for n in range(5)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    raw = TopicTail(settings, RAW.name)
    try:
        result = CliRunner().invoke(app, ["ingest", "replay", str(path), "--kafka"])
        assert result.exit_code == 0, result.output
        assert "replayed 5 events: 5 accepted" in result.output
        ids = {Event.model_validate_json(r.value).event_id for r in raw.read(expect=5)}
    finally:
        raw.close()
    assert ids == {f"backfill:{run}-{n}" for n in range(5)}


def test_replay_names_the_bad_line_and_sends_nothing(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(event_data(1)) + "\n" + '{"platform": "x"}\n')
    result = CliRunner().invoke(app, ["ingest", "replay", str(path), "--kafka"])
    assert result.exit_code != 0
    # typer's error box wraps a long temporary path anywhere, even inside the name.
    flat = re.sub(r"[\s│]", "", result.output)
    assert "events.jsonl:2:" in flat
