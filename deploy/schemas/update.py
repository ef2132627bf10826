"""Re-vendor the schemas the deploy tests validate against (see README.md here).

Reads the CustomResourceDefinitions of the operators from where their packages put
them, keeps only the kinds and versions this project uses, drops the descriptions
(half the bytes, no validation meaning) and writes one JSON Schema per kind and
version: ``crds/<group>/<kind>_<version>.json``. The compose specification schema is
copied as it is.

    python deploy/schemas/update.py --strimzi DIR --eck DIR --keda DIR \
        --prometheus-operator DIR --compose-go DIR
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

# (where in its source, group, kind, version) of every custom resource the
# manifests use; a kind the manifests start using is added here.
CRDS: dict[str, list[tuple[str, str, str, str]]] = {
    "strimzi": [
        ("kafka.yaml", "kafka.strimzi.io", "Kafka", "v1"),
        ("kafkanodepool.yaml", "kafka.strimzi.io", "KafkaNodePool", "v1"),
        ("kafkatopic.yaml", "kafka.strimzi.io", "KafkaTopic", "v1"),
        ("kafkauser.yaml", "kafka.strimzi.io", "KafkaUser", "v1"),
    ],
    "eck": [
        (
            "config/crds/v1/resources/elasticsearch.k8s.elastic.co_elasticsearches.yaml",
            "elasticsearch.k8s.elastic.co",
            "Elasticsearch",
            "v1",
        ),
    ],
    "keda": [
        ("config/crd/bases/keda.sh_scaledobjects.yaml", "keda.sh", "ScaledObject", "v1alpha1"),
        (
            "config/crd/bases/keda.sh_triggerauthentications.yaml",
            "keda.sh",
            "TriggerAuthentication",
            "v1alpha1",
        ),
    ],
    "prometheus-operator": [
        (
            "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
            "monitoring.coreos.com",
            "PodMonitor",
            "v1",
        ),
    ],
}


def without_descriptions(schema: Any) -> Any:
    """The schema with every ``description`` keyword removed; a *property* that
    happens to be called ``description`` stays."""
    if isinstance(schema, list):
        return [without_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            out[key] = {name: without_descriptions(sub) for name, sub in value.items()}
        else:
            out[key] = without_descriptions(value)
    return out


def crd_schema(path: Path, group: str, kind: str, version: str) -> dict[str, Any]:
    for doc in yaml.safe_load_all(path.read_text()):
        spec = (doc or {}).get("spec", {})
        if spec.get("group") != group or spec.get("names", {}).get("kind") != kind:
            continue
        for served in spec["versions"]:
            if served["name"] == version:
                return without_descriptions(served["schema"]["openAPIV3Schema"])
    raise SystemExit(f"{path}: no {group}/{version} {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strimzi", type=Path, required=True, help="CrdGenerator output")
    parser.add_argument("--eck", type=Path, required=True, help="cloud-on-k8s module dir")
    parser.add_argument("--keda", type=Path, required=True, help="keda module dir")
    parser.add_argument(
        "--prometheus-operator", type=Path, required=True, help="prometheus-operator module dir"
    )
    parser.add_argument("--compose-go", type=Path, required=True, help="compose-go module dir")
    args = parser.parse_args()
    roots = {
        "strimzi": args.strimzi,
        "eck": args.eck,
        "keda": args.keda,
        "prometheus-operator": args.prometheus_operator,
    }
    for source, crds in CRDS.items():
        for relative, group, kind, version in crds:
            schema = crd_schema(roots[source] / relative, group, kind, version)
            target = HERE / "crds" / group / f"{kind.lower()}_{version}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
            print(f"wrote {target.relative_to(HERE)}")
    shutil.copyfile(args.compose_go / "schema" / "compose-spec.json", HERE / "compose-spec.json")
    print("wrote compose-spec.json")


if __name__ == "__main__":
    main()
