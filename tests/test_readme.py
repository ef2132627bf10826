from services.ingest.settings import IngestSettings
from services.route.settings import RouteSettings
from services.search.settings import SearchSettings
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def test_readme_documents_every_setting():
    missing = [
        f"SOCIALCARE_{name.upper()}"
        # Each service's settings extend the shared Settings.
        for name in {
            **IngestSettings.model_fields,
            **RouteSettings.model_fields,
            **SearchSettings.model_fields,
        }
        if f"`SOCIALCARE_{name.upper()}`" not in README
    ]
    assert not missing


def test_ci_runs_exactly_the_readme_test_command():
    assert "scripts/test.sh     # run the tests" in README
    assert "exec scripts/test.sh" in (REPO / ".ci" / "run").read_text()
