"""Rules of our own for rendered manifests, beyond what the schemas can say.

Each check takes the rendered objects and returns the problems it found, one
sentence each, so a test can show both that the real overlays pass and that a
broken object is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import typer.main

from socialcare.cli import app as cli_app
from tests.support.kustomize import POD_TEMPLATE_PATHS, Obj
from tests.support.setting_names import all_setting_names

Check = Callable[[list[Obj]], list[str]]
# Where an operator's resource names the version of what it runs.
OPERAND_VERSIONS = {"Kafka": ("kafka", "version"), "Elasticsearch": ("version",)}
# Where KEDA runs (docs/deploy.md, "Prerequisites"): its Kafka scaler connects from there.
KEDA_NAMESPACE = "keda"
# Kubernetes retries a failed Job pod after 10 s, doubling, at most 6 minutes apart.
# A Job that needs the cluster's Kafka and Elasticsearch must keep retrying longer
# than docs/deploy.md waits for them (15 minutes each), with room to spare.
MIN_JOB_RETRY_SECONDS = 3600


def setting_names() -> set[str]:
    """Every SOCIALCARE_* variable a process reads: settings and CLI options."""
    names = set(all_setting_names())

    def walk(command: Any) -> None:
        for param in getattr(command, "params", []):
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(cli_app))
    return names


def ref(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pod_spec(obj: Obj) -> Obj | None:
    path = POD_TEMPLATE_PATHS.get(obj["kind"])
    if path is None:
        return None
    node: Any = obj
    for part in (*path, "spec"):
        node = node[part]
    return node


def containers(obj: Obj) -> Iterator[Obj]:
    spec = pod_spec(obj)
    if spec is not None:
        yield from spec.get("initContainers", [])
        yield from spec["containers"]


def _by_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def check_containers(objects: list[Obj]) -> list[str]:
    """Probes (on long-running pods), requests and limits, and a locked-down,
    non-root security context on every container."""
    problems = []
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        pod_security = spec.get("securityContext", {})
        for c in containers(obj):
            where = f"{ref(obj)} container {c['name']}"
            if obj["kind"] not in ("Job", "CronJob"):
                problems += [
                    f"{where}: no {probe}"
                    for probe in ("livenessProbe", "readinessProbe")
                    if probe not in c
                ]
            for kind in ("requests", "limits"):
                problems += [
                    f"{where}: no {resource} {kind}"
                    for resource in ("cpu", "memory")
                    if resource not in c.get("resources", {}).get(kind, {})
                ]
            security = {**pod_security, **c.get("securityContext", {})}
            if security.get("runAsNonRoot") is not True:
                problems.append(f"{where}: runAsNonRoot is not set")
            if security.get("runAsUser") == 0:
                problems.append(f"{where}: runs as uid 0")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: privilege escalation is allowed")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem is writable")
            if security.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in security.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities are not dropped")
    return problems


def check_images_pinned(objects: list[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        for c in containers(obj):
            image = c["image"]
            tag = image.rpartition("/")[2].partition(":")[2]
            if "@sha256:" not in image and tag in ("", "latest"):
                problems.append(f"{ref(obj)} container {c['name']}: unpinned image {image}")
    for obj in objects:
        path = OPERAND_VERSIONS.get(obj["kind"])
        if path is None:
            continue
        version: Any = obj["spec"]
        for part in path:
            version = version.get(part, {})
        if not version:
            problems.append(f"{ref(obj)}: no version, the operator would pick one")
    return problems


def check_autoscaling(objects: list[Obj]) -> list[str]:
    """Every Deployment but a singleton (one replica, Recreate) has an autoscaler;
    autoscalers point at Deployments that leave the replica count to them, and a
    lag-scaled worker never gets more replicas than its topic has partitions."""
    problems = []
    deployments = _by_kind(objects, "Deployment")
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"]
        for t in objects
        if t["kind"] == "KafkaTopic"
    }
    scaled: set[str] = set()
    for hpa in _by_kind(objects, "HorizontalPodAutoscaler").values():
        scaled.add(hpa["spec"]["scaleTargetRef"]["name"])
    for so in _by_kind(objects, "ScaledObject").values():
        target = so["spec"]["scaleTargetRef"]["name"]
        scaled.add(target)
        for trigger in so["spec"]["triggers"]:
            if trigger["type"] != "kafka":
                continue
            topic = trigger["metadata"]["topic"]
            if topic not in partitions:
                problems.append(f"{ref(so)}: scales on {topic}, which has no KafkaTopic")
            elif so["spec"]["maxReplicaCount"] > partitions[topic]:
                problems.append(
                    f"{ref(so)}: maxReplicaCount {so['spec']['maxReplicaCount']} is more "
                    f"than the {partitions[topic]} partitions of {topic}"
                )
    for name in scaled:
        if name not in deployments:
            problems.append(f"an autoscaler targets Deployment/{name}, which does not exist")
        elif "replicas" in deployments[name]["spec"]:
            problems.append(f"Deployment/{name}: sets replicas, which its autoscaler owns")
    # A singleton by design (one replica, Recreate: the listening poller) scales never.
    singletons = {
        name
        for name, d in deployments.items()
        if d["spec"].get("replicas") == 1
        and d["spec"].get("strategy", {}).get("type") == "Recreate"
    }
    problems += [
        f"Deployment/{name}: no autoscaler"
        for name in deployments
        if name not in scaled and name not in singletons
    ]
    return problems


def _selects(selector: Obj, labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def check_disruption_budgets(objects: list[Obj]) -> list[str]:
    budgets = list(_by_kind(objects, "PodDisruptionBudget").values())
    return [
        f"{ref(d)}: no PodDisruptionBudget"
        for d in _by_kind(objects, "Deployment").values()
        if not any(
            _selects(b["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
            for b in budgets
        )
    ]


def check_config_and_secrets(objects: list[Obj]) -> list[str]:
    """Every ConfigMap a pod uses is rendered; no Secret is (they are created in
    the cluster, never committed); every SOCIALCARE_* name is a real setting."""
    problems = [f"{ref(o)}: a Secret in the manifests" for o in objects if o["kind"] == "Secret"]
    config_maps = _by_kind(objects, "ConfigMap")
    known = setting_names()
    for cm in config_maps.values():
        problems += [
            f"{ref(cm)}: {key} is no socialcare setting"
            for key in cm.get("data", {})
            if key.startswith("SOCIALCARE_") and key not in known
        ]
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        used = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
        for c in containers(obj):
            used += [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
            problems += [
                f"{ref(obj)} container {c['name']}: {e['name']} is no socialcare setting"
                for e in c.get("env", [])
                if e["name"].startswith("SOCIALCARE_") and e["name"] not in known
            ]
        problems += [
            f"{ref(obj)}: ConfigMap {n} does not exist" for n in used if n not in config_maps
        ]
    return problems


def check_kafka_resources(objects: list[Obj]) -> list[str]:
    """Topics and users belong to a Kafka cluster that is in the manifests."""
    clusters = set(_by_kind(objects, "Kafka"))
    return [
        f"{ref(o)}: strimzi.io/cluster is not one of {sorted(clusters)}"
        for o in objects
        if o["kind"] in ("KafkaTopic", "KafkaUser", "KafkaNodePool")
        and o["metadata"].get("labels", {}).get("strimzi.io/cluster") not in clusters
    ]


def _reaching(objects: list[Obj], label: str) -> set[str]:
    """Components of the pods a NetworkPolicy lets reach pods that carry ``label``."""
    components: set[str] = set()
    for policy in _by_kind(objects, "NetworkPolicy").values():
        peers = [peer for rule in policy["spec"].get("egress", []) for peer in rule.get("to", [])]
        if any(label in p.get("podSelector", {}).get("matchLabels", {}) for p in peers):
            components.update(
                value
                for e in policy["spec"]["podSelector"].get("matchExpressions", [])
                if e["key"] == "app.kubernetes.io/component"
                for value in e["values"]
            )
    return components


def _env(container: Obj, config_maps: dict[str, Obj]) -> dict[str, Obj]:
    """The container's variables as env entries, the ConfigMaps' ones included."""
    env: dict[str, Obj] = {}
    for source in container.get("envFrom", []):
        data = config_maps.get(source.get("configMapRef", {}).get("name"), {}).get("data", {})
        env.update({k: {"name": k, "value": v} for k, v in data.items()})
    env.update({e["name"]: e for e in container.get("env", [])})
    return env


def _secret_file_problem(obj: Obj, container: Obj, path: str | None, secrets: set[str]) -> bool:
    """Whether ``path`` is not a file of a read-only mount of one of ``secrets``."""
    if not path:
        return True
    volumes = {v["name"]: v for v in pod_spec(obj)["volumes"]}  # type: ignore[index]
    for mount in container.get("volumeMounts", []):
        secret = volumes.get(mount["name"], {}).get("secret", {})
        prefix = mount["mountPath"].rstrip("/") + "/"
        if (
            secret.get("secretName") in secrets
            and mount.get("readOnly")
            and path.startswith(prefix)
        ):
            items = secret.get("items")
            if items is None or path[len(prefix) :] in {i["path"] for i in items}:
                return False
    return True


def check_clients_authenticate(objects: list[Obj]) -> list[str]:
    """Every Kafka client is its own KafkaUser over SASL_SSL and verifies the
    brokers against the Strimzi cluster CA; every Elasticsearch client uses https
    and verifies against the ECK CA; every Kafka scaler authenticates."""
    problems = []
    users = set(_by_kind(objects, "KafkaUser"))
    kafka_cas = {f"{name}-cluster-ca-cert" for name in _by_kind(objects, "Kafka")}
    es_cas = {f"{name}-es-http-certs-public" for name in _by_kind(objects, "Elasticsearch")}
    kafka_clients = _reaching(objects, "strimzi.io/cluster")
    es_clients = _reaching(objects, "elasticsearch.k8s.elastic.co/cluster-name")
    config_maps = _by_kind(objects, "ConfigMap")
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        component = _component(obj)
        for c in containers(obj):
            where = f"{ref(obj)} container {c['name']}"
            env = _env(c, config_maps)
            value = {name: e.get("value") for name, e in env.items()}.get

            if component in kafka_clients:
                if value("SOCIALCARE_KAFKA_SECURITY_PROTOCOL") != "SASL_SSL":
                    problems.append(f"{where}: SOCIALCARE_KAFKA_SECURITY_PROTOCOL is not SASL_SSL")
                user = value("SOCIALCARE_KAFKA_SASL_USERNAME")
                if user not in users:
                    problems.append(
                        f"{where}: SOCIALCARE_KAFKA_SASL_USERNAME {user} is no KafkaUser"
                    )
                password = env.get("SOCIALCARE_KAFKA_SASL_PASSWORD", {})
                secret = password.get("valueFrom", {}).get("secretKeyRef", {})
                if (secret.get("name"), secret.get("key")) != (user, "password"):
                    problems.append(f"{where}: the password is not from the Secret {user}")
                cafile = value("SOCIALCARE_KAFKA_SSL_CAFILE")
                if _secret_file_problem(obj, c, cafile, kafka_cas):
                    problems.append(
                        f"{where}: SOCIALCARE_KAFKA_SSL_CAFILE {cafile} is not in a read-only "
                        f"mount of the Secret {' or '.join(sorted(kafka_cas))}"
                    )
            if component in es_clients:
                if not (value("SOCIALCARE_ELASTICSEARCH_URL") or "").startswith("https://"):
                    problems.append(f"{where}: SOCIALCARE_ELASTICSEARCH_URL is not https")
                ca = value("SOCIALCARE_ELASTICSEARCH_CA_CERTS")
                if _secret_file_problem(obj, c, ca, es_cas):
                    problems.append(
                        f"{where}: SOCIALCARE_ELASTICSEARCH_CA_CERTS {ca} is not in a read-only "
                        f"mount of the Secret {' or '.join(sorted(es_cas))}"
                    )
    # The User Operator owns the Secret named after each KafkaUser and rewrites it:
    # a Secret of ours by that name would lose its keys.
    for obj in objects:
        for c in containers(obj):
            for e in c.get("env", []):
                secret = e.get("valueFrom", {}).get("secretKeyRef", {})
                if secret.get("name") in users and secret.get("key") != "password":
                    problems.append(
                        f"{ref(obj)} container {c['name']}: {e['name']} is from the Secret "
                        f"{secret['name']}, which the User Operator owns for its KafkaUser"
                    )
    auths = set(_by_kind(objects, "TriggerAuthentication"))
    for so in _by_kind(objects, "ScaledObject").values():
        for trigger in so["spec"]["triggers"]:
            if trigger["type"] != "kafka":
                continue
            metadata = trigger["metadata"]
            if (
                trigger.get("authenticationRef", {}).get("name") not in auths
                or metadata.get("sasl") != "scram_sha512"
                or metadata.get("tls") != "enable"
            ):
                problems.append(f"{ref(so)}: its Kafka trigger does not authenticate")
    return problems


def _component(obj: Obj) -> str | None:
    template = obj
    for part in POD_TEMPLATE_PATHS[obj["kind"]]:
        template = template[part]
    return template["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def _matches(selector: Obj, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects ``labels``."""
    if not _selects(selector, labels):
        return False
    for e in selector.get("matchExpressions", []):
        key, op, values = e["key"], e["operator"], e.get("values", [])
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def _pods(objects: list[Obj]) -> Iterator[tuple[Obj, dict[str, str]]]:
    """Every workload with the labels of its pods."""
    for obj in objects:
        path = POD_TEMPLATE_PATHS.get(obj["kind"])
        if path is None:
            continue
        template: Any = obj
        for part in path:
            template = template[part]
        yield obj, template["metadata"].get("labels", {})


