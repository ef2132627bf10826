"""docs/deploy.md says what the manifests and the tests hold: the Elasticsearch
privileges come from the one file the security test reads, the key creation
speaks https, and the versions are the tested ones."""

from __future__ import annotations

import json
import re

from socialcare_dev.stack.versions import ELASTICSEARCH_VERSION, KAFKA_VERSION
from tests.support.kustomize import Obj
from tests.support.manifest_checks import PRIVACY_KEYS, PRIVACY_SECRET, containers
from tests.support.paths import REPO

DOCS = (REPO / "docs" / "deploy.md").read_text()
ROLES_FILE = REPO / "deploy" / "elasticsearch" / "api-key-roles.json"


def test_the_docs_take_the_privileges_from_the_one_file_the_security_test_reads():
    assert "deploy/elasticsearch/api-key-roles.json" in DOCS
    test = (REPO / "tests" / "integration" / "test_es_privileges.py").read_text()
    assert '"deploy" / "elasticsearch" / "api-key-roles.json"' in test
    # No privileges written out in the docs, where they could drift from the file.
    assert not re.search(r"privileges\W+\[|'\[\"(read|write|all|manage)", DOCS)


def test_each_elasticsearch_secret_key_has_a_role_and_a_key_command(rendered: list[Obj]):
    used = {
        env["valueFrom"]["secretKeyRef"]["key"]
        for obj in rendered
        for c in containers(obj)
        for env in c.get("env", [])
        if env.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
        == "socialcare-elasticsearch"
    }
    roles = set(json.loads(ROLES_FILE.read_text()))
    documented = set(re.findall(r'--from-literal=([\w-]+)="\$\(key \1\)"', DOCS))
    assert used == roles == documented


def test_elasticsearch_is_reached_over_https_in_the_docs():
    # ECK serves only https: a plain-http command cannot work.
    assert not re.search(r"http://[^\s]*(9200|es-http)", DOCS)
    assert "--cacert" in DOCS


def test_the_docs_state_the_tested_versions_and_the_operators():
    assert f"Kafka **{KAFKA_VERSION}**" in DOCS
    assert f"Elasticsearch **{ELASTICSEARCH_VERSION}**" in DOCS
    prerequisites = DOCS.split("## Prerequisites", 1)[1].split("\n## ", 1)[0]
    for operator in ("Strimzi", "ECK", "KEDA", "Prometheus Operator"):
        (row,) = [line for line in prerequisites.splitlines() if f"[{operator}]" in line]
        assert re.search(r"\| \d+\.\d+", row), row


def test_the_docs_create_the_privacy_secret_the_containers_read(rendered: list[Obj]):
    used = {
        env["valueFrom"]["secretKeyRef"]["key"]
        for obj in rendered
        for c in containers(obj)
        for env in c.get("env", [])
        if env.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == PRIVACY_SECRET
    }
    assert used == set(PRIVACY_KEYS.values())
    command = DOCS.split(f"create secret generic {PRIVACY_SECRET}", 1)[1].split("```", 1)[0]
    assert set(re.findall(r"--from-literal=([\w-]+)=", command)) == used
    for variable, key in PRIVACY_KEYS.items():
        (row,) = [line for line in DOCS.splitlines() if line.strip().startswith(f"| `{key}` |")]
        assert f"`{variable}`" in row


def test_the_docs_name_every_kafka_user(rendered: list[Obj]):
    users = {o["metadata"]["name"] for o in rendered if o["kind"] == "KafkaUser"}
    notes = DOCS.split("## Security notes", 1)[1]
    assert {u for u in users if f"`{u}`" not in notes} == set()
