"""A Kustomize renderer for the subset of Kustomize that deploy/k8s uses.

CI has no network at test time and no kustomize binary of its own, so the overlays
are rendered here, in Python. Every feature used by deploy/k8s is implemented and
anything else is refused loudly (``UnsupportedKustomization``), so a manifest can
not quietly rely on a feature this renderer would get wrong. Where ``kubectl`` is
installed, test_kustomize.py renders every overlay with ``kubectl kustomize`` too
and requires the same objects.

Supported: ``resources`` (files and directories), ``namespace``, ``labels`` (without
selectors), ``images``, ``configMapGenerator`` (``envs``, ``files``, ``literals``,
``behavior``, the content-hash name suffix and the references to it), and
``patches`` (strategic merge, or JSON 6902 with a ``target``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

KNOWN_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "configMapGenerator",
    "patches",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "PriorityClass",
}
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Lists that a strategic merge patch merges item by item (by this key) in the
# built-in kinds; every other list is replaced, as Kustomize does for custom kinds.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
# Marks a generated ConfigMap until the hash suffix is added at the top level.
_GENERATED = "socialcare.test/generated-name"


class UnsupportedKustomization(ValueError):
    """The kustomization uses something this renderer does not implement."""


def build(directory: Path) -> list[Obj]:
    """Render the kustomization in ``directory`` like ``kustomize build``."""
    objects = _build(directory)
    _add_name_hashes(objects)
    return objects


def _build(directory: Path) -> list[Obj]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise UnsupportedKustomization(f"{directory}: {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects.extend(_build(path))
        else:
            objects.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    for generator in kustomization.get("configMapGenerator", []):
        _generate(directory, generator, objects)
    for patch in kustomization.get("patches", []):
        _patch(directory, patch, objects)
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    for labels in kustomization.get("labels", []):
        _label(labels, objects)
    for image in kustomization.get("images", []):
        _set_image(image, objects)
    return objects


def _generate(directory: Path, generator: Obj, objects: list[Obj]) -> None:
    unknown = set(generator) - {"name", "envs", "files", "literals", "behavior"}
    if unknown:
        raise UnsupportedKustomization(f"configMapGenerator {sorted(unknown)}")
    data: dict[str, str] = {}
    for env in generator.get("envs", []):
        for line in (directory / env).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                data[key] = value
    for entry in generator.get("files", []):
        key, _, path = entry.rpartition("=")
        data[key or Path(path).name] = (directory / path).read_text()
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    name = generator["name"]
    behavior = generator.get("behavior", "create")
    existing = [o for o in objects if o["kind"] == "ConfigMap" and _generated_name(o) == name]
    if behavior == "create":
        if existing:
            raise UnsupportedKustomization(f"configMapGenerator {name} exists already")
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "annotations": {_GENERATED: name}},
                "data": data,
            }
        )
    elif behavior in ("merge", "replace") and len(existing) == 1:
        target = existing[0]
        target["data"] = {**target["data"], **data} if behavior == "merge" else data
    else:
        raise UnsupportedKustomization(f"configMapGenerator {name}: behavior {behavior}")


def _generated_name(obj: Obj) -> str | None:
    return obj["metadata"].get("annotations", {}).get(_GENERATED)


def _patch(directory: Path, patch: Obj, objects: list[Obj]) -> None:
    unknown = set(patch) - {"path", "patch", "target"}
    if unknown:
        raise UnsupportedKustomization(f"patch fields {sorted(unknown)}")
    text = (directory / patch["path"]).read_text() if "path" in patch else patch["patch"]
    body = yaml.safe_load(text)
    if "target" in patch:
        if not isinstance(body, list):
            raise UnsupportedKustomization("a targeted patch must be a JSON 6902 list")
        for obj in _targets(patch["target"], objects):
            for operation in body:
                _json6902(obj, operation)
        return
    matches = [
        o
        for o in objects
        if o["kind"] == body["kind"] and o["metadata"]["name"] == body["metadata"]["name"]
    ]
    if len(matches) != 1:
        raise UnsupportedKustomization(
            f"strategic merge patch matches {len(matches)} objects: "
            f"{body['kind']}/{body['metadata']['name']}"
        )
    _merge(matches[0], body, _is_builtin(matches[0]["apiVersion"]))


def _is_builtin(api_version: str) -> bool:
    """Kubernetes' own groups: the core group, ``apps``, ``batch``... or ``*.k8s.io``."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def _targets(target: Obj, objects: list[Obj]) -> list[Obj]:
    unknown = set(target) - {"kind", "name"}
    if unknown:
        raise UnsupportedKustomization(f"patch target fields {sorted(unknown)}")
    found = [
        o
        for o in objects
        if o["kind"] == target.get("kind", o["kind"])
        and o["metadata"]["name"] == target.get("name", o["metadata"]["name"])
    ]
    if not found:
        raise UnsupportedKustomization(f"patch target {target} matches nothing")
    return found