def check_keda_reaches_kafka(objects: list[Obj]) -> list[str]:
    """KEDA's Kafka scaler runs in KEDA's namespace, where a short service name does
    not resolve: every bootstrap server of a trigger is the bootstrap service of a
    Kafka by its namespace-qualified name, in the ScaledObject's namespace."""
    problems = []
    services = {
        (o["metadata"].get("namespace"), f"{o['metadata']['name']}-kafka-bootstrap")
        for o in objects
        if o["kind"] == "Kafka"
    }
    for so in _by_kind(objects, "ScaledObject").values():
        namespace = so["metadata"].get("namespace")
        for trigger in so["spec"]["triggers"]:
            if trigger["type"] != "kafka":
                continue
            for server in trigger["metadata"]["bootstrapServers"].split(","):
                host = server.strip().rpartition(":")[0]
                name, _, rest = host.partition(".")
                qualified = rest in (f"{namespace}.svc", f"{namespace}.svc.cluster.local")
                if not qualified or (namespace, name) not in services:
                    problems.append(
                        f"{ref(so)}: bootstrap server {server} is not the Kafka bootstrap "
                        f"service by its name in namespace {namespace} (<name>.{namespace}.svc)"
                    )
    return problems


def _service_labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "socialcare", "app.kubernetes.io/component": component}


