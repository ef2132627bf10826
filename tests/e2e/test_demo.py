"""The quick start's main job, `socialcare demo`, run as a user runs it."""

import os
import subprocess
import sys

import pytest

from services.classify.settings import ClassifySettings
from tests.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_demo_sends_signed_traffic_through_every_service_and_prints_the_summary(stack):
    if not (ClassifySettings().model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    result = subprocess.run(
        [sys.executable, "-m", "services", "demo", "--events", "80", "--rate", "20"],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=540,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    for service in ("ingest", "classify", "classify-2", "route", "index", "search"):
        assert f"  {service} " in out, f"{service} not reported ready"
    assert "ingest accepted 80 events from 80 webhooks" in out
    assert "80 events searchable" in out
    for facet in ("platform", "language", "intent", "sentiment", "queue"):
        assert f"events per {facet}" in out
    assert "support.queue." in out
    assert "webhook received -> searchable: p50" in out
    assert "GET /v1/search?q=dejaron de cargar&language=es" in out
    assert "GET /v1/conversations/" in out
    assert "http://127.0.0.1:8001/docs" in out
    assert "services stopped" in out
