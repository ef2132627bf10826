"""Each service does its real work against Elasticsearch with security on and exactly
the privileges docs/deploy.md gives its API key (deploy/elasticsearch/api-key-roles.json,
the one file both read), and is refused nothing.

The node is a second local one with security enabled (SecureElasticsearchServer).
Its test distribution has no analysis-common module, which the ``.security`` index
needs, so it can store no API keys; each service instead logs in as a file-realm
user holding a role with the API key's role descriptor. An API key owned by the
superuser is limited to exactly its role descriptors, so the privileges checked are
the same; only the credential differs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from socialcare import elastic
from socialcare.index.indexer import Indexer
from socialcare.ingest.enrichment_sweep import EnrichmentSweep, SweepWindow
from socialcare.schema import AlertStatus, RoutedEvent
from socialcare.search.api import create_app
from socialcare.search.settings import SearchSettings
from socialcare.settings import Settings
from socialcare_dev.stack.elasticsearch_server import SecureElasticsearchServer
from tests.support.alerts import spike_alert, write_alerts
from tests.support.paths import REPO

ROLES_FILE = REPO / "deploy" / "elasticsearch" / "api-key-roles.json"
# The alias the file's index names are written for (base/settings.env).
DEPLOYED_ALIAS = "social-events"
SERVICES = ("index-worker", "search", "provision", "alerts-worker", "enrichment-sweep")
AGENT_KEY = "agent-key-privileges-0123456789"
ADMIN_KEY = "admin-key-privileges-0123456789"
# A privilege that works only by a deprecated allowance (the `index` privilege
# updating mappings, say) fails here, not at the next major version.
pytestmark = pytest.mark.filterwarnings("error::elasticsearch.ElasticsearchWarning")
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def roles_for(alias: str) -> dict[str, Any]:
    """The file's role descriptors, for an index alias other than the deployed one
    (each test gets an alias of its own)."""
    text = ROLES_FILE.read_text()
    roles = json.loads(text)
    names = [n for role in roles.values() for i in role["indices"] for n in i["names"]]
    assert names and all(n.startswith(DEPLOYED_ALIAS) for n in names)
    return json.loads(text.replace(f'"{DEPLOYED_ALIAS}', f'"{alias}'))


class SecureNode:
    """The security-on node, with a user per (alias, service) holding that
    service's role."""

    def __init__(self, server: SecureElasticsearchServer) -> None:
        self.server = server
        self.roles: dict[str, Any] = {}
        self.users: dict[tuple[str, str], tuple[str, str]] = {}

    @property
    def url(self) -> str:
        return self.server.address

    def admin(self) -> Elasticsearch:
        return Elasticsearch(self.url, basic_auth=("elastic", self.server.password))

    def credentials(self, alias: str) -> dict[str, tuple[str, str]]:
        if (alias, SERVICES[0]) not in self.users:
            for service, role in roles_for(alias).items():
                self.roles[f"{service}-{alias}"] = role
            self.server.set_roles(self.roles)
            for service in SERVICES:
                user, password = f"{service}-{alias}", secrets.token_hex(12)
                self.server.add_user(user, password, [user])
                self.users[(alias, service)] = (user, password)
            for service in SERVICES:
                self.wait_for_role(alias, service, self.roles[f"{service}-{alias}"])
        return {service: self.users[(alias, service)] for service in SERVICES}

    def set_role(self, alias: str, service: str, role: dict[str, Any]) -> None:
        """Replace one user's role, and wait until the node enforces the new one."""
        self.server.set_roles({**self.roles, f"{service}-{alias}": role})
        self.wait_for_role(alias, service, role)

    def wait_for_role(self, alias: str, service: str, role: dict[str, Any]) -> None:
        # The node re-reads its users and roles files every second
        # (resource.reload.interval.high); the user's effective privileges say
        # when it has.
        user, password = self.users[(alias, service)]
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}/_security/user/_privileges", headers={"Authorization": f"Basic {token}"}
        )
        expected = _privileges(role)
        seen: Any = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    seen = _privileges(json.load(response))
                    if seen == expected:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code != 401:
                    raise
            time.sleep(0.25)
        raise AssertionError(f"{user}: the node enforces {seen}, not {expected}")