def check_kafka_listeners(objects: list[Obj]) -> list[str]:
    """Every Kafka listener says who may connect (networkPolicyPeers; without them
    Strimzi lets any pod in): at least the services the egress policies send to
    Kafka, and KEDA's namespace when a scaler reads the lag."""
    problems = []
    clients = _reaching(objects, "strimzi.io/cluster")
    scaled = any(
        t["type"] == "kafka"
        for so in _by_kind(objects, "ScaledObject").values()
        for t in so["spec"]["triggers"]
    )
    for kafka in _by_kind(objects, "Kafka").values():
        for listener in kafka["spec"]["kafka"]["listeners"]:
            where = f"{ref(kafka)} listener {listener['name']}"
            peers = listener.get("networkPolicyPeers")
            if not peers:
                problems.append(f"{where}: no networkPolicyPeers, any pod can connect")
                continue
            let_in = {
                component
                for peer in peers
                if "namespaceSelector" not in peer
                for component in clients
                if _matches(
                    peer.get("podSelector", {}),
                    {
                        "app.kubernetes.io/name": "socialcare",
                        "app.kubernetes.io/component": component,
                    },
                )
            }
            problems += [f"{where}: the {c} pods may not connect" for c in sorted(clients - let_in)]
            keda = {"kubernetes.io/metadata.name": KEDA_NAMESPACE}
            if scaled and not any(
                _matches(peer.get("namespaceSelector", {"matchLabels": {"-": "-"}}), keda)
                and "podSelector" not in peer
                for peer in peers
            ):
                problems.append(f"{where}: KEDA's namespace {KEDA_NAMESPACE} may not connect")
    return problems


