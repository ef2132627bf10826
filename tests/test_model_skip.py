"""A missing model fails the tests that need it, unless the run opts out on purpose."""

pytest_plugins = ["pytester"]

NEEDS_MODEL = """
import pytest

def test_needs_the_model():
    pytest.skip("no trained model: scripts/model.sh trains it")

def test_other_skip():
    pytest.skip("not on this platform")
"""


def test_a_missing_model_fails_the_test(pytester, monkeypatch):
    monkeypatch.delenv("SOCIALCARE_TESTS_WITHOUT_MODEL", raising=False)
    pytester.makepyfile(NEEDS_MODEL)
    result = pytester.runpytest("-p", "tests.support.model_skip")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*1 tests need the trained model and did not run (FAILED)*"])


def test_an_explicit_opt_out_skips_loudly(pytester, monkeypatch):
    monkeypatch.setenv("SOCIALCARE_TESTS_WITHOUT_MODEL", "1")
    pytester.makepyfile(NEEDS_MODEL)
    result = pytester.runpytest("-p", "tests.support.model_skip")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*1 tests need the trained model*(skipped on purpose)*"])