def _privileges(role: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    """A role's cluster privileges and (index name, privilege) pairs."""
    return set(role.get("cluster", [])), {
        (name, privilege)
        for entry in role.get("indices", [])
        for name in entry["names"]
        for privilege in entry["privileges"]
    }


@pytest.fixture(scope="module")
def node(settings: Settings) -> Iterator[SecureNode]:
    server = SecureElasticsearchServer(settings)
    server.install(print)
    started = not server.process.running
    if started:
        server.start_process(print)
    server.wait_ready()
    yield SecureNode(server)
    if started and not os.environ.get("SOCIALCARE_KEEP_STACK"):
        server.process.stop(timeout=30)


@contextlib.contextmanager
def logged_in_as(credentials: tuple[str, str]) -> Iterator[None]:
    """Every client the code builds (elastic.client / async_client) authenticates
    as this user instead of with an API key."""
    options = elastic._client_options

    def as_user(settings: Settings) -> dict[str, Any]:
        found = options(settings)
        found.pop("api_key", None)
        return {**found, "basic_auth": credentials, "max_retries": 0}

    with mock.patch.object(elastic, "_client_options", as_user):
        yield


def service_settings(node: SecureNode, alias: str) -> SearchSettings:
    return SearchSettings(
        elasticsearch_url=node.url,
        index_alias=alias,
        embedding_dims=4,
        search_api_keys=f"{AGENT_KEY}:read,{ADMIN_KEY}:read+erase",
    )


def event(n: int, conversation: str, author: str, direction: str = "inbound") -> RoutedEvent:
    created = T0 + timedelta(minutes=10 * n)
    return RoutedEvent.model_validate(
        {
            "platform": "twitter",
            "platform_message_id": f"privileges-{n}",
            "kind": "reply" if direction == "outbound" else "mention",
            "direction": direction,
            "brand_account_id": "brand",
            "conversation_id": conversation,
            "author": {"id": author, "handle": f"@{author}", "follower_count": 10},
            "text": f"blender motor burnt, message {n}",
            "created_at": created.isoformat(),
            "received_at": created.isoformat(),
            "classification": {
                "intent": "defect",
                "intent_scores": {"defect": 0.9},
                "sentiment": "negative",
                "sentiment_scores": {"negative": 0.9},
                "language": "en",
                "language_confidence": 0.99,
                "model_version": "test",
                "embedding": [1.0, float(n), 0.0, 0.0],
            },
            "routing": {
                "queue": "support.queue.en.tech_support",
                "language_queue": "en",
                "skill": "tech_support",
                "priority": "P2",
                "first_response_due_at": None
                if direction == "outbound"
                else (created + timedelta(minutes=5)).isoformat(),
                "rule": "test",
                "routed_at": created.isoformat(),
            },
        }
    )


# Two customer messages, then the brand's reply (the outbound path: the indexer
# marks the conversation's messages answered), and a second customer to erase.
EVENTS = [
    event(1, "c-privileges-1", "u-anna"),
    event(2, "c-privileges-1", "u-anna"),
    event(3, "c-privileges-1", "brand", direction="outbound"),
    event(4, "c-privileges-2", "u-erase"),
]


def provision(settings: SearchSettings, credentials: tuple[str, str]) -> None:
    """The Elasticsearch half of what the provision Job runs (`socialcare stack
    provision`, LocalStack.provision)."""
    with logged_in_as(credentials):
        es = elastic.client(settings)
        try:
            elastic.ensure_index(es, settings)
        finally:
            es.close()


def index(settings: SearchSettings, credentials: tuple[str, str], events: list) -> dict:
    """What the index worker does with a batch, with a deadline: a refused request
    (403) that the indexer took for an outage would be retried forever."""

    async def run() -> dict[str, str]:
        es = elastic.async_client(settings)
        try:
            return await asyncio.wait_for(Indexer(es, settings.index_alias).index(events), 20)
        finally:
            await es.close()

    with logged_in_as(credentials):
        return asyncio.run(run())


@pytest.fixture(scope="module")
def indexed(stack, node: SecureNode) -> tuple[SearchSettings, dict[str, tuple[str, str]]]:
    alias = f"social-events-{uuid.uuid4().hex[:8]}"
    credentials = node.credentials(alias)
    settings = service_settings(node, alias)
    provision(settings, credentials["provision"])
    assert index(settings, credentials["index-worker"], EVENTS) == {}
    yield settings, credentials
    drop(node, alias)


def drop(node: SecureNode, alias: str) -> None:
    es = node.admin()
    try:
        for name in es.indices.get(index=f"{alias}-*", expand_wildcards="all"):
            es.indices.delete(index=name)
        es.options(ignore_status=404).indices.delete_index_template(name=alias)
    finally:
        es.close()


def test_the_role_file_names_a_role_for_every_elasticsearch_secret_key():
    assert set(json.loads(ROLES_FILE.read_text())) == set(SERVICES)


def test_the_index_worker_indexes_and_marks_replies_with_its_privileges(indexed, node):
    settings, _ = indexed
    es = node.admin()
    try:
        es.indices.refresh(index=settings.index_alias)
        answered = es.get(index=settings.index_alias, id=EVENTS[0].event_id)["_source"]
    finally:
        es.close()
    # Set by the outbound reply's pass over its conversation.
    assert answered["response"]["answered_at"] is not None


def test_the_search_api_answers_every_endpoint_with_its_privileges(indexed):
    settings, credentials = indexed
    agent, admin = {"X-API-Key": AGENT_KEY}, {"X-API-Key": ADMIN_KEY}
    first = EVENTS[0]
    with logged_in_as(credentials["search"]), TestClient(create_app(settings)) as api:
        answers = {
            "readyz": api.get("/readyz"),
            "search": api.get("/v1/search", params={"q": "blender"}, headers=agent),
            "conversation": api.get(f"/v1/conversations/{first.conversation_id}", headers=agent),
            "history": api.get("/v1/authors/twitter/u-anna/history", headers=agent),
            "similar": api.get(f"/v1/similar/{first.event_id}", headers=agent),
            "stats": api.get("/v1/stats", headers=agent),
            "erase": api.delete("/v1/authors/twitter/u-erase", headers=admin),
        }
    refused = {
        name: (r.status_code, r.text[:300]) for name, r in answers.items() if r.status_code != 200
    }
    assert refused == {}
    assert answers["search"].json()["total"] >= 2
    assert answers["erase"].json()["deleted"] == 1


def test_provision_runs_again_after_the_alias_moved_to_a_new_index(stack, node):
    """The provision Job re-runs on every apply; after the documented migration
    (a new index behind the alias, the old one deleted) it changes nothing."""
    alias = f"social-events-{uuid.uuid4().hex[:8]}"
    credentials = node.credentials(alias)
    settings = service_settings(node, alias)
    provision(settings, credentials["provision"])
    es = node.admin()
    try:
        old, new = f"{alias}-v{elastic.INDEX_VERSION}", f"{alias}-v{elastic.INDEX_VERSION + 1}"
        es.indices.create(index=new)
        es.indices.update_aliases(
            actions=[
                {"remove": {"index": old, "alias": alias}},
                {"add": {"index": new, "alias": alias, "is_write_index": True}},
            ]
        )
        es.indices.delete(index=old)
        provision(settings, credentials["provision"])
        provision(settings, credentials["provision"])
        assert set(es.indices.get_alias(name=alias)) == {new}
        assert not es.indices.exists(index=old)
    finally:
        es.close()
        drop(node, alias)


def _without(role: dict[str, Any], entry: int, privilege: str) -> dict[str, Any]:
    narrowed = json.loads(json.dumps(role))
    grant = narrowed["cluster"] if entry < 0 else narrowed["indices"][entry]["privileges"]
    grant.remove(privilege)
    # An index entry with no privileges is an invalid role: leave the entry out.
    narrowed["indices"] = [e for e in narrowed["indices"] if e["privileges"]]
    return narrowed


def _grants(role: dict[str, Any]) -> list[tuple[int, str]]:
    """(-1 for the cluster or the index entry's position, privilege), each one."""
    return [(-1, p) for p in role["cluster"]] + [
        (i, p) for i, entry in enumerate(role["indices"]) for p in entry["privileges"]
    ]


def _fails(run: Any) -> str | None:
    """Why ``run`` failed (refused, rejected documents, a non-200 answer), or None."""
    try:
        outcome = run()
    # Any refusal, however the code reports it.
    except Exception as exc:
        return repr(exc)[:200]
    return outcome or None


def _service_run(service: str, node: SecureNode, settings: SearchSettings, creds: dict) -> Any:
    """One service's work, from a state that needs all of it."""
    alias = settings.index_alias
    admin_settings = SearchSettings(**{**settings.model_dump(), "elasticsearch_api_key": None})

    def fresh() -> None:
        drop(node, alias)

    def provisioned() -> None:
        fresh()
        provision(admin_settings, ("elastic", node.server.password))

    def indexed() -> None:
        provisioned()
        assert index(admin_settings, ("elastic", node.server.password), EVENTS) == {}

    def provision_run() -> str | None:
        fresh()
        provision(settings, creds["provision"])
        return None

    def index_run() -> str | None:
        provisioned()
        rejected = index(settings, creds["index-worker"], EVENTS)
        return f"rejected: {rejected}" if rejected else None

    def search_run() -> str | None:
        indexed()
        agent, admin = {"X-API-Key": AGENT_KEY}, {"X-API-Key": ADMIN_KEY}
        first = EVENTS[0]
        with logged_in_as(creds["search"]), TestClient(create_app(settings)) as api:
            for answer in (
                api.get("/readyz"),
                api.get("/v1/search", params={"q": "blender"}, headers=agent),
                api.get(f"/v1/conversations/{first.conversation_id}", headers=agent),
                api.get("/v1/authors/twitter/u-anna/history", headers=agent),
                api.get(f"/v1/similar/{first.event_id}", headers=agent),
                api.get("/v1/stats", headers=agent),
                api.delete("/v1/authors/twitter/u-erase", headers=admin),
            ):
                if answer.status_code != 200:
                    return f"{answer.request.url.path}: {answer.status_code} {answer.text[:200]}"
        return None

    def alerts_run() -> str | None:
        fresh()
        alert = spike_alert("privileges-alert", AlertStatus.open, T0, T0)
        try:
            with logged_in_as(creds["alerts-worker"]):
                write_alerts(settings, [alert], refresh=False)
        except TimeoutError:
            return "refused (retried until the deadline)"
        return None

    def sweep_run() -> str | None:
        indexed()
        # Its search of the stored mentions (none here: the fetch is not the ES part).
        window = SweepWindow(datetime.now(UTC), timedelta(minutes=2), timedelta(hours=24))

        async def go() -> None:
            es = elastic.async_client(settings)
            try:
                await EnrichmentSweep(es, alias, None, None, lambda: window, 10).once()
            finally:
                await es.close()

        with logged_in_as(creds["enrichment-sweep"]):
            asyncio.run(go())
        return None

    return {
        "provision": provision_run,
        "enrichment-sweep": sweep_run,
        "index-worker": index_run,
        "search": search_run,
        "alerts-worker": alerts_run,
    }[service]


@pytest.mark.parametrize("service", SERVICES)
def test_every_privilege_granted_is_one_the_service_needs(stack, node, service: str):
    """Exactly what the code needs: take any one privilege away and the service's
    work fails, so the role file holds nothing superfluous - and the test above can
    fail, since each of these runs is a service refused."""
    alias = f"social-events-{uuid.uuid4().hex[:8]}"
    credentials = node.credentials(alias)
    settings = service_settings(node, alias)
    run = _service_run(service, node, settings, credentials)
    role = node.roles[f"{service}-{alias}"]
    superfluous = []
    try:
        assert _fails(run) is None
        for entry, privilege in _grants(role):
            node.set_role(alias, service, _without(role, entry, privilege))
            if _fails(run) is None:
                superfluous.append((entry, privilege))
    finally:
        node.set_role(alias, service, role)
        drop(node, alias)
    assert superfluous == []
