"""Every overlay renders to objects the API server and the operators would accept,
that pass our own rules, and that run the services the way the code expects."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from socialcare.alerts.settings import AlertsSettings
from socialcare.classify.settings import ClassifySettings
from socialcare.conversations.settings import ConversationsSettings
from socialcare.index.settings import IndexSettings
from socialcare.listen.settings import ListenSettings
from socialcare.respond.settings import RespondSettings
from socialcare.route.settings import RouteSettings
from socialcare_dev.stack.versions import ELASTICSEARCH_VERSION, KAFKA_VERSION
from tests.support import manifest_checks as checks
from tests.support import manifest_schemas as schemas
from tests.support.kustomize import K8S, OVERLAYS, Obj, build
from tests.support.manifest_checks import containers, pod_spec

# role -> (Deployment, CLI arguments, port the role listens on by default)
ROLES = {
    "ingest": ("ingest", ["ingest", "serve"], 8000),
    "classify": ("classify-worker", ["classify", "worker"], ClassifySettings().classify_web_port),
    "route": ("route-worker", ["route", "worker"], RouteSettings().route_web_port),
    "respond": ("respond-worker", ["respond", "worker"], RespondSettings().respond_web_port),
    "conversations": (
        "conversations-worker",
        ["conversations", "worker"],
        ConversationsSettings().conversations_web_port,
    ),
    "index": ("index-worker", ["index", "worker"], IndexSettings().index_web_port),
    "search": ("search", ["search", "serve"], 8001),
    "alerts": ("alerts-worker", ["alerts", "worker"], AlertsSettings().alerts_web_port),
    "listen": ("listen-worker", ["listen", "worker"], ListenSettings().listen_web_port),
}
WORKER_GROUPS = {
    "classify-worker": ClassifySettings().classify_app_id,
    "route-worker": RouteSettings().route_app_id,
    "respond-worker": RespondSettings().respond_app_id,
    "conversations-worker": ConversationsSettings().conversations_app_id,
    "index-worker": IndexSettings().index_app_id,
}


def _get(objects: list[Obj], kind: str, name: str) -> Obj:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _settings(objects: list[Obj]) -> dict[str, str]:
    (cm,) = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("socialcare-settings-")
    ]
    return cm["data"]


def test_every_object_is_valid_for_kubernetes_and_the_operators(rendered: list[Obj]):
    assert [e for obj in rendered for e in schemas.errors(obj)] == []


def test_every_object_passes_our_checks(rendered: list[Obj]):
    assert checks.problems(rendered) == []


def test_every_role_runs_from_the_one_image_and_is_probed_where_it_listens(rendered: list[Obj]):
    images = set()
    for deployment, args, port in ROLES.values():
        (container,) = containers(_get(rendered, "Deployment", deployment))
        assert container["args"] == args
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "http"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        images.add(container["image"])
    assert len(images) == 1


def test_workers_shut_down_gracefully_and_never_surge(rendered: list[Obj]):
    for deployment in WORKER_GROUPS:
        obj = _get(rendered, "Deployment", deployment)
        assert pod_spec(obj)["terminationGracePeriodSeconds"] >= 30
        assert obj["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    for deployment in ("ingest", "search"):
        (container,) = containers(_get(rendered, "Deployment", deployment))
        assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"


def test_workers_scale_on_the_lag_of_their_own_consumer_group(rendered: list[Obj]):
    for deployment, group in WORKER_GROUPS.items():
        scaled = _get(rendered, "ScaledObject", deployment)
        assert scaled["spec"]["scaleTargetRef"]["name"] == deployment
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == group
        servers = _settings(rendered)["SOCIALCARE_KAFKA_BOOTSTRAP_SERVERS"]
        assert trigger["metadata"]["bootstrapServers"] == servers
    for deployment in ("ingest", "search"):
        hpa = _get(rendered, "HorizontalPodAutoscaler", deployment)
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_read_only_pods_get_writable_scratch_where_the_code_writes(rendered: list[Obj]):
    data_dir = _settings(rendered)["SOCIALCARE_WORKER_DATA_DIR"]
    for deployment, _, _ in ROLES.values():
        (container,) = containers(_get(rendered, "Deployment", deployment))
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts
        if deployment in WORKER_GROUPS:
            assert data_dir in mounts


@pytest.mark.parametrize("deployment", ["route-worker", "conversations-worker", "index-worker"])
def test_the_workers_that_read_the_routing_file_mount_its_configmap(
    rendered: list[Obj], deployment: str
):
    route = _get(rendered, "Deployment", deployment)
    (volume,) = [v for v in pod_spec(route)["volumes"] if "configMap" in v]
    (container,) = containers(route)
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    routing = _settings(rendered)["SOCIALCARE_ROUTING_CONFIG"]
    assert routing == f"{mount['mountPath']}/routing.yaml"
    cm = _get(rendered, "ConfigMap", volume["configMap"]["name"])
    assert cm["data"]["routing.yaml"] == (K8S / "base" / "routing.yaml").read_text()


def test_only_ingest_and_search_are_reachable_from_outside(rendered: list[Obj]):
    backends = {
        path["backend"]["service"]["name"]
        for ingress in rendered
        if ingress["kind"] == "Ingress"
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"ingest", "search"}
    for ingress in (o for o in rendered if o["kind"] == "Ingress"):
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    policies = [o for o in rendered if o["kind"] == "NetworkPolicy"]
    deny = _get(rendered, "NetworkPolicy", "socialcare-default-deny")["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    for deployment, _, _ in ROLES.values():
        labels = _get(rendered, "Deployment", deployment)["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in deny["podSelector"]["matchLabels"].items())
    from_outside = [
        p
        for p in policies
        for rule in p["spec"].get("ingress", [])
        for peer in rule["from"]
        if "ingress-nginx" in str(peer.get("namespaceSelector"))
    ]
    (policy,) = from_outside
    (components,) = [
        e["values"]
        for e in policy["spec"]["podSelector"]["matchExpressions"]
        if e["key"] == "app.kubernetes.io/component"
    ]
    assert components == ["ingest", "search"]


def test_replication_matches_the_cluster_size(rendered: list[Obj]):
    settings = _settings(rendered)
    kafka = _get(rendered, "Kafka", "socialcare")["spec"]["kafka"]["config"]
    brokers = _get(rendered, "KafkaNodePool", "brokers")["spec"]["replicas"]
    factor = int(settings["SOCIALCARE_KAFKA_REPLICATION_FACTOR"])
    assert factor == kafka["default.replication.factor"] <= brokers
    assert kafka["min.insync.replicas"] == max(1, factor - 1)
    es = _get(rendered, "Elasticsearch", "socialcare")["spec"]
    nodes = sum(n["count"] for n in es["nodeSets"])
    assert int(settings["SOCIALCARE_INDEX_REPLICAS"]) == min(1, nodes - 1)
    assert es["version"] == ELASTICSEARCH_VERSION


def test_secrets_are_referenced_never_committed(rendered: list[Obj]):
    referenced = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for obj in rendered
        for c in containers(obj)
        for env in c.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    # The operators' Secrets: each KafkaUser's password (User Operator).
    users = {o["metadata"]["name"] for o in rendered if o["kind"] == "KafkaUser"}
    ours = {
        "socialcare-platforms",
        "socialcare-platform-tokens",
        "socialcare-search",
        "socialcare-elasticsearch",
        "socialcare-privacy",
    }
    assert referenced == ours | users
    assert not [o for o in rendered if o["kind"] == "Secret"]


def test_kafka_is_the_version_the_clients_are_tested_against(rendered: list[Obj]):
    # The local stack (and so every Kafka test) runs KAFKA_VERSION; docs/deploy.md
    # names the Strimzi releases that run it.
    assert _get(rendered, "Kafka", "socialcare")["spec"]["kafka"]["version"] == KAFKA_VERSION


def test_memory_is_sized_from_the_measured_peaks(rendered: list[Obj]):
    # deploy/k8s/measured-rss.json: peak RSS per role under the end-to-end benchmark
    # (deploy/k8s/resources.md). A quarter of headroom at least, on request and limit.
    peaks = json.loads((K8S / "measured-rss.json").read_text())
    assert set(peaks) == set(ROLES)
    small = {}
    for role, (deployment, _, _) in ROLES.items():
        (container,) = containers(_get(rendered, "Deployment", deployment))
        for kind in ("requests", "limits"):
            mib = _mebibytes(container["resources"][kind]["memory"])
            if mib < 1.25 * peaks[role]:
                small[f"{deployment} {kind}"] = (mib, peaks[role])
    assert small == {}


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024, "Ki": 1 / 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity.removesuffix(suffix)) * factor
    return int(quantity) / 2**20


@pytest.mark.skipif("dev" not in OVERLAYS, reason="no dev overlay")
def test_the_dev_cluster_needs_no_zone_labels():
    # kind and minikube nodes have no topology.kubernetes.io/zone label: Strimzi's
    # rack init container fails without it, and a hard spread on it never schedules.
    dev = build(K8S / "overlays" / "dev")
    assert "rack" not in _get(dev, "Kafka", "socialcare")["spec"]["kafka"]
    hard = [
        ref
        for ref, constraint in _spread_constraints(dev)
        if constraint["topologyKey"] == "topology.kubernetes.io/zone"
        and constraint.get("whenUnsatisfiable") != "ScheduleAnyway"
    ]
    assert hard == []


def _spread_constraints(objects: list[Obj]):
    for obj in objects:
        spec = pod_spec(obj)
        if obj["kind"] == "KafkaNodePool":
            spec = obj["spec"].get("template", {}).get("pod", {})
        elif obj["kind"] == "Elasticsearch":
            for node_set in obj["spec"]["nodeSets"]:
                for c in (
                    node_set.get("podTemplate", {})
                    .get("spec", {})
                    .get("topologySpreadConstraints", [])
                ):
                    yield checks.ref(obj), c
            continue
        for c in (spec or {}).get("topologySpreadConstraints", []):
            yield checks.ref(obj), c


# The checks must fail on a broken object, or passing them proves nothing.
def _deployment(objects: list[Obj]) -> Obj:
    return _get(objects, "Deployment", "ingest")


def _container(objects: list[Obj]) -> Obj:
    return next(containers(_deployment(objects)))


def _env(container: Obj, name: str) -> Obj:
    (env,) = [e for e in container["env"] if e["name"] == name]
    return env


def _settings_name(objects: list[Obj]) -> str:
    (name,) = [
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("socialcare-settings-")
    ]
    return name


def _user(objects: list[Obj], name: str) -> Obj:
    return _get(objects, "KafkaUser", name)


def _drop_acl(objects: list[Obj], user: str, resource: str) -> None:
    acls = _user(objects, user)["spec"]["authorization"]["acls"]
    acls[:] = [a for a in acls if a["resource"].get("name") != resource]


def _search_container(objects: list[Obj]) -> Obj:
    return next(containers(_get(objects, "Deployment", "search")))


def _drop_env(container: Obj, name: str) -> None:
    container["env"] = [e for e in container["env"] if e["name"] != name]


def _kafka_egress(objects: list[Obj]) -> list[str]:
    (values,) = [
        e["values"]
        for e in _get(objects, "NetworkPolicy", "socialcare-to-kafka")["spec"]["podSelector"][
            "matchExpressions"
        ]
        if e["key"] == "app.kubernetes.io/component"
    ]
    return values


def _rename_search_user(objects: list[Obj]) -> None:
    _user(objects, "socialcare-search-api")["metadata"]["name"] = "socialcare-search"
    _env(_search_container(objects), "SOCIALCARE_KAFKA_SASL_USERNAME").update(
        value="socialcare-search"
    )
    _env(_search_container(objects), "SOCIALCARE_KAFKA_SASL_PASSWORD")["valueFrom"][
        "secretKeyRef"
    ].update(name="socialcare-search")


BREAKAGES: dict[str, tuple[Callable[[list[Obj]], None], str]] = {
    "no limits": (
        lambda o: _container(o)["resources"].pop("limits"),
        "container ingest: no cpu limits",
    ),
    "no readiness probe": (
        lambda o: _container(o).pop("readinessProbe"),
        "container ingest: no readinessProbe",
    ),
    "root": (
        lambda o: pod_spec(_deployment(o))["securityContext"].update(runAsNonRoot=False),
        "runAsNonRoot is not set",
    ),
    "writable root": (
        lambda o: _container(o)["securityContext"].pop("readOnlyRootFilesystem"),
        "root filesystem is writable",
    ),
    "latest tag": (
        lambda o: _container(o).update(image="socialcare:latest"),
        "unpinned image socialcare:latest",
    ),
    "no tag": (lambda o: _container(o).update(image="socialcare"), "unpinned image socialcare"),
    "a Kafka version left to the operator": (
        lambda o: _get(o, "Kafka", "socialcare")["spec"]["kafka"].pop("version"),
        "Kafka/socialcare: no version",
    ),
    "replicas beside an autoscaler": (
        lambda o: _deployment(o)["spec"].update(replicas=3),
        "Deployment/ingest: sets replicas",
    ),
    "more consumers than partitions": (
        lambda o: _get(o, "ScaledObject", "classify-worker")["spec"].update(maxReplicaCount=12),
        "maxReplicaCount 12 is more than the 6 partitions of social.events.raw",
    ),
    "no disruption budget": (
        lambda o: o.remove(_get(o, "PodDisruptionBudget", "ingest")),
        "Deployment/ingest: no PodDisruptionBudget",
    ),
    "a committed secret": (
        lambda o: o.append({"kind": "Secret", "metadata": {"name": "leak"}}),
        "Secret/leak: a Secret in the manifests",
    ),
    "an unknown setting": (
        lambda o: _container(o)["env"].append({"name": "SOCIALCARE_NO_SUCH", "value": "1"}),
        "SOCIALCARE_NO_SUCH is no socialcare setting",
    ),
    "a Kafka client on PLAINTEXT": (
        lambda o: _env(_container(o), "SOCIALCARE_KAFKA_SECURITY_PROTOCOL").update(
            value="PLAINTEXT"
        ),
        "Deployment/ingest container ingest: SOCIALCARE_KAFKA_SECURITY_PROTOCOL is not SASL_SSL",
    ),
    "a Kafka user that does not exist": (
        lambda o: _env(_container(o), "SOCIALCARE_KAFKA_SASL_USERNAME").update(value="nobody"),
        "SOCIALCARE_KAFKA_SASL_USERNAME nobody is no KafkaUser",
    ),
    "another user's password": (
        lambda o: _env(_container(o), "SOCIALCARE_KAFKA_SASL_PASSWORD")["valueFrom"][
            "secretKeyRef"
        ].update(name="socialcare-route"),
        "the password is not from the Secret socialcare-ingest",
    ),
    "a Kafka CA that is not mounted": (
        lambda o: _env(_container(o), "SOCIALCARE_KAFKA_SSL_CAFILE").update(value="/tmp/ca.crt"),
        "SOCIALCARE_KAFKA_SSL_CAFILE /tmp/ca.crt is not in a read-only mount of the Secret",
    ),
    "Elasticsearch over HTTP": (
        lambda o: _get(o, "ConfigMap", _settings_name(o))["data"].update(
            SOCIALCARE_ELASTICSEARCH_URL="http://socialcare-es-http:9200"
        ),
        "SOCIALCARE_ELASTICSEARCH_URL is not https",
    ),
    "a scaler without credentials": (
        lambda o: _get(o, "ScaledObject", "route-worker")["spec"]["triggers"][0].pop(
            "authenticationRef"
        ),
        "ScaledObject/route-worker: its Kafka trigger does not authenticate",
    ),
    "a scaler with the short bootstrap name": (
        lambda o: _get(o, "ScaledObject", "index-worker")["spec"]["triggers"][0]["metadata"].update(
            bootstrapServers="socialcare-kafka-bootstrap:9093"
        ),
        "ScaledObject/index-worker: bootstrap server socialcare-kafka-bootstrap:9093 is not",
    ),
    "a scaler pointing at another overlay's namespace": (
        lambda o: _get(o, "ScaledObject", "route-worker")["spec"]["triggers"][0]["metadata"].update(
            bootstrapServers="socialcare-kafka-bootstrap.elsewhere.svc:9093"
        ),
        "ScaledObject/route-worker: bootstrap server socialcare-kafka-bootstrap.elsewhere.svc",
    ),
    "a Kafka listener open to every pod": (
        lambda o: _get(o, "Kafka", "socialcare")["spec"]["kafka"]["listeners"][0].pop(
            "networkPolicyPeers"
        ),
        "listener tls: no networkPolicyPeers",
    ),
    "a Kafka listener closed to KEDA": (
        lambda o: _get(o, "Kafka", "socialcare")["spec"]["kafka"]["listeners"][0][
            "networkPolicyPeers"
        ].pop(1),
        "KEDA's namespace keda may not connect",
    ),
    "a Kafka listener closed to a service": (
        lambda o: _get(o, "Kafka", "socialcare")["spec"]["kafka"]["listeners"][0][
            "networkPolicyPeers"
        ][0]["podSelector"]["matchExpressions"][1]["values"].remove("route"),
        "the route pods may not connect",
    ),
    "no PodMonitor": (
        lambda o: o.remove(_get(o, "PodMonitor", "socialcare")),
        "Deployment/route-worker: no PodMonitor scrapes its /metrics",
    ),
    "DNS only to the kube-dns pods": (
        lambda o: _get(o, "NetworkPolicy", "socialcare-dns")["spec"]["egress"][0].update(
            to=[{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
        ),
        "DNS (port 53) only reaches pods",
    ),
    "nginx's body limit equal to ingest's": (
        lambda o: _get(o, "Ingress", "webhooks")["metadata"]["annotations"].update(
            {"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}
        ),
        "Ingress/webhooks: proxy-body-size 1m is not above ingest's",
    ),
    "no brand handles": (
        lambda o: _get(o, "ConfigMap", _settings_name(o))["data"].pop("SOCIALCARE_BRAND_HANDLES"),
        "SOCIALCARE_BRAND_HANDLES is not set, mention detection is off",
    ),
    "a provision deadline from the apply": (
        lambda o: _get(o, "Job", "provision")["spec"].update(activeDeadlineSeconds=1800),
        "Job/provision: activeDeadlineSeconds counts from the apply",
    ),
    "a provision Job that gives up early": (
        lambda o: _get(o, "Job", "provision")["spec"].update(backoffLimit=10),
        "Job/provision: backoffLimit 10 gives up",
    ),
    "a topic of no cluster": (
        lambda o: _get(o, "KafkaTopic", "social.events.raw")["metadata"]["labels"].update(
            {"strimzi.io/cluster": "other"}
        ),
        "KafkaTopic/social.events.raw: strimzi.io/cluster",
    ),
    "a route worker that may not read the erasure log": (
        lambda o: _drop_acl(o, "socialcare-route", "social.erasures"),
        "KafkaUser/socialcare-route: may not Read topic social.erasures",
    ),
    "an index worker that may not read the erasure log": (
        lambda o: _drop_acl(o, "socialcare-index", "social.erasures"),
        "KafkaUser/socialcare-index: may not Read topic social.erasures",
    ),
    "a search API that may not record erasures": (
        lambda o: _user(o, "socialcare-search-api")["spec"]["authorization"]["acls"][0][
            "operations"
        ].remove("Write"),
        "KafkaUser/socialcare-search-api: may not Write topic social.erasures",
    ),
    "a search API producer without IdempotentWrite": (
        lambda o: _drop_acl(o, "socialcare-search-api", None),  # the cluster ACL has no name
        "KafkaUser/socialcare-search-api: no IdempotentWrite",
    ),
    "a search API that may not post actions": (
        lambda o: _drop_acl(o, "socialcare-search-api", "support.actions"),
        "KafkaUser/socialcare-search-api: may not Write topic support.actions",
    ),
    "an index worker that may not read conversation states": (
        lambda o: _drop_acl(o, "socialcare-index", "support.conversations"),
        "KafkaUser/socialcare-index: may not Read topic support.conversations",
    ),
    "a provision Job that may not create the care topics": (
        lambda o: _drop_acl(o, "socialcare-provision", "support.actions"),
        "KafkaUser/socialcare-provision: may not Create topic support.actions",
    ),
    "a provision Job that cannot see the erasure topic": (
        lambda o: _drop_acl(o, "socialcare-provision", "social.erasures"),
        "KafkaUser/socialcare-provision: may not Describe topic social.erasures",
    ),
    "a search API without Kafka credentials": (
        lambda o: _drop_env(_search_container(o), "SOCIALCARE_KAFKA_SASL_USERNAME"),
        "Deployment/search container search: no Kafka credentials",
    ),
    "a search API without a way to Kafka": (
        lambda o: _kafka_egress(o).remove("search"),
        "Deployment/search: no network policy lets the search pods reach Kafka",
    ),
    "a search API shut out by the Kafka listener": (
        lambda o: _get(o, "Kafka", "socialcare")["spec"]["kafka"]["listeners"][0][
            "networkPolicyPeers"
        ][0]["podSelector"]["matchExpressions"][1]["values"].remove("search"),
        "the search pods may not connect",
    ),
    "a KafkaUser named like a Secret of ours": (
        _rename_search_user,
        "SOCIALCARE_SEARCH_API_KEYS is from the Secret socialcare-search, which the User",
    ),
    "a service logging with the public key": (
        lambda o: _drop_env(
            next(containers(_get(o, "Deployment", "classify-worker"))), "SOCIALCARE_LOG_ID_KEY"
        ),
        "Deployment/classify-worker container classify: SOCIALCARE_LOG_ID_KEY is not from",
    ),
    "a provision Job logging with the public key": (
        lambda o: _drop_env(next(containers(_get(o, "Job", "provision"))), "SOCIALCARE_LOG_ID_KEY"),
        "Job/provision container provision: SOCIALCARE_LOG_ID_KEY is not from",
    ),
    "an erasure key from another Secret key": (
        lambda o: _env(_search_container(o), "SOCIALCARE_ERASURE_KEY")["valueFrom"][
            "secretKeyRef"
        ].update(key="log-id-key"),
        "Deployment/search container search: SOCIALCARE_ERASURE_KEY is not from the Secret",
    ),
    "an index worker without the erasure key": (
        lambda o: _drop_env(
            next(containers(_get(o, "Deployment", "index-worker"))), "SOCIALCARE_ERASURE_KEY"
        ),
        "Deployment/index-worker container index: SOCIALCARE_ERASURE_KEY is not from",
    ),
    "an optional erasure key": (
        lambda o: _env(
            next(containers(_get(o, "Deployment", "route-worker"))), "SOCIALCARE_ERASURE_KEY"
        )["valueFrom"]["secretKeyRef"].update(optional=True),
        "Deployment/route-worker container route: SOCIALCARE_ERASURE_KEY is not from",
    ),
}


@pytest.fixture(scope="module")
def dev() -> list[Obj]:
    return build(K8S / "overlays" / "dev")


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_the_checks_catch(dev: list[Obj], breakage: str):
    broken = copy.deepcopy(dev)
    breaking, expected = BREAKAGES[breakage]
    breaking(broken)
    found = checks.problems(broken)
    assert any(expected in problem for problem in found), found


def test_the_schemas_catch_unknown_fields_and_wrong_types(dev: list[Obj]):
    deployment = copy.deepcopy(_deployment(dev))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    assert any("livenesProbe" in e for e in schemas.errors(deployment))
    topic = copy.deepcopy(_get(dev, "KafkaTopic", "social.events.raw"))
    topic["spec"]["partitions"] = "6"
    assert any("partitions" in e for e in schemas.errors(topic))
    kafka = copy.deepcopy(_get(dev, "Kafka", "socialcare"))
    kafka["spec"]["kafka"]["replicas"] = 3  # gone with the v1 API: node pools size it
    assert any("replicas" in e for e in schemas.errors(kafka))
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert schemas.errors(unknown)
