import pytest

from tests.support.respond_worker import emulator_process


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """The platform emulator as a process (the Graph API the Instagram tests fetch from)."""
    process, base = emulator_process(tmp_path_factory.mktemp("emulator"))
    process.start()
    yield base
    process.stop()
