"""A route worker as its own process on the real Kafka, for the route tests."""

from __future__ import annotations

from pathlib import Path

from socialcare.settings import Settings
from socialcare.topics import CLASSIFIED
from socialcare_dev.isolation import fresh_group
from socialcare_dev.pipeline import ServiceProcess
from tests.support.worker_process import worker_process


def route_worker(
    settings: Settings, workdir: Path, name: str, rules: str | None = None, **env: str
) -> tuple[ServiceProcess, str]:
    """(the worker, its consumer group): a group of its own that starts at the end of
    social.events.classified, data and log under ``workdir``; with ``rules``, the
    routing rules (YAML) it runs, else the shipped ones."""
    group = fresh_group(settings, f"socialcare-route-it-{name}", CLASSIFIED.name)
    if rules is not None:
        path = workdir / f"{name}.yaml"
        path.write_text(rules)
        env = {"SOCIALCARE_ROUTING_CONFIG": str(path), **env}
    worker = worker_process("route", group, workdir, name, env)
    return worker, group
