"""A single-node Elasticsearch from Elastic's test distribution on Maven Central.

Elasticsearch refuses to run as root; when ``stack up`` runs as root it starts the
node as an unprivileged system user that owns the node's directories.

``SecureElasticsearchServer`` is a second node from the same install, with security
on (users, roles, API keys), on ports and directories of its own: the API-key
privileges a deployment gives each service are tested against it.
"""

from __future__ import annotations

import base64
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

import yaml

from socialcare_dev.process import ManagedProcess, environment, require_free_ports
from socialcare_dev.settings import StackSettings
from socialcare_dev.stack import maven
from socialcare_dev.stack.java import java_home
from socialcare_dev.stack.versions import ELASTICSEARCH_VERSION

ES_ARTIFACT = (
    f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ELASTICSEARCH_VERSION}:zip"
)
RUN_AS_USER = "socialcare-es"


class ElasticsearchServer:
    name = "elasticsearch"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.elasticsearch_address
        root = settings.stack_dir.resolve()
        self.downloads = root / "downloads"
        self.base = root / "elasticsearch"
        # The install, shared by every node of the stack; each node has its own
        # base directory (data, logs, pid file) below.
        self.home = root / "elasticsearch" / f"elasticsearch-{ELASTICSEARCH_VERSION}"
        self.config = self.home / "config"
        self.data = self.base / "data"
        self.logs = self.base / "logs"
        self.process = ManagedProcess(
            "Elasticsearch",
            self.logs / "stdout.log",
            pid_file=self.base / "elasticsearch.pid",
            cwd=self.home,
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
        self.home.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = Path(zf.extract(info, self.home.parent))
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
        for top in (self.home, self.config, self.data, self.logs):
            for path in [top, *top.rglob("*")]:
                os.lchown(path, entry.pw_uid, entry.pw_gid)
        # The node's user must be able to walk down to its directories.
        for parent in self.base.parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)

    def _node_config(self) -> dict[str, object]:
        return {
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

    def _write_config(self) -> None:
        # JSON is valid YAML, and leaves no quoting to get wrong.
        (self.config / "elasticsearch.yml").write_text(json.dumps(self._node_config(), indent=2))

    def _env(self) -> dict[str, str | None]:
        """Set over (None: removed from) the environment: the launcher is to use
        ES_JAVA_HOME, whatever JAVA_HOME says."""
        heap = self.settings.stack_elasticsearch_heap
        return {
            "ES_JAVA_HOME": str(java_home()),
            "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
            "ES_PATH_CONF": str(self.config),
            "JAVA_HOME": None,
        }

    def start_process(self, say: Callable[[str], None]) -> None:
        require_free_ports(self.name, self.host, (self.port, self.port + 100))
        user = self._run_as()
        self.logs.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._prepare_dirs(user)
        self.process.command = [str(self.home / "bin" / "elasticsearch")]
        self.process.env, self.process.user = self._env(), user
        self.process.spawn()
        say(
            f"starting Elasticsearch {ELASTICSEARCH_VERSION} on {self.address}"
            f"{f' as user {user}' if user else ''} (logs: {self.logs})"
        )

    def wait_ready(self) -> float:
        return self.process.wait_ready(self.settings.stack_start_timeout, self.is_ready)

    def _request(self, path: str) -> urllib.request.Request:
        return urllib.request.Request(f"{self.address}{path}")

    def is_ready(self) -> bool:
        # The test distribution has no `GET /`; cluster health is the readiness probe.
        request = self._request("/_cluster/health?wait_for_status=yellow&timeout=1s")
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return json.load(response).get("status") in {"green", "yellow"}
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log_paths(self) -> list[Path]:
        return [self.process.log_file, self.logs / "socialcare-local.log"]


class SecureElasticsearchServer(ElasticsearchServer):
    """A second node with security on: every request needs a user or an API key.

    Plain HTTP on its own port (the API-key privileges, not TLS, are what its tests
    are about); the ``elastic`` superuser's password is set through the keystore's
    ``bootstrap.password``, as on a fresh production node.
    """

    name = "elasticsearch-secure"

    def __init__(
        self, settings: StackSettings, port: int = 9250, password: str = "socialcare"
    ) -> None:
        super().__init__(settings)
        self.port = port
        self.password = password
        self.base = settings.stack_dir.resolve() / "elasticsearch-secure"
        self.config = self.base / "config"
        self.data = self.base / "data"
        self.logs = self.base / "logs"
        self.process = ManagedProcess(
            "Elasticsearch (security on)",
            self.logs / "stdout.log",
            pid_file=self.base / "elasticsearch.pid",
            cwd=self.home,
            marker=str(self.home),
        )

    def _node_config(self) -> dict[str, object]:
        return {
            **super()._node_config(),
            "cluster.name": "socialcare-secure",
            "node.name": "secure-1",
            "xpack.security.enabled": True,
            "xpack.security.http.ssl.enabled": False,
            "xpack.security.transport.ssl.enabled": False,
            "xpack.security.authc.api_key.enabled": True,
            # The file realm's users and roles (set_roles, add_user) are re-read
            # this often while the node runs.
            "resource.reload.interval.high": "1s",
        }

    def _write_config(self) -> None:
        # The install's defaults (JVM options, logging), then this node's settings
        # and a keystore holding the superuser's first password.
        if self.config.exists():
            shutil.rmtree(self.config)
        shutil.copytree(
            self.home / "config",
            self.config,
            ignore=shutil.ignore_patterns("elasticsearch.yml", "elasticsearch.keystore"),
        )
        super()._write_config()
        keystore = [str(self.home / "bin" / "elasticsearch-keystore")]
        env = environment(self._env())
        subprocess.run([*keystore, "create"], env=env, check=True, capture_output=True)
        subprocess.run(
            [*keystore, "add", "--stdin", "bootstrap.password"],
            env=env,
            input=self.password.encode(),
            check=True,
            capture_output=True,
        )

    def _request(self, path: str) -> urllib.request.Request:
        request = super()._request(path)
        token = base64.b64encode(f"elastic:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        return request

    def set_roles(self, roles: dict[str, dict[str, object]]) -> None:
        """Replace the file realm's roles (name -> role descriptor, the format of
        ``PUT _security/role`` and of an API key's ``role_descriptors``)."""
        # Block-style YAML: the roles file's parser reads one role per top-level key.
        self._write_owned(self.config / "roles.yml", yaml.safe_dump(roles, sort_keys=False))

    def add_user(self, name: str, password: str, roles: list[str]) -> None:
        """A file realm user (replacing one of that name) with ``roles``."""
        users = [str(self.home / "bin" / "elasticsearch-users")]
        env = environment(self._env())
        subprocess.run([*users, "userdel", name], env=env, capture_output=True)
        subprocess.run(
            [*users, "useradd", name, "-p", password, "-r", ",".join(roles)],
            env=env,
            check=True,
            capture_output=True,
        )
        for file in ("users", "users_roles"):
            self._write_owned(self.config / file, None)

    def _write_owned(self, path: Path, text: str | None) -> None:
        # Written as root, the node's user must still read it.
        if text is not None:
            path.write_text(text)
        user = self._run_as()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _env(self) -> dict[str, str | None]:
        # Half the main node's heap: it holds a few test documents.
        return {**super()._env(), "ES_JAVA_OPTS": "-Xms512m -Xmx512m"}

    def log_paths(self) -> list[Path]:
        return [self.process.log_file, self.logs / "socialcare-secure.log"]
