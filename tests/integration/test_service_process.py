"""ServiceProcess against the free_port() race: the port picked can be taken by the
time the service binds it; the service then moves to another free port."""

import socket
import sys

import pytest

from socialcare_dev.pipeline import ServiceProcess

# A stand-in service: an HTTP server on the port its variable names, which exits with
# EADDRINUSE when the port is taken, as uvicorn and faust's web server do.
SERVER = (
    "import http.server, os; "
    "http.server.HTTPServer(('127.0.0.1', int(os.environ['FAKE_PORT'])), "
    "http.server.SimpleHTTPRequestHandler).serve_forever()"
)


def fake_service(port: int, tmp_path, port_setting: str | None = None) -> ServiceProcess:
    return ServiceProcess(
        ["fake"],
        env={"FAKE_PORT": str(port)},
        ready_url=f"http://127.0.0.1:{port}/",
        log=tmp_path / "fake.log",
        port_setting=port_setting,
        command=[sys.executable, "-c", SERVER],
    )


def test_a_service_whose_port_was_taken_meanwhile_moves_to_a_free_one(tmp_path):
    with socket.socket() as thief:
        # The port free_port() returned was taken before the service could bind it.
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        service = fake_service(taken, tmp_path, port_setting="FAKE_PORT")
        try:
            service.start(timeout=60)
            assert service.port != taken
            assert service.ready_url == f"http://127.0.0.1:{service.port}/"
            assert service.ready()
            assert "Address already in use" in service.tail()  # the first attempt
        finally:
            service.stop()


def test_a_port_the_caller_chose_is_not_moved(tmp_path):
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        service = fake_service(taken, tmp_path)
        with pytest.raises(RuntimeError, match="exited"):
            service.start(timeout=60)