def check_metrics_scraped(objects: list[Obj]) -> list[str]:
    """Every Deployment's pods are scraped: a PodMonitor selects them, at /metrics on
    a port their container declares."""
    monitors = list(_by_kind(objects, "PodMonitor").values())
    problems = []
    for obj, labels in _pods(objects):
        if obj["kind"] != "Deployment":
            continue
        ports = {p.get("name") for c in containers(obj) for p in c.get("ports", [])}
        if not any(
            _matches(m["spec"]["selector"], labels)
            and any(
                ep.get("port") in ports and ep.get("path", "/metrics") == "/metrics"
                for ep in m["spec"].get("podMetricsEndpoints", [])
            )
            for m in monitors
        ):
            problems.append(f"{ref(obj)}: no PodMonitor scrapes its /metrics")
    return problems


def check_dns_egress(objects: list[Obj]) -> list[str]:
    """Pods whose egress is denied by default still resolve names wherever the
    cluster answers DNS: a policy allows them port 53, UDP and TCP, to destinations
    not limited to pods (NodeLocal DNSCache answers from the nodes' host network)."""
    policies = list(_by_kind(objects, "NetworkPolicy").values())
    problems = []
    for obj, labels in _pods(objects):
        mine = [p for p in policies if _matches(p["spec"]["podSelector"], labels)]
        if not any("Egress" in p["spec"].get("policyTypes", []) for p in mine):
            continue
        allowed = set()
        for policy in mine:
            for rule in policy["spec"].get("egress", []):
                peers = rule.get("to", [])
                if peers and not any("ipBlock" in peer for peer in peers):
                    continue
                allowed |= {
                    (port.get("protocol", "TCP"), port.get("port"))
                    for port in rule.get("ports", [])
                }
        if not {("UDP", 53), ("TCP", 53)} <= allowed:
            problems.append(f"{ref(obj)}: DNS (port 53) only reaches pods, not a node-local cache")
    return problems


