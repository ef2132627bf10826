"""A pipeline worker as its own process on the real Kafka, for the worker tests."""

from __future__ import annotations

from pathlib import Path

from socialcare_dev.pipeline import ServiceProcess, free_port

# faust's settings from the environment, for a test that kills a worker and starts
# another in its group: the killed member is dropped after 6 s (the broker's minimum)
# rather than faust's default 60 s, which is as long as the tests wait for output.
SHORT_SESSION = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1"}


def worker_process(
    role: str, group: str, workdir: Path, name: str, env: dict[str, str]
) -> ServiceProcess:
    """``socialcare <role> worker`` with consumer group (and app id) ``group``, its
    health port free, its data and log under ``workdir``; ``env`` adds settings."""
    prefix = f"SOCIALCARE_{role.upper()}"
    port = free_port()
    return ServiceProcess(
        [role, "worker"],
        env={
            f"{prefix}_APP_ID": group,
            f"{prefix}_WEB_PORT": str(port),
            "SOCIALCARE_WORKER_DATA_DIR": str(workdir / f"{name}-data"),
            **env,
        },
        ready_url=f"http://127.0.0.1:{port}/readyz",
        log=workdir / f"{name}.log",
    )
