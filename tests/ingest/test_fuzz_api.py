"""schemathesis against the ingest API: its OpenAPI document is a contract, and no
request, however malformed, gets a 5xx.

The app runs in process (ASGI) with real secrets and API keys and a REAL
EventPublisher to the local Kafka, on a topic of this run's own so the fuzzer's
events never reach the pipeline's consumers. Coverage and fuzzing phases, every
check, a fixed seed and a bounded number of examples (well under two minutes).

The webhooks are signed by the platforms, which the fuzzer is not. A thin ASGI
wrapper plays the platform: where the fuzzer sent a signature header, it replaces
the value with the valid signature of the body as sent, so generated bodies reach
the adapters; where it left the header out, the request stays unsigned and must be
refused (401). /v1/events uses the documented X-API-Key scheme with a real key.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from kafka.admin import NewTopic
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from socialcare import kafka
from socialcare.ingest.app import create_app
from socialcare.ingest.publisher import EventPublisher
from socialcare.ingest.settings import IngestSettings
from socialcare.schema import Event
from tests.support.kafka_tail import TopicTail
from tests.support.webhooks import OUTBOUND_KEY, SECRETS, SIGNERS

pytestmark = pytest.mark.integration

SEED = 20261204
CONFIG = f"""
seed = {SEED}

[generation]
max-examples = 60
database = "none"

[phases.examples]
enabled = false
[phases.stateful]
enabled = false
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true

[checks]
enabled = true

[auth.openapi.ApiKey]
api_key = "{OUTBOUND_KEY}"

# A webhook body is the platform's documented payload; the OpenAPI document names only
# its top-level fields. A well-formed object without what the adapter needs is refused
# with 422 naming the missing field: the documented answer, not a rejected valid input.
[[operations]]
include-path-regex = "^/webhooks/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "422"]
"""

# path -> {header (lower case): the header's name as the platform computes it}
_SIGNATURE_HEADERS = {
    path: {name.lower(): name for name in signer(b"")} for path, signer in SIGNERS.items()
}


class PlatformSigner:
    """ASGI wrapper: signs webhook bodies the way the platform would (see above)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/webhooks/"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = []
        signed = _SIGNATURE_HEADERS.get(scope["path"], {})
        for name, value in scope["headers"]:
            header = signed.get(name.decode("latin-1").lower())
            if header:
                value = SIGNERS[scope["path"]](bytes(body))[header].encode()
            headers.append((name, value))
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


@pytest.fixture
def fuzz_topic(stack, settings) -> Iterator[str]:
    name = f"test.fuzz.ingest.{uuid.uuid4().hex[:8]}"
    admin = kafka.admin_client(settings)
    try:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        yield name
    finally:
        admin.delete_topics([name])
        admin.close()


def test_ingest_api_keeps_its_contract_under_fuzzing(settings, fuzz_topic):
    ingest_settings = IngestSettings(**{**settings.model_dump(), **SECRETS})
    publisher = EventPublisher(ingest_settings, timeout=10.0, topic=fuzz_topic)
    tail = TopicTail(ingest_settings, fuzz_topic)
    app = PlatformSigner(create_app(ingest_settings, publisher))
    config = SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    errors: list[str] = []
    try:
        for event in schemathesis.engine.from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                cases[event.phase.value] += len(event.recorder.cases)
                for interaction in event.recorder.interactions.values():
                    if interaction.response is not None:
                        statuses[interaction.response.status_code] += 1
                for case_id, checks in event.recorder.checks.items():
                    for check in checks:
                        if check.status == Status.FAILURE:
                            info = check.failure_info
                            title = info.failure.title if info else ""
                            case = event.recorder.cases[case_id].value
                            sent = event.recorder.interactions.get(case_id)
                            answer = sent.response if sent else None
                            failures.append(
                                f"{event.label} {check.name}: {title}\n"
                                f"  {case.as_curl_command()[:600]}\n"
                                f"  -> {answer.status_code if answer else ''} "
                                f"{answer.content[:300] if answer and answer.content else ''}"
                            )
            elif isinstance(event, events.NonFatalError | events.FatalError):
                errors.append(str(getattr(event, "value", event))[:2000])
        published = tail.read_to_end()
    finally:
        tail.close()
        publisher.close()

    total = sum(cases.values())
    print(f"schemathesis: {total} cases {dict(cases)}, statuses {dict(sorted(statuses.items()))}")
    print(f"published to {fuzz_topic}: {len(published)} events")
    assert not errors, "\n".join(errors)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(set(failures))[:20])
    assert total > 200, cases
    assert not any(status >= 500 for status in statuses), statuses
    # The fuzzer got through the signatures and the key into real publishes, and what
    # reached Kafka is whole events.
    assert statuses[200] > 20, statuses
    for record in published:
        Event.model_validate_json(record.value)
