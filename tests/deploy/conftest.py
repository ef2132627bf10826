from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.deploy.render import Obj, build

K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())


@pytest.fixture(scope="session", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Obj]:
    """Every object of one overlay, as `kustomize build` renders it."""
    return build(K8S / "overlays" / request.param)
