"""The product image as the tests use it: built by scripts/image.sh, run with podman
under the hardening the Kubernetes manifests declare for each role."""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.kustomize import K8S, Obj, build
from tests.support.manifest_checks import containers, pod_spec
from tests.support.paths import REPO

IMAGE_SH = REPO / "scripts" / "image.sh"
# scripts/image.sh's exit status when podman, runc or debootstrap are missing and
# cannot be installed: the one reason to skip.
NO_TOOLS = 3
# What the image tests measured, printed in the terminal summary (conftest.py).
REPORT: list[str] = []


class ImageUnavailable(RuntimeError):
    pass


def image_sh(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(IMAGE_SH), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def podman(*args: str, timeout: float = 120) -> str:
    """podman with the project's configuration and store; its output, or an error."""
    done = image_sh("podman", *args, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Built:
    name: str
    tag: str
    seconds: float
    output: str

    @property
    def size(self) -> int:
        return int(podman("image", "inspect", "--format", "{{.Size}}", self.name))


def build_image() -> Built:
    """Build (or find up to date) the image of this tree; raises ImageUnavailable when
    podman cannot be had on this machine."""
    start = time.monotonic()
    done = image_sh("build")
    seconds = time.monotonic() - start
    if done.returncode == NO_TOOLS:
        raise ImageUnavailable(done.stderr.strip() or done.stdout.strip())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tag = image_sh("tag").stdout.strip()
    return Built(f"localhost/socialcare:{tag}", tag, seconds, done.stdout + done.stderr)


def hardening(deployment: str) -> list[str]:
    """podman options for what the dev overlay declares for ``deployment``'s pod: its
    user, read-only root, no capabilities, no privilege escalation, and a tmpfs
    exactly where the manifest gives an emptyDir."""
    obj = _deployment(deployment)
    pod = pod_spec(obj) or {}
    (container,) = containers(obj)
    context = pod.get("securityContext", {}) | container.get("securityContext", {})
    options = [f"--user={context['runAsUser']}:{context['runAsGroup']}"]
    if context.get("readOnlyRootFilesystem"):
        # podman would otherwise add tmpfs mounts of its own on /tmp, /var/tmp and /run.
        options += ["--read-only", "--read-only-tmpfs=false"]
    options += [f"--cap-drop={cap}" for cap in context.get("capabilities", {}).get("drop", [])]
    if context.get("allowPrivilegeEscalation") is False:
        options.append("--security-opt=no-new-privileges")
    empty = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for mount in container.get("volumeMounts", []):
        if mount["name"] in empty:
            options.append(f"--tmpfs={mount['mountPath']}:rw,mode=1777")
    return options


def _deployment(name: str) -> Obj:
    for obj in _dev_overlay():
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == name:
            return obj
    raise KeyError(name)


_RENDERED: list[Obj] = []


def _dev_overlay() -> list[Obj]:
    if not _RENDERED:
        _RENDERED.extend(build(K8S / "overlays" / "dev"))
    return _RENDERED


def rendered_images() -> set[str]:
    """Every container image the dev and prod overlays deploy."""
    images = set()
    for overlay in ("dev", "prod"):
        for obj in build(K8S / "overlays" / overlay):
            if obj["kind"] in ("Deployment", "Job"):
                images |= {c["image"] for c in containers(obj)}
    return images


@dataclass
class Container:
    """One service of the image, started detached and waited on until ready."""

    image: str
    args: list[str]
    options: list[str]
    env: dict[str, str]
    ready_url: str
    name: str = field(default_factory=lambda: f"socialcare-image-test-{uuid.uuid4().hex[:8]}")
    cold_start: float = 0.0

    def start(self, timeout: float = 180) -> None:
        """``podman run`` and wait for /readyz; ``cold_start`` is the time between."""
        env = [f"--env={k}={v}" for k, v in self.env.items()]
        begun = time.monotonic()
        podman(
            "run", "--detach", f"--name={self.name}", *self.options, *env, self.image, *self.args
        )
        deadline = begun + timeout
        while time.monotonic() < deadline:
            if self._ready():
                self.cold_start = time.monotonic() - begun
                return
            if self.state() != "running":
                break
            time.sleep(0.25)
        raise AssertionError(f"{self.name} ({' '.join(self.args)}) not ready:\n{self.logs()}")

    def _ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def state(self) -> str:
        return podman("inspect", "--format", "{{.State.Status}}", self.name).strip()

    def logs(self, tail: int = 60) -> str:
        done = image_sh("podman", "logs", f"--tail={tail}", self.name)
        return done.stdout + done.stderr

    def stop(self) -> None:
        """SIGTERM (a worker commits and leaves its group), then remove."""
        image_sh("podman", "stop", "--time=30", self.name)
        image_sh("podman", "rm", "--force", self.name)


def run_in_image(image: str, *command: str, options: Any = ()) -> str:
    """``command`` in a throwaway container of ``image`` (no entrypoint)."""
    return podman("run", "--rm", *options, "--entrypoint", command[0], image, *command[1:])
