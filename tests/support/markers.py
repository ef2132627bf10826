"""Marks every test that needs the real stack, or trains a model, as ``integration``,
so that ``pytest -m "not integration"`` runs the unit tests of pure logic alone, in
seconds, with Kafka and Elasticsearch away.

A test is marked when it lives in a folder of stack tests, uses (directly or through
another fixture) a fixture that stands for the real servers or their settings or
trains a model, or is marked ``slow``. Marking by that rule, rather than by hand,
keeps a new test from slipping into the quick run because someone forgot a marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Folders whose every test runs against the real stack.
STACK_FOLDERS = ("integration", "e2e")
# `stack` starts the servers; `settings` points at them; `tiny_base` is the encoder
# every training test fine-tunes (tests/classify/conftest.py).
HEAVY_FIXTURES = frozenset({"stack", "settings", "tiny_base"})

_TESTS = Path(__file__).resolve().parent.parent


def is_integration(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    if path.is_relative_to(_TESTS) and path.relative_to(_TESTS).parts[0] in STACK_FOLDERS:
        return True
    if item.get_closest_marker("slow") is not None:
        return True
    return bool(HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_integration(item):
            item.add_marker(pytest.mark.integration)
