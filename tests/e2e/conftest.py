import pytest

from socialcare.classify.settings import ClassifySettings
from socialcare_dev.isolation import isolated_pipeline
from tests.support.pipeline_logs import notable_lines


@pytest.fixture(scope="package")
def pipeline(stack, settings, tmp_path_factory):
    """ingest, classify (the real trained model), route, index and search as processes."""
    if not (ClassifySettings().model_dir / "model.int8.onnx").exists():
        pytest.skip("no trained model: scripts/model.sh trains it")
    with isolated_pipeline(settings, tmp_path_factory.mktemp("pipeline")) as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that ran on the pipeline reports its processes' warnings and
    errors (their logs are gone with CI's temporary directory)."""
    outcome = yield
    report = outcome.get_result()
    pipeline = item.funcargs.get("pipeline") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and pipeline is not None:
        running, _ = pipeline
        report.sections.append(("pipeline logs", notable_lines(running.log_dir)))
