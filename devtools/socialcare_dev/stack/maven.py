"""Downloads from Maven Central through the machine's Maven, cached in ~/.m2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from socialcare_dev.stack.errors import StackError


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (mvn) is needed to fetch Kafka and Elasticsearch from Maven Central; "
            "install it (Debian: apt-get install maven)"
        )
    return mvn


def _run(args: list[str], cwd: Path) -> None:
    result = subprocess.run(
        [_mvn(), "-B", "-q", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise StackError(f"mvn {' '.join(args)} failed in {cwd}:\n{tail}")


def copy_dependencies(dependencies: list[tuple[str, str, str]], dest: Path) -> None:
    """Put the jars of ``dependencies`` and their runtime closure into ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    deps = "\n".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in dependencies
    )
    pom = dest.parent / "pom.xml"
    pom.write_text(
        f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.socialcare</groupId><artifactId>stack-runtime</artifactId><version>1</version>
  <dependencies>
{deps}
  </dependencies>
</project>
"""
    )
    _run(
        [
            "dependency:copy-dependencies",
            f"-DoutputDirectory={dest}",
            "-DincludeScope=runtime",
        ],
        cwd=dest.parent,
    )


def copy_artifact(coordinates: str, dest_dir: Path) -> Path:
    """Fetch one artifact (``group:artifact:version:type``) into ``dest_dir``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    _run(
        ["dependency:copy", f"-Dartifact={coordinates}", f"-DoutputDirectory={dest_dir}"],
        cwd=dest_dir,
    )
    _group, artifact, version, kind = coordinates.split(":")
    path = dest_dir / f"{artifact}-{version}.{kind}"
    if not path.exists():
        raise StackError(f"mvn reported success but {path} is missing")
    return path
