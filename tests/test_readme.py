from tests.support.paths import REPO
from tests.support.setting_names import all_setting_names

README = (REPO / "README.md").read_text()


def test_readme_documents_every_setting():
    missing = sorted(name for name in all_setting_names() if f"`{name}`" not in README)
    assert not missing


def test_ci_runs_exactly_the_readme_test_command():
    assert "scripts/test.sh     # run the tests" in README
    assert "exec scripts/test.sh" in (REPO / ".ci" / "run").read_text()
