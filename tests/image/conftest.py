from __future__ import annotations

import pytest

from socialcare.classify.settings import ClassifySettings
from tests.image.podman import REPORT, Built, ImageUnavailable, build_image


@pytest.fixture(scope="package")
def image() -> Built:
    """The image of this tree, built by scripts/image.sh (the model scripts/model.sh
    trained baked in); a second run with nothing changed must not build again."""
    if not (ClassifySettings().model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    try:
        built = build_image()
    except ImageUnavailable as exc:
        pytest.skip(f"podman cannot be installed here: {exc}")
    again = build_image()
    assert "up to date" in again.output, again.output
    REPORT.append(f"image {built.name}: {built.size / 2**20:.0f} MiB")
    REPORT.append(f"image build: {built.seconds:.0f} s, then {again.seconds:.1f} s up to date")
    return built


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("the product image")
        for line in REPORT:
            terminalreporter.write_line(line)
        REPORT.clear()
