"""SOCIALCARE_SEARCH_API_KEYS: every entry explicit and checked; a bad value stops the
service with the reason, and no error ever prints a key."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from socialcare.search.settings import KeyGrant, SearchSettings
from tests.support.paths import REPO

AGENT = "agent-key-0123456789"
ADMIN = "Adm1n_key-0123456789~+/="


def keys(value):
    return SearchSettings(search_api_keys=value).search_api_keys


def test_the_documented_format_parses():
    assert keys(f"{AGENT}:read, {ADMIN}:read+erase") == {
        AGENT: KeyGrant(scopes=frozenset({"read"}), agent="agent-1"),
        ADMIN: KeyGrant(scopes=frozenset({"read", "erase"}), agent="agent-2"),
    }
    assert keys("") == {}
    assert keys({AGENT: ["read"]}) == {AGENT: KeyGrant(scopes=frozenset({"read"}), agent="agent-1")}


def test_a_key_names_its_agent():
    parsed = keys(f"{AGENT}:read+reply:maria.k,{ADMIN}:admin")
    assert parsed[AGENT] == KeyGrant(scopes=frozenset({"read", "reply"}), agent="maria.k")
    assert parsed[ADMIN] == KeyGrant(scopes=frozenset({"admin"}), agent="agent-2")
    assert keys({AGENT: {"scopes": ["reply"], "agent": "bot"}})[AGENT].agent == "bot"


@pytest.mark.parametrize(
    "value,reason",
    [
        # The review's case: this made a read key whose secret is `erase`.
        (f"{ADMIN}:read,erase", "entry 2 has no ':<scope>' part ('erase' is a scope"),
        (f"{AGENT}:read,{ADMIN}", "entry 2 has no ':<scope>' part"),
        (f"{AGENT}:read,short-key:read", "entry 2: the key has 9 characters, fewer than 16"),
        (f"{AGENT}:write", "entry 1: unknown scope(s) 'write'"),
        (f"{AGENT}:read+", "entry 1: unknown scope(s) ''"),
        (f"{AGENT}:", "entry 1: unknown scope(s) ''"),
        (f"{AGENT}:read+{ADMIN}", "entry 1: unknown scope(s) (a value not shown), (a value not"),
        (f"{AGENT}:read,,{ADMIN}:erase", "entry 2 is empty"),
        (f"{AGENT}:read,", "entry 2 is empty"),
        (f"{AGENT}:read,{AGENT}:erase", "entry 2 repeats the key of an earlier entry"),
        (f"{AGENT} x:read", "entry 1: the key is empty or has characters outside"),
        (":read", "entry 1: the key is empty"),
        ({"short": ["read"]}, "entry 1: the key has 5 characters"),
        ({AGENT: ["root"]}, "entry 1: unknown scope(s) 'root'"),
        (f"{AGENT}:read:", "entry 1: the agent name is empty"),
        (f"{AGENT}:read:{ADMIN}", "entry 1: the agent name is empty, longer than 64"),
    ],
)
def test_a_bad_value_is_refused_with_the_reason_and_without_the_key(value, reason):
    with pytest.raises(ValidationError) as caught:
        keys(value)
    message = str(caught.value)
    assert reason in message
    for secret in (AGENT, ADMIN, "short-key", "short", "Adm1n", "/="):
        assert secret not in message


def test_the_service_refuses_to_start_and_says_why(tmp_path):
    env = {
        **os.environ,
        "SOCIALCARE_SEARCH_API_KEYS": f"{ADMIN}:read,erase",
        "SOCIALCARE_INDEX_ALIAS": "test-keys-never-created",
    }
    run = subprocess.run(
        [sys.executable, "-m", "socialcare", "search", "serve", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # before the fix: it started and served, with `erase` a read key
    )
    assert run.returncode == 2
    assert "invalid configuration" in run.stderr
    assert "entry 2 has no ':<scope>' part" in run.stderr
    assert ADMIN not in run.stderr + run.stdout
