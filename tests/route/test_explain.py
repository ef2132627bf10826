import json

from typer.testing import CliRunner

from socialcare.cli import app
from socialcare.schema import ClassifiedEvent
from tests.support.events import CLASSIFICATION, event_data

runner = CliRunner()


def write_event(tmp_path, **classification):
    event = ClassifiedEvent.model_validate(
        event_data(1, kind="mention", classification={**CLASSIFICATION, **classification})
    )
    path = tmp_path / "event.json"
    path.write_bytes(event.to_bytes())
    return path


def test_explain_says_which_rule_fired_and_why_the_others_did_not(tmp_path):
    result = runner.invoke(app, ["route", "explain", "--event", str(write_event(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "rule legal-or-churn-threat does not fire (no keyword in the text)" in result.output
    assert "rule public-complaint fires -> P2" in result.output
    assert "-> support.queue.en.logistics  priority P2" in result.output


def test_explain_json_prints_the_routing_block(tmp_path):
    path = write_event(tmp_path, language="it")
    result = runner.invoke(app, ["route", "explain", "--event", str(path), "--json"])
    routing = json.loads(result.output)
    assert routing["queue"] == "support.queue.en.logistics"
    assert routing["needs_translation"] is True
    assert routing["rule"] == "skill-map/public-complaint"


def test_explain_shows_croatian_detected_as_bosnian_routed_to_the_croatian_team(tmp_path):
    path = write_event(tmp_path, language="bs")
    result = runner.invoke(app, ["route", "explain", "--event", str(path)])
    assert result.exit_code == 0, result.output
    assert "language: bs is not staffed; its neighbour hr serves it" in result.output
    assert "-> support.queue.hr.logistics" in result.output
    assert "needs translation" not in result.output


def test_explain_rejects_an_invalid_rules_file_with_its_line(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nlanguages:\n  staffed: [en]\n  fallbak: en\n")
    result = runner.invoke(
        app, ["route", "explain", "--event", str(write_event(tmp_path)), "--config", str(rules)]
    )
    assert result.exit_code == 2
    assert f"{rules}:4: languages.fallbak" in result.output
