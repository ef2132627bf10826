"""The quick start's main job, `socialcare demo`, run as a user runs it - beside
anything else on the machine: free ports, consumer groups and an index alias of its
own (the demo reads them from the same variables as the services)."""

import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest

from socialcare import elastic, kafka
from socialcare.classify.settings import ClassifySettings
from socialcare_dev.demo import PORT_VARIABLES
from tests.support.paths import REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture
def own_names(settings):
    """Unique consumer groups and index alias; the alias's indices dropped after."""
    run = uuid.uuid4().hex[:8]
    alias = f"demo-test-{run}"
    yield {
        "SOCIALCARE_CLASSIFY_APP_ID": f"demo-test-classify-{run}",
        "SOCIALCARE_ROUTE_APP_ID": f"demo-test-route-{run}",
        "SOCIALCARE_INDEX_APP_ID": f"demo-test-index-{run}",
        "SOCIALCARE_CONVERSATIONS_APP_ID": f"demo-test-conversations-{run}",
        "SOCIALCARE_RESPOND_APP_ID": f"demo-test-respond-{run}",
        "SOCIALCARE_ALERTS_APP_ID": f"demo-test-alerts-{run}",
        "SOCIALCARE_INDEX_ALIAS": alias,
    }
    es = elastic.client(settings)
    try:
        for index in es.indices.get(index=f"{alias}-*", ignore_unavailable=True):
            es.indices.delete(index=index)
        es.options(ignore_status=404).indices.delete_index_template(name=alias)
    finally:
        es.close()


def test_demo_sends_signed_traffic_through_every_service_and_prints_the_summary(
    stack, settings, own_names, tmp_path
):
    summary_file = tmp_path / "summary.json"
    if not (ClassifySettings().model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    env = (
        os.environ
        | {"COLUMNS": "200", "SOCIALCARE_WORKER_DATA_DIR": str(tmp_path / "workers")}
        | dict.fromkeys(PORT_VARIABLES.values(), "0")  # any free ports
        | own_names
    )
    command = ["demo", "--events", "80", "--rate", "20", "--summary-json", str(summary_file)]
    result = subprocess.run(
        [sys.executable, "-m", "socialcare", *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    services = ("ingest", "classify", "classify-2", "route", "conversations", "index", "search")
    for service in (*services, "respond", "alerts"):
        assert f"  {service} " in out, f"{service} not reported ready"
    assert "ingest accepted 80 events from 80 webhooks" in out
    assert "80 events searchable" in out
    for facet in ("platform", "language", "intent", "sentiment", "queue"):
        assert f"events per {facet}" in out
    assert "support.queue." in out
    assert "webhook received -> searchable: p50" in out
    assert "GET /v1/search?q=dejaron de cargar&language=es" in out
    assert "GET /v1/conversations/" in out
    docs = re.search(r"search API docs: http://127\.0\.0\.1:(\d+)/docs", out)
    assert docs, out[-2000:]
    assert "services stopped" in out

    # The brand answered: replies went out on every platform, through the emulator.
    assert re.search(r"the agent answered \d+ conversations in the console, the help desk", out)
    assert "replies sent per platform" in out and "customers wrote again" in out
    figures = json.loads(summary_file.read_text())
    assert sum(figures["events"].values()) == figures["events_total"] == 80
    assert len(figures["events"]) == 7  # every platform
    assert set(figures["replies_sent"]) <= set(figures["events"])
    assert sum(figures["replies_sent"].values()) == figures["answered"]["agent_or_helpdesk"] > 0
    assert set(figures["conversations"]) == {"open", "waiting_customer", "resolved"}
    assert figures["conversations"]["resolved"] > 0
    assert figures["conversations"]["waiting_customer"] > 0
    # 80 events at 20/s leave too short a baseline for a spike alert: listed, not asserted
    assert isinstance(figures["alerts"], list) and "GET /v1/alerts" in out
    first = figures["first_response_ms"]
    assert first["answered"] > 0 and 0 < first["p50"] <= first["p90"]
    # The care figures are the metrics API's, over the run's conversations.
    assert "GET /v1/metrics/care: first response p50" in out
    care = figures["care_metrics"]
    assert care["first_response"]["count"] == first["answered"]
    # over the conversations opened during the run, which the status counts are too
    assert care["opened"] == sum(figures["conversations"].values())
    assert care["resolved"]["count"] == figures["conversations"]["resolved"]
    assert sum(care["sentiment"].values()) > 0
    # Surveys went out on resolution (automated replies) and the answers are the CSAT.
    # (the metrics leave out the backlog's conversations, opened hours before the run)
    assert 0 < care["csat"]["count"] <= figures["csat_answers"]
    assert 1 <= care["csat"]["average"] <= 5
    assert sum(figures["automated_sent"].values()) >= figures["csat_answers"]
    assert "surveys sent on resolution" in out
    # Listening: the poller heard the untagged posts the rules keep, not the job ad
    # or the brand's own; Viber's receipts are counted as dropped kinds.
    assert figures["listening"]["picked_up"] == 5, out[-3000:]
    assert figures["dropped_kinds"]["viber:delivered"] >= 1
    assert "listening: the poller picked up" in out
    # WhatsApp numbers and Viber's country field tell the customers' markets.
    assert any(market is not None for market in figures["sentiment_by_market"])

    # It used the groups and the alias it was given, not the defaults.
    es = elastic.client(settings)
    try:
        # the 80 messages, the customers' follow-ups and the brand's replies
        indexed = es.count(index=own_names["SOCIALCARE_INDEX_ALIAS"])["count"]
        assert indexed >= 80 + figures["follow_ups"] + figures["answered"]["agent_or_helpdesk"]
        # The router took the same messages for survey answers as the conversations
        # worker did (each comes after its survey on the conversation's partition):
        # routed with nothing due, so none asks for a reply or shows as breached.
        answers = survey_answers(es, own_names["SOCIALCARE_INDEX_ALIAS"], figures["csat_answers"])
        assert len(answers) == figures["csat_answers"] > 0
        assert [a for a in answers if a["routing"].get("first_response_due_at")] == []
    finally:
        es.close()
    admin = kafka.admin_client(settings)
    try:
        for role in ("CLASSIFY", "ROUTE", "INDEX", "CONVERSATIONS", "RESPOND"):
            group = own_names[f"SOCIALCARE_{role}_APP_ID"]
            assert admin.list_group_offsets({group: None})[group], f"{group} committed nothing"
    finally:
        admin.close()


def survey_answers(es, alias: str, expect: int, timeout: float = 30.0) -> list[dict]:
    """The indexed events the router routed as survey answers, once ``expect`` are
    searchable (or ``timeout`` passed): the index worker may still be writing them."""
    deadline = time.monotonic() + timeout
    while True:
        es.indices.refresh(index=alias)
        hits = es.search(
            index=alias,
            query={"term": {"routing.rule": "survey/answer"}},
            source=["routing"],
            size=500,
        )["hits"]["hits"]
        if len(hits) >= expect or time.monotonic() > deadline:
            return [h["_source"] for h in hits]
        time.sleep(1)
