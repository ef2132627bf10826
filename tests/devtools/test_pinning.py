"""CPU pinning of pipeline processes (bench/e2e.py --cores): the list syntax, the
ROLE=LIST arguments and the taskset command each replica is started with."""

import sys

import pytest

from socialcare_dev import pipeline
from socialcare_dev.pipeline import ROLES, Pipeline, cpu_list, pinning


@pytest.fixture(autouse=True)
def sixteen_cpus(monkeypatch):
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 16)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("0", (0,)), ("3,1", (1, 3)), ("0-3", (0, 1, 2, 3)), ("0-1,8,10-11", (0, 1, 8, 10, 11))],
)
def test_cpu_lists_in_tasksets_syntax(text, cpus):
    assert cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["", "a", "0,", "-1", "1-", "0;1", "3-1", "16", "0-16"])
def test_a_malformed_list_or_a_missing_cpu_is_refused(text):
    with pytest.raises(ValueError):
        cpu_list(text)


def test_a_role_given_again_adds_a_list_for_its_next_replica():
    specs = ["classify=0", "classify=1", "ingest=1", "index=0-1"]
    assert pinning(specs, ROLES) == {
        "classify": ["0", "1"],
        "ingest": ["1"],
        "index": ["0-1"],
    }


@pytest.mark.parametrize("spec", ["classify", "nosuch=0", "classify=x", "=0"])
def test_an_unknown_role_or_bad_list_is_refused(spec):
    with pytest.raises(ValueError, match=r"ROLE=LIST|CPU list"):
        pinning([spec], ROLES)


def test_replicas_take_their_roles_lists_in_turn_under_taskset(tmp_path):
    cores = {"classify": ["0", "1"], "ingest": ["0,1"], "emulator": ["1"]}
    started = Pipeline(tmp_path, replicas={"classify": 3}, cores=cores)
    commands = {name: s.command for name, s in started.services.items()}
    assert commands["classify"][:3] == ["taskset", "-c", "0"]
    assert commands["classify-2"][:3] == ["taskset", "-c", "1"]
    assert commands["classify-3"][:3] == ["taskset", "-c", "0"]
    assert commands["ingest"] == [
        "taskset", "-c", "0,1", sys.executable, "-m", "socialcare", "ingest", "serve"
    ]  # fmt: skip
    assert commands["route"] == [sys.executable, "-m", "socialcare", "route", "worker"]
    assert started.emulator.command[:3] == ["taskset", "-c", "1"]
    assert started.cores["route"] is None
    assert started.cores["classify-3"] == "0"
