"""The Python renderer against Kustomize itself, and its refusals."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import K8S, OVERLAYS
from tests.deploy.kustomize import UnsupportedKustomization, build, config_map_hash


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) absent")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renders_what_kustomize_renders(overlay: str):
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    expected = {_key(o): o for o in yaml.safe_load_all(out) if o}
    ours = {_key(o): o for o in build(K8S / "overlays" / overlay)}
    assert sorted(ours) == sorted(expected)
    different = [key for key in ours if ours[key] != expected[key]]
    assert not different


def test_config_map_hash_is_kustomizes():
    # `kubectl kustomize` (kustomize v5.5.0) names this ConfigMap demo-kcmhc67hkg:
    # non-ASCII and HTML characters are where a JSON encoding would differ.
    cm = {"metadata": {"name": "demo"}, "data": {"greeting": "<héllo & bye>", "plain": "1"}}
    assert config_map_hash(cm) == "kcmhc67hkg"


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: main
          image: app:1.0
          env: [{name: A, value: "1"}]
          envFrom: [{configMapRef: {name: settings}}]
        - {name: sidecar, image: "registry:5000/side:2.0"}
"""


def test_patches_images_labels_namespace_and_generated_names(tmp_path: Path):
    _write(
        tmp_path,
        {
            "deployment.yaml": DEPLOYMENT,
            "settings.env": "# comment\nKEY=value\n",
            "patch.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
                "spec:\n  template:\n    spec:\n      containers:\n"
                "        - name: main\n          env: [{name: B, value: '2'}]\n"
                "        - {name: third, image: 'third:1'}\n"
            ),
            "kustomization.yaml": """
namespace: team
labels: [{pairs: {part-of: demo}, includeTemplates: true}]
resources: [deployment.yaml]
configMapGenerator: [{name: settings, envs: [settings.env]}]
images: [{name: app, newTag: "1.1"}, {name: "registry:5000/side", newName: side}]
patches:
  - path: patch.yaml
  - target: {kind: Deployment, name: app}
    patch: '[{op: add, path: /spec/replicas, value: 2}]'
""",
        },
    )
    objects = {o["kind"]: o for o in build(tmp_path)}
    deployment, cm = objects["Deployment"], objects["ConfigMap"]
    # Kustomize's order: the patch's items first, then the originals it leaves alone.
    main, third, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert third == {"name": "third", "image": "third:1"}
    assert [e["name"] for e in main["env"]] == ["B", "A"]  # merged by name, not replaced
    assert main["image"] == "app:1.1"
    assert sidecar["image"] == "side:2.0"
    assert deployment["spec"]["replicas"] == 2
    assert cm["data"] == {"KEY": "value"}
    assert cm["metadata"]["name"] == f"settings-{config_map_hash(cm)}"
    assert main["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"]
    assert {o["metadata"]["namespace"] for o in objects.values()} == {"team"}
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"part-of": "demo"}


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [deployment.yaml]\nnamePrefix: x-\n",
        "resources: [deployment.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n",
        "resources: [deployment.yaml]\npatches: [{target: {kind: Service}, patch: '[]'}]\n",
    ],
)
def test_refuses_what_it_does_not_implement(tmp_path: Path, kustomization: str):
    _write(tmp_path, {"deployment.yaml": DEPLOYMENT, "kustomization.yaml": kustomization})
    with pytest.raises(UnsupportedKustomization):
        build(tmp_path)
