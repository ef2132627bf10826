"""Trained models kept by version outside the clone.

A model's version is a hash of its corpus and training configuration, so a directory
named after it is content-addressed: a fresh clone on the same machine (CI, a second
checkout) restores the model in seconds instead of training it for ten minutes.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from socialcare.logging import get_logger

log = get_logger(__name__)


class ModelCache:
    def __init__(self, root: Path) -> None:
        self.root = root.expanduser()

    def restore(self, version: str, out: Path) -> bool:
        """Copy the cached model ``version`` into ``out``; False when it is not cached."""
        cached = self.root / version
        if not (cached / "VERSION").exists():
            return False
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(cached, out)
        return True

    def keep(self, model_dir: Path) -> None:
        """Store a trained model under its version, once; the rename makes it atomic, so
        a run killed while copying never leaves a half model that looks complete."""
        version = (model_dir / "VERSION").read_text().strip()
        target = self.root / version
        if target.exists():
            return
        staging = self.root / f".{version}.{uuid.uuid4().hex[:8]}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(model_dir, staging)
            staging.rename(target)
        except OSError as exc:
            # A read-only or full home directory costs the next clone a training run,
            # nothing more.
            log.warning("model_cache.unavailable", root=str(self.root), error=str(exc))
            shutil.rmtree(staging, ignore_errors=True)
