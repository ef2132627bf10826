"""A single-node Elasticsearch from Elastic's test distribution on Maven Central.

Elasticsearch refuses to run as root; when ``stack up`` runs as root it starts the
node as an unprivileged system user that owns the node's directories.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from socialcare.settings import Settings
from socialcare.stack import maven
from socialcare.stack.java import java_home
from socialcare.stack.process import ManagedProcess
from socialcare.stack.versions import ELASTICSEARCH_VERSION

ES_ARTIFACT = (
    f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ELASTICSEARCH_VERSION}:zip"
)
RUN_AS_USER = "socialcare-es"


class ElasticsearchServer:
    name = "elasticsearch"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host, self.port = settings.elasticsearch_address
        root = settings.stack_dir.resolve()
        self.downloads = root / "downloads"
        self.base = root / "elasticsearch"
        self.home = self.base / f"elasticsearch-{ELASTICSEARCH_VERSION}"
        self.data = self.base / "data"
        self.logs = self.base / "logs"
        self.process = ManagedProcess(
            name="Elasticsearch",
            pid_file=self.base / "elasticsearch.pid",
            log_file=self.logs / "stdout.log",
            marker=str(self.home),
        )

    @property
    def address(self) -> str:
        return f"http://{self.host}:{self.port}"

    def install(self, say: Callable[[str], None]) -> None:
        done = self.home / ".complete"
        if done.exists():
            return
        say(f"downloading Elasticsearch {ELASTICSEARCH_VERSION} from Maven Central")
        archive = maven.copy_artifact(ES_ARTIFACT, self.downloads)
        if self.home.exists():
            shutil.rmtree(self.home)
        self.base.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = Path(zf.extract(info, self.base))
                # zipfile drops Unix modes; the launch scripts need their exec bits.
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    path.chmod(mode)
        done.touch()

    def _run_as(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(RUN_AS_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    RUN_AS_USER,
                ],
                check=True,
            )
        return RUN_AS_USER

    def _prepare_dirs(self, user: str | None) -> None:
        for path in (self.data, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        if user is None:
            return
        entry = pwd.getpwnam(user)
        for top in (self.home, self.data, self.logs):
            for path in [top, *top.rglob("*")]:
                os.lchown(path, entry.pw_uid, entry.pw_gid)
        # The node's user must be able to walk down to its directories.
        for parent in self.base.parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)

    def _write_config(self) -> None:
        config = {
            "cluster.name": "socialcare-local",
            "node.name": "local-1",
            "discovery.type": "single-node",
            "xpack.security.enabled": False,
            "xpack.ml.enabled": False,
            "network.host": self.host,
            "http.port": self.port,
            "transport.port": self.port + 100,
            "path.data": str(self.data),
            "path.logs": str(self.logs),
            # A laptop disk 90 % full must not turn every index read-only.
            "cluster.routing.allocation.disk.threshold_enabled": False,
            "action.destructive_requires_name": True,
        }
        # JSON is valid YAML, and leaves no quoting to get wrong.
        (self.home / "config" / "elasticsearch.yml").write_text(json.dumps(config, indent=2))

    def start_process(self, say: Callable[[str], None]) -> None:
        user = self._run_as()
        self.logs.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._prepare_dirs(user)
        heap = self.settings.stack_elasticsearch_heap
        env = {
            **os.environ,
            "ES_JAVA_HOME": str(java_home()),
            "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
        }
        env.pop("JAVA_HOME", None)
        self.process.start(
            [str(self.home / "bin" / "elasticsearch")], cwd=self.home, env=env, user=user
        )
        say(
            f"starting Elasticsearch {ELASTICSEARCH_VERSION} on {self.address}"
            f"{f' as user {user}' if user else ''} (logs: {self.logs})"
        )

    def wait_ready(self) -> float:
        return self.process.wait_ready(self.is_ready, self.settings.stack_start_timeout)

    def is_ready(self) -> bool:
        # The test distribution has no `GET /`; cluster health is the readiness probe.
        url = f"{self.address}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return json.load(response).get("status") in {"green", "yellow"}
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log_paths(self) -> list[Path]:
        return [self.process.log_file, self.logs / "socialcare-local.log"]
