import subprocess
import sys

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


@pytest.mark.parametrize("command", ["stack", "demo"])
def test_without_the_development_tools_their_commands_say_how_to_get_them(command):
    # The production image installs the product alone (no devtools/): the commands
    # stay listed and explain themselves instead of "No such command".
    code = (
        "import importlib.metadata as m; m.entry_points = lambda **kw: []; "
        f"from socialcare.cli import app; app(['{command}', 'up'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "pip install -e ./devtools" in result.stderr
    assert "development tool" in result.stderr


def test_the_product_does_not_import_the_development_tools():
    # As in the image: no development tools registered. Nothing of the product, its
    # CLI included, may reach for them.
    code = (
        "import importlib.metadata as m, sys; m.entry_points = lambda **kw: []; "
        "import socialcare.cli, socialcare.ingest.app, socialcare.search.api, "
        "socialcare.index.worker, socialcare.route.worker, socialcare.classify.worker, "
        "socialcare.provision; "
        "print(sorted(n for n in sys.modules if n.startswith('socialcare_dev')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
