"""Locating the JDK the local servers run on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from socialcare_dev.stack.errors import StackError


def java_home() -> Path:
    if home := os.environ.get("JAVA_HOME"):
        return Path(home)
    java = shutil.which("java")
    if java is None:
        raise StackError("Java 17+ is needed for Kafka and Elasticsearch; none is on PATH")
    return Path(java).resolve().parent.parent


def java_bin() -> Path:
    return java_home() / "bin" / "java"
