"""bench/e2e.py --acks: the routing file a run uses, so that runs on different days and
hours send the same automatic acknowledgements."""

import importlib.util
import sys
from pathlib import Path

import pytest

from socialcare.route.config import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("e2e_bench", ROOT / "bench" / "e2e.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _rules(bench, acks: str, tmp_path: Path):
    path = bench.routing_file(acks, tmp_path)
    return load_config(path)


def test_shipped_keeps_the_shipped_file(bench, tmp_path):
    assert bench.routing_file("shipped", tmp_path) is None
    # The shipped rules depend on the hour, which is what the option pins.
    assert any(r.when.outside_business_hours for r in load_config().acknowledgements.rules)


def test_none_drops_the_acknowledgement_rules_and_nothing_else(bench, tmp_path):
    shipped, run = load_config(), _rules(bench, "none", tmp_path)
    assert run.acknowledgements.rules == []
    assert run.model_copy(update={"acknowledgements": shipped.acknowledgements}) == shipped


def test_all_acknowledges_private_messages_at_any_hour(bench, tmp_path):
    shipped, run = load_config(), _rules(bench, "all", tmp_path)
    assert [r.when.outside_business_hours for r in run.acknowledgements.rules] == [None]
    assert [r.when.platforms for r in run.acknowledgements.rules] == [
        r.when.platforms for r in shipped.acknowledgements.rules
    ]
    assert [r.public for r in run.acknowledgements.rules] == [False]
    assert run.business_hours == shipped.business_hours


def test_every_choice_is_an_option(bench):
    assert bench.arguments([]).acks == "none"
    for acks in bench.ACKS:
        assert bench.arguments(["--acks", acks]).acks == acks
    with pytest.raises(SystemExit):
        bench.arguments(["--acks", "sometimes"])
