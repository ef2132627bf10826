"""The search API's OpenAPI document is a contract: schemathesis (coverage and fuzzing
phases, every check, a fixed seed, a bounded example count) against the real service
process over the real Elasticsearch, with real keys, finds no 5xx and no response that
differs from what the document says.

The service searches an index alias of its own holding the test events. The key it is
given has only the `read` scope, so the erase endpoint is fuzzed up to its scope check
and never erases anything: whatever erasure records beyond the index stays untouched.
"""

import json
import subprocess
import sys
import uuid

import pytest

from socialcare import elastic
from socialcare_dev.pipeline import ServiceProcess, free_port
from tests.support.paths import REPO
from tests.support.search_index import EVENTS, drop_index, index_events

pytestmark = pytest.mark.integration

READ_KEY = "fuzz-reader-key-0123456789"
SEED = 20261113
MAX_EXAMPLES = 100
# Half the generated ids and filters are ones the test index holds, so the answers with
# data in them (threads, histories, similar messages, facets) are checked against the
# document too, not only the 404s and empty pages that random strings find.
CONFIG = """
[dictionaries.events]
values = {events}
[dictionaries.conversations]
values = {conversations}
[dictionaries.platforms]
values = {platforms}
[dictionaries.authors]
values = {authors}
[dictionaries.words]
values = ["blender motor", "Paket", "livraison", "سفارش"]

[parameters]
"path.event_id" = {{ dictionary = "events", probability = 0.5 }}
"path.conversation_id" = {{ dictionary = "conversations", probability = 0.5 }}
"path.platform" = {{ dictionary = "platforms", probability = 0.5 }}
"path.author_id" = {{ dictionary = "authors", probability = 0.5 }}
"query.q" = {{ dictionary = "words", probability = 0.3 }}
"""


@pytest.fixture(scope="module")
def service(search_settings, tmp_path_factory):
    settings = search_settings.model_copy(
        update={"index_alias": f"test-fuzz-{uuid.uuid4().hex[:8]}"}
    )
    es = elastic.client(settings)
    elastic.ensure_index(es, settings)
    es.close()
    assert index_events(settings, EVENTS) == {}
    port = free_port()
    server = ServiceProcess(
        ["search", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={
            "SOCIALCARE_INDEX_ALIAS": settings.index_alias,
            "SOCIALCARE_SEARCH_API_KEYS": f"{READ_KEY}:read",
            "SOCIALCARE_LOG_LEVEL": "WARNING",
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=tmp_path_factory.mktemp("fuzz") / "search.log",
    )
    server.start()
    yield f"http://127.0.0.1:{port}", server
    server.stop()
    drop_index(settings)


def test_schemathesis_finds_no_server_error_and_no_contract_violation(service, tmp_path):
    url, server = service
    report = tmp_path / "report.ndjson"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            events=json.dumps([e.event_id for e in EVENTS]),
            conversations=json.dumps(sorted({e.conversation_id for e in EVENTS})),
            platforms=json.dumps(sorted({e.platform for e in EVENTS})),
            authors=json.dumps(sorted({e.author.id for e in EVENTS})),
        )
    )
    run = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "st"),
            f"--config-file={config}",
            "run",
            f"{url}/openapi.json",
            "--phases=coverage,fuzzing",
            "--checks=all",
            f"--seed={SEED}",
            f"--max-examples={MAX_EXAMPLES}",
            "--workers=1",
            "--request-timeout=20",
            "--suppress-health-check=too_slow",
            "--header",
            f"X-API-Key: {READ_KEY}",
            "--report=ndjson",
            f"--report-ndjson-path={report}",
            "--output-truncate=false",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": str(REPO / ".venv" / "bin"), "NO_COLOR": "1", "HOME": str(tmp_path)},
    )
    cases = _cases(report)
    print(f"schemathesis ran {cases} test cases")  # the count the notes quote
    sys.stdout.write(run.stdout[-6000:])
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-3000:]}\n{server.tail()}"
    assert cases > 500  # every operation was actually exercised


def _cases(report) -> int:
    """Test cases schemathesis sent, from its event stream."""
    total = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for name, body in event.items():
            if name == "ScenarioFinished":
                total += len(body.get("recorder", {}).get("cases", {}))
    return total
