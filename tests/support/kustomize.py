"""Renders a kustomization with the real Kustomize: the standalone ``kustomize``
binary where it is installed (``go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1``),
else the copy built into ``kubectl`` (``kubectl kustomize``). Neither is a reason
to skip: the manifests are only proven by what the cluster's own tool renders.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import REPO

Obj = dict[str, Any]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())

# Where each workload kind keeps its pod template.
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


class KustomizeMissing(RuntimeError):
    """Neither kustomize nor kubectl is on PATH."""


def kustomize_command() -> list[str]:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise KustomizeMissing(
        "install kubectl or kustomize "
        "(go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1) to render deploy/k8s"
    )


@cache
def _render(directory: Path) -> str:
    done = subprocess.run(
        [*kustomize_command(), str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize failed on {directory}:\n{done.stderr}")
    return done.stdout


def build(directory: Path) -> list[Obj]:
    """Every object of the kustomization in ``directory``; a fresh copy each call,
    so a test may change what it gets."""
    return [o for o in yaml.safe_load_all(_render(directory.resolve())) if o]
