from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack
from tests.support import markers, model_skip


def pytest_configure(config: pytest.Config) -> None:
    # A missing trained model fails the tests that need it (see the module).
    config.pluginmanager.register(model_skip, "socialcare-model-skip")
    # Tests that need the real stack are marked `integration` (see the module).
    config.pluginmanager.register(markers, "socialcare-markers")


@pytest.fixture(scope="session")
def settings() -> StackSettings:
    """The settings of this test run: the product's plus the local stack's."""
    return StackSettings()


@pytest.fixture(scope="session")
def stack(settings: StackSettings) -> Iterator[LocalStack]:
    """The real local Kafka + Elasticsearch, started once per test session.

    Uses the same code as `socialcare stack up`; stops the stack afterwards only if
    this session started it (scripts/test.sh brings it up and down itself).
    """
    local = LocalStack(settings)
    started = local.up()
    yield local
    if started and not os.environ.get("SOCIALCARE_KEEP_STACK"):
        local.down()
