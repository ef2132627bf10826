"""Rules of our own for rendered manifests, beyond what the schemas can say.

Each check takes the rendered objects and returns the problems it found, one
sentence each, so a test can show both that the real overlays pass and that a
broken object is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import typer.main

from services.cli import app as cli_app
from tests.conftest import all_setting_names
from tests.deploy.render import POD_TEMPLATE_PATHS, Obj

Check = Callable[[list[Obj]], list[str]]
# Where an operator's resource names the version of what it runs.
OPERAND_VERSIONS = {"Kafka": ("kafka", "version"), "Elasticsearch": ("version",)}


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
            if obj["kind"] != "Job":
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
    """Autoscalers point at Deployments that leave the replica count to them, and
    a lag-scaled worker never gets more replicas than its topic has partitions."""
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
    problems += [f"Deployment/{name}: no autoscaler" for name in deployments if name not in scaled]
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


CHECKS: tuple[Check, ...] = (
    check_containers,
    check_images_pinned,
    check_autoscaling,
    check_disruption_budgets,
    check_config_and_secrets,
    check_kafka_resources,
    check_clients_authenticate,
)


def problems(objects: list[Obj]) -> list[str]:
    return [p for check in CHECKS for p in check(objects)]
