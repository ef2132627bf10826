"""Logs carry no personal ids: a keyed hash stands for them, the same in every process."""

import json
import logging

import pytest
from typer.testing import CliRunner

from socialcare.cli import app
from socialcare.logging import configure_logging, get_logger, log_id

# A WhatsApp message id is base64 of the sender's phone number (34600111222).
WAMID = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQUFGRjhCQjU1"


@pytest.fixture
def logged(caplog):
    configure_logging("INFO", "json", id_key=b"test-key")
    caplog.set_level(logging.INFO)
    # structlog hands the stdlib handlers the processed event as the record's message.
    yield lambda: [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    configure_logging("INFO", "json")


def test_personal_ids_are_logged_as_keyed_hashes(logged):
    get_logger("t").info(
        "ingest.accepted",
        event_id=f"whatsapp:{WAMID}",
        conversation_id="whatsapp:106540352242922:34600111222",
        author_id="34600111222",
        event_ids=[f"whatsapp:{WAMID}"],
        platform="whatsapp",
    )
    (entry,) = logged()
    text = json.dumps(entry)
    assert "34600111222" not in text and WAMID not in text
    assert entry["event_id"] == log_id(f"whatsapp:{WAMID}", b"test-key")
    assert entry["event_ids"] == [entry["event_id"]]
    assert entry["platform"] == "whatsapp"


def test_the_hash_depends_on_the_deployment_key():
    assert log_id("x", b"one") != log_id("x", b"two")
    assert log_id("x", b"one") == log_id("x", b"one")


def test_log_id_command_gives_the_hash_operators_grep_for(monkeypatch):
    monkeypatch.setenv("SOCIALCARE_LOG_ID_KEY", "test-key")
    result = CliRunner().invoke(app, ["log-id", "telegram:42"])
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == log_id("telegram:42", b"test-key")


def test_other_libraries_log_only_warnings_unless_debug():
    seen: list[str] = []

    def capture(record: logging.LogRecord) -> None:
        seen.append(record.getMessage() if isinstance(record.msg, str) else record.msg["event"])

    try:
        for level in ("INFO", "DEBUG"):
            configure_logging(level, "json")
            logging.getLogger().handlers[0].emit = capture
            logging.getLogger("onnxscript.optimizer").info("third-party info")
            logging.getLogger("kafka.coordinator").warning("third-party warning")
            get_logger("socialcare.classify.worker").info("own info")
            get_logger("socialcare_dev.demo").debug("own debug")
            seen.append(f"-- {level}")
    finally:
        configure_logging("INFO", "json")
    assert seen == [
        "third-party warning",
        "own info",
        "-- INFO",
        "third-party info",
        "third-party warning",
        "own info",
        "own debug",
        "-- DEBUG",
    ]
