from __future__ import annotations

import pytest

from tests.support.kustomize import K8S, OVERLAYS, Obj, build


@pytest.fixture(scope="session", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Obj]:
    """Every object of one overlay, as `kustomize build` renders it."""
    return build(K8S / "overlays" / request.param)
