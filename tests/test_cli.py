import pytest
from typer.testing import CliRunner

from socialcare.cli import app

runner = CliRunner()

COMMANDS = [
    (["--help"], "stack"),
    (["stack", "--help"], "without Docker"),
    (["stack", "up", "--help"], "no-op"),
    (["stack", "down", "--help"], "Stop both servers"),
    (["stack", "status", "--help"], "readiness"),
    (["schema", "export", "--help"], "JSON Schema"),
    (["ingest", "serve", "--help"], "SOCIALCARE_INGEST_PORT"),
    (["ingest", "replay", "--help"], "progress bar"),
    (["classify", "worker", "--help"], "classification worker"),
    (["classify", "convert-base", "--help"], "Offline"),
    (["classify", "train", "--help"], "seed"),
    (["classify", "evaluate", "--help"], "macro-F1"),
    (["classify", "predict", "--help"], "JSONL"),
    (["route", "worker", "--help"], "routing worker"),
    (["route", "explain", "--help"], "which rule"),
    (["search", "serve", "--help"], "search API"),
    (["index", "worker", "--help"], "bulk-indexes"),
    (["search", "index-worker", "--help"], "Alias of `socialcare index worker`"),
    (["demo", "--help"], "defect spike"),
]


@pytest.mark.parametrize("args,expected", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_every_command_has_help(args, expected):
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_classify_worker_without_a_model_says_how_to_make_one(tmp_path):
    result = runner.invoke(
        app, ["classify", "worker"], env={"SOCIALCARE_MODEL_DIR": str(tmp_path / "none")}
    )
    assert result.exit_code == 1
    assert "classify train" in result.output
