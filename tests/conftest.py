from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import LocalStack
from tests.support import model_skip

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # A missing trained model fails the tests that need it (see the module).
    config.pluginmanager.register(model_skip, "socialcare-model-skip")


def all_setting_names() -> set[str]:
    """Every SOCIALCARE_* variable: the shared settings and each service's additions."""
    from socialcare.classify.settings import ClassifySettings
    from socialcare.erasure import ErasureSettings
    from socialcare.ingest.settings import IngestSettings
    from socialcare.route.settings import RouteSettings
    from socialcare.search.settings import SearchSettings
    from socialcare.topics import Retention

    models = (
        IngestSettings,
        RouteSettings,
        SearchSettings,
        ClassifySettings,
        ErasureSettings,
        StackSettings,
    )
    names = {f"SOCIALCARE_{name.upper()}" for m in models for name in m.model_fields}
    return names | {f"SOCIALCARE_RETENTION_{name.upper()}" for name in Retention.model_fields}


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


def event_data(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid raw event as JSON-ready data; ``n`` varies ids and text."""
    data: dict[str, Any] = {
        "platform": "twitter",
        "platform_message_id": f"17900000000000{n:05d}",
        "kind": "mention",
        "direction": "inbound",
        "brand_account_id": "brand-1",
        "conversation_id": f"twitter:conv-{n % 3}",
        "author": {"id": f"u{n}", "handle": f"user{n}", "follower_count": 10 * n},
        "text": f"My order {n} never arrived 📦",
        "attachments": [],
        "created_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC).isoformat(),
        "received_at": datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC).isoformat(),
    }
    data.update(overrides)
    return data