def _bytes(size: str) -> int:
    """nginx's size notation: 1048576, 1024k, 1m, 1g."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    size = str(size).strip().lower()
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


def check_ingest_answers_its_own_413(objects: list[Obj]) -> list[str]:
    """The ingress lets through bodies larger than ingest accepts, so ingest, not
    nginx (1m by default), answers a too large webhook with its 413 and reason."""
    from socialcare.ingest.settings import IngestSettings

    config_maps = _by_kind(objects, "ConfigMap")
    problems = []
    for obj, labels in _pods(objects):
        if labels.get("app.kubernetes.io/component") != "ingest":
            continue
        for c in containers(obj):
            value = _env(c, config_maps).get("SOCIALCARE_INGEST_MAX_BODY_BYTES", {}).get("value")
            limit = (
                int(value)
                if value
                else IngestSettings.model_fields["ingest_max_body_bytes"].default
            )
            for ingress in _by_kind(objects, "Ingress").values():
                backends = {
                    path["backend"]["service"]["name"]
                    for rule in ingress["spec"]["rules"]
                    for path in rule["http"]["paths"]
                }
                if "ingest" not in backends:
                    continue
                size = (
                    ingress["metadata"]
                    .get("annotations", {})
                    .get("nginx.ingress.kubernetes.io/proxy-body-size", "1m")
                )
                if _bytes(size) <= limit:
                    problems.append(
                        f"{ref(ingress)}: proxy-body-size {size} is not above ingest's "
                        f"{limit} bytes: nginx answers 413 before ingest can"
                    )
    return problems


def check_mention_detection(objects: list[Obj]) -> list[str]:
    """Ingest knows the brand's handles and keywords: without them every post is
    filed as a plain message and mention and listening detection is silently off."""
    config_maps = _by_kind(objects, "ConfigMap")
    problems = []
    for obj, labels in _pods(objects):
        if labels.get("app.kubernetes.io/component") != "ingest":
            continue
        for c in containers(obj):
            env = _env(c, config_maps)
            problems += [
                f"{ref(obj)} container {c['name']}: {name} is not set, mention detection is off"
                for name in ("SOCIALCARE_BRAND_HANDLES", "SOCIALCARE_LISTENING_KEYWORDS")
                if not (env.get(name, {}).get("value") or "").strip()
            ]
    return problems


def check_jobs_outlast_the_cluster_start(objects: list[Obj]) -> list[str]:
    """A Job applied with the cluster it needs retries until that cluster is up: no
    activeDeadlineSeconds (it counts from the apply), and enough retries."""
    problems = []
    for job in _by_kind(objects, "Job").values():
        spec = job["spec"]
        if "activeDeadlineSeconds" in spec:
            problems.append(
                f"{ref(job)}: activeDeadlineSeconds counts from the apply, the Job can "
                "expire before the servers it needs are up"
            )
        retries = spec.get("backoffLimit", 6)
        waited = sum(min(10 * 2**i, 360) for i in range(retries))
        if waited < MIN_JOB_RETRY_SECONDS:
            problems.append(
                f"{ref(job)}: backoffLimit {retries} gives up after about {waited} s, "
                f"less than {MIN_JOB_RETRY_SECONDS} s"
            )
    return problems


# Who uses the erasure topic (socialcare/erasure.py) and how. The route,
# conversations, respond and index workers and the search API each run an
# ErasureFollower: a consumer without a group (manual assignment, from the
# beginning), so topic Read and Describe and no group ACL; the search API also
# writes records with the idempotent producer. The provision Job lists the pipeline
# topics and would create a missing one.
ERASURE_USE: dict[str, frozenset[str]] = {
    "route": frozenset({"Read", "Describe"}),
    "conversations": frozenset({"Read", "Describe"}),
    "respond": frozenset({"Read", "Describe"}),
    "index": frozenset({"Read", "Describe"}),
    "search": frozenset({"Read", "Describe", "Write"}),
    "provision": frozenset({"Describe", "Create"}),
}
ERASURE_WRITERS = {"search"}
# The one Secret of the keys behind the hashes (docs/deploy.md, "Install").
PRIVACY_SECRET = "socialcare-privacy"
PRIVACY_KEYS = {"SOCIALCARE_LOG_ID_KEY": "log-id-key", "SOCIALCARE_ERASURE_KEY": "erasure-key"}
# Every service logs hashed ids; the ones that follow erasures hash authors too.
ERASURE_KEY_ROLES = {"route", "conversations", "respond", "index", "search"}


def _acl_allows(user: Obj, resource_type: str, name: str | None, operation: str) -> bool:
    for acl in user["spec"].get("authorization", {}).get("acls", []):
        resource = acl["resource"]
        if resource["type"] != resource_type:
            continue
        if name is not None:
            pattern = resource.get("patternType", "literal")
            wanted = resource.get("name", "")
            if not (
                wanted == "*"
                or (pattern == "literal" and wanted == name)
                or (pattern == "prefix" and name.startswith(wanted))
            ):
                continue
        if operation in acl["operations"] or "All" in acl["operations"]:
            return True
    return False


def check_erasure_topic_access(objects: list[Obj]) -> list[str]:
    """Each service that reads or writes the erasure topic reaches Kafka, as a
    KafkaUser whose ACLs allow what it does there: without them a worker waits
    forever for the erasure log and the search API answers every erasure 503."""
    from socialcare.erasure import DEFAULT_TOPIC

    problems = []
    users = _by_kind(objects, "KafkaUser")
    kafka_clients = _reaching(objects, "strimzi.io/cluster")
    config_maps = _by_kind(objects, "ConfigMap")
    for obj, labels in _pods(objects):
        component = labels.get("app.kubernetes.io/component")
        if component not in ERASURE_USE:
            continue
        if component not in kafka_clients:
            problems.append(f"{ref(obj)}: no network policy lets the {component} pods reach Kafka")
        for c in containers(obj):
            where = f"{ref(obj)} container {c['name']}"
            env = _env(c, config_maps)
            topic = env.get("SOCIALCARE_ERASURE_TOPIC", {}).get("value") or DEFAULT_TOPIC
            name = env.get("SOCIALCARE_KAFKA_SASL_USERNAME", {}).get("value")
            user = users.get(name or "")
            if user is None:
                problems.append(f"{where}: no Kafka credentials (a KafkaUser) for {topic}")
                continue
            problems += [
                f"{ref(user)}: may not {op} topic {topic}"
                for op in sorted(ERASURE_USE[component])
                if not _acl_allows(user, "topic", topic, op)
            ]
            if component in ERASURE_WRITERS and not _acl_allows(
                user, "cluster", None, "IdempotentWrite"
            ):
                problems.append(f"{ref(user)}: no IdempotentWrite for its idempotent producer")
    return problems


# Who uses the care loop's topics (socialcare/topics.py) and how; the provision Job
# creates every pipeline topic. Without the ACL a worker waits forever and the search
# API answers every action 503.
CARE_TOPIC_USE: dict[str, dict[str, frozenset[str]]] = {
    "search": {"support.actions": frozenset({"Write", "Describe"})},
    "respond": {
        "support.actions": frozenset({"Read", "Describe"}),
        "support.action-results": frozenset({"Write", "Describe"}),
        "social.events.raw": frozenset({"Write", "Describe"}),
    },
    "conversations": {
        # Read: the actions it folds; Write: its acknowledgements and surveys.
        "support.actions": frozenset({"Read", "Write", "Describe"}),
        "support.action-results": frozenset({"Read", "Describe"}),
        "support.conversations": frozenset({"Write", "Describe"}),
    },
    "index": {"support.conversations": frozenset({"Read", "Describe"})},
}


def check_care_topic_access(objects: list[Obj]) -> list[str]:
    """Each care-loop role's KafkaUser may use the care topics as its code does, and
    the provision Job may create every pipeline topic."""
    from socialcare.topics import PIPELINE_TOPICS

    users = _by_kind(objects, "KafkaUser")
    config_maps = _by_kind(objects, "ConfigMap")
    wanted: dict[str, dict[str, frozenset[str]]] = {
        **CARE_TOPIC_USE,
        "provision": {t.name: frozenset({"Describe", "Create"}) for t in PIPELINE_TOPICS},
    }
    problems = []
    for obj, labels in _pods(objects):
        uses = wanted.get(labels.get("app.kubernetes.io/component", ""))
        for c in containers(obj) if uses else ():
            name = _env(c, config_maps).get("SOCIALCARE_KAFKA_SASL_USERNAME", {}).get("value")
            user = users.get(name or "")
            if user is None:
                problems.append(f"{ref(obj)} container {c['name']}: no KafkaUser")
                continue
            problems += [
                f"{ref(user)}: may not {op} topic {topic}"
                for topic, ops in uses.items()
                for op in sorted(ops)
                if not _acl_allows(user, "topic", topic, op)
            ]
    return problems


def check_privacy_keys(objects: list[Obj]) -> list[str]:
    """Every socialcare container hashes ids in its logs with the one log-id key, and
    the services that follow erasures hash authors with the one erasure key, both from
    the Secret: a service on the public fallback key writes reversible hashes (and
    another erasure key would miss every recorded erasure)."""
    problems = []
    for obj, labels in _pods(objects):
        if labels.get("app.kubernetes.io/name") != "socialcare":
            continue
        needed = ["SOCIALCARE_LOG_ID_KEY"]
        if labels.get("app.kubernetes.io/component") in ERASURE_KEY_ROLES:
            needed.append("SOCIALCARE_ERASURE_KEY")
        for c in containers(obj):
            env = {e["name"]: e for e in c.get("env", [])}
            for name in needed:
                secret = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef", {})
                expected = {"name": PRIVACY_SECRET, "key": PRIVACY_KEYS[name]}
                if {k: secret.get(k) for k in expected} != expected or secret.get("optional"):
                    problems.append(
                        f"{ref(obj)} container {c['name']}: {name} is not from the Secret "
                        f"{PRIVACY_SECRET} key {PRIVACY_KEYS[name]}"
                    )
    return problems


CHECKS: tuple[Check, ...] = (
    check_containers,
    check_images_pinned,
    check_autoscaling,
    check_disruption_budgets,
    check_config_and_secrets,
    check_kafka_resources,
    check_clients_authenticate,
    check_keda_reaches_kafka,
    check_kafka_listeners,
    check_metrics_scraped,
    check_dns_egress,
    check_ingest_answers_its_own_413,
    check_mention_detection,
    check_jobs_outlast_the_cluster_start,
    check_erasure_topic_access,
    check_care_topic_access,
    check_privacy_keys,
)


def problems(objects: list[Obj]) -> list[str]:
    return [p for check in CHECKS for p in check(objects)]
