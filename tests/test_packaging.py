"""The wheel holds exactly the product: every package of the shared core and of each
service, and nothing of the development tools."""

from __future__ import annotations

import tomllib

from tests.support.paths import REPO

CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _source_dir(package: str) -> str:
    """Where a package's files live, by the longest package-dir entry that names it."""
    dirs = CONFIG["package-dir"]
    parent = max((p for p in dirs if package == p or package.startswith(p + ".")), key=len)
    rest = package[len(parent) :].lstrip(".").replace(".", "/")
    return "/".join(part for part in (dirs[parent], rest) if part)


def test_every_package_of_the_product_is_in_the_wheel():
    on_disk = {
        str(init.parent.relative_to(REPO))
        for root in ("socialcare", "services")
        for init in (REPO / root).rglob("__init__.py")
    }
    listed = {_source_dir(p) for p in CONFIG["packages"] if (REPO / _source_dir(p)).exists()}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"


def test_the_development_tools_are_not_in_the_wheel():
    assert not any(p.startswith("socialcare_dev") for p in CONFIG["packages"])
    assert all(not d.startswith("devtools") for d in CONFIG["package-dir"].values())