def _merge(into: Obj, patch: Obj, merge_lists: bool) -> None:
    for key, value in patch.items():
        if isinstance(value, str) and key == "$patch":
            raise UnsupportedKustomization("$patch directives")
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, merge_lists)
        elif (
            isinstance(value, list)
            and merge_lists
            and key in MERGE_KEYS
            and isinstance(into.get(key), list)
        ):
            _merge_list(into[key], value, MERGE_KEYS[key], merge_lists)
        else:
            into[key] = copy.deepcopy(value)


def _merge_list(into: list[Obj], patch: list[Obj], key: str, merge_lists: bool) -> None:
    # Kustomize's order: the patch's items (merged into their originals) in the
    # patch's order, then the originals the patch does not name.
    originals = {item[key]: item for item in into}
    merged = []
    for item in patch:
        if item[key] in originals:
            _merge(originals[item[key]], item, merge_lists)
            merged.append(originals[item[key]])
        else:
            merged.append(copy.deepcopy(item))
    named = {item[key] for item in patch}
    into[:] = merged + [item for item in into if item[key] not in named]


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _json6902(obj: Obj, operation: Obj) -> None:
    op = operation["op"]
    *parents, last = _pointer(operation["path"])
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if op in ("add", "replace"):
        value = copy.deepcopy(operation["value"])
        if isinstance(node, list):
            if last == "-":
                node.append(value)
            elif op == "add":
                node.insert(int(last), value)
            else:
                node[int(last)] = value
        else:
            if op == "replace" and last not in node:
                raise UnsupportedKustomization(f"replace of missing {operation['path']}")
            node[last] = value
    elif op == "remove":
        del node[int(last) if isinstance(node, list) else last]
    else:
        raise UnsupportedKustomization(f"JSON 6902 op {op}")


def _pod_templates(obj: Obj) -> Iterator[Obj]:
    path = POD_TEMPLATE_PATHS.get(obj["kind"])
    if path is None:
        return
    node: Any = obj
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        yield node


def _label(labels: Obj, objects: list[Obj]) -> None:
    unknown = set(labels) - {"pairs", "includeSelectors", "includeTemplates"}
    if unknown or labels.get("includeSelectors"):
        # Selectors are immutable: a label added to them later breaks every upgrade.
        raise UnsupportedKustomization("labels with selectors")
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(labels["pairs"])
        if labels.get("includeTemplates"):
            for template in _pod_templates(obj):
                template.setdefault("metadata", {}).setdefault("labels", {}).update(labels["pairs"])


def _containers(obj: Obj) -> Iterator[Obj]:
    for template in _pod_templates(obj):
        spec = template.get("spec", {})
        yield from spec.get("initContainers", [])
        yield from spec.get("containers", [])


def _set_image(image: Obj, objects: list[Obj]) -> None:
    unknown = set(image) - {"name", "newName", "newTag", "digest"}
    if unknown:
        raise UnsupportedKustomization(f"images fields {sorted(unknown)}")
    for obj in objects:
        for container in _containers(obj):
            name, tag = _split_image(container["image"])
            if name != image["name"]:
                continue
            if "digest" in image:
                tag = "@" + image["digest"]
            elif "newTag" in image:
                tag = ":" + image["newTag"]
            container["image"] = image.get("newName", name) + tag


def _split_image(image: str) -> tuple[str, str]:
    """``registry:5000/app:1.0`` -> (``registry:5000/app``, ``:1.0``)."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, "@" + digest
    head, _, last = image.rpartition("/")
    if ":" in last:
        base, _, tag = last.rpartition(":")
        return f"{head}/{base}" if head else base, ":" + tag
    return image, ""


def config_map_hash(obj: Obj) -> str:
    """Kustomize's name suffix of a ConfigMap: sha256 of its JSON encoding as Go's
    encoding/json writes it (sorted keys, HTML characters escaped), ten characters
    with the vowel-like ones replaced. Kustomize hashes the content with an empty
    name, so two generators with the same data get the same suffix."""
    encoded = json.dumps(
        {"data": obj.get("data", {}), "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escape)
    encoded = encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _add_name_hashes(objects: list[Obj]) -> None:
    renamed: dict[str, str] = {}
    for obj in objects:
        name = _generated_name(obj)
        if name is None:
            continue
        annotations = obj["metadata"]["annotations"]
        del annotations[_GENERATED]
        if not annotations:
            del obj["metadata"]["annotations"]
        renamed[name] = f"{name}-{config_map_hash(obj)}"
        obj["metadata"]["name"] = renamed[name]
    for obj in objects:
        for template in _pod_templates(obj):
            _rename_config_map_refs(template.get("spec", {}), renamed.get)


def _rename_config_map_refs(pod: Obj, rename: Callable[[str], str | None]) -> None:
    def fix(ref: Obj | None) -> None:
        if ref and rename(ref["name"]):
            ref["name"] = rename(ref["name"])

    for volume in pod.get("volumes", []):
        fix(volume.get("configMap"))
        for source in volume.get("projected", {}).get("sources", []):
            fix(source.get("configMap"))
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        for env_from in container.get("envFrom", []):
            fix(env_from.get("configMapRef"))
        for env in container.get("env", []):
            fix(env.get("valueFrom", {}).get("configMapKeyRef"))
