import pytest

from socialcare.classify.settings import ClassifySettings
from socialcare_dev.isolation import isolated_pipeline


@pytest.fixture(scope="package")
def pipeline(stack, settings, tmp_path_factory):
    """ingest, classify (the real trained model), route, index and search as processes."""
    if not (ClassifySettings().model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    with isolated_pipeline(settings, tmp_path_factory.mktemp("pipeline")) as running:
        yield running
