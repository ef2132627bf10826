"""Validation of rendered objects against the schemas the API server would use.

Built-in kinds: the Kubernetes OpenAPI schemas of the ``kubernetes-validate``
package, in strict mode (an unknown field is an error, as with ``kubectl apply``'s
default server-side field validation). Custom resources: the operators' CRD schemas
vendored in deploy/schemas/crds (versions in deploy/schemas/README.md), made strict
the same way.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from tests.support.kustomize import Obj
from tests.support.paths import REPO

CRDS = REPO / "deploy" / "schemas" / "crds"
# The oldest Kubernetes the manifests support, and the newest the package knows.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.latest_version())


def strict(schema: Any) -> Any:
    """The schema with unknown fields rejected wherever the API server prunes them
    (objects with declared properties that do not preserve unknown fields)."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def _crd_validator(path: Path) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(strict(json.loads(path.read_text())))


def crd_schema_path(obj: Obj) -> Path | None:
    group, _, version = obj["apiVersion"].rpartition("/")
    path = CRDS / group / f"{obj['kind'].lower()}_{version}.json"
    return path if group and path.exists() else None


def errors(obj: Obj) -> list[str]:
    """Why the API server would refuse ``obj``; empty when it would accept it."""
    name = f"{obj['kind']}/{obj['metadata']['name']}"
    path = crd_schema_path(obj)
    if path is not None:
        return [
            f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _crd_validator(path).iter_errors(obj)
        ]
    found = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            found.append(f"{name} (Kubernetes {version}): {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            found.append(f"{name}: no schema for {obj['apiVersion']} {obj['kind']}")
    return found
