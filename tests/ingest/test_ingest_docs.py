"""docs/ingest.md lists every label the ignored-kinds metric can carry, and no other."""

import re

from hypothesis import given
from hypothesis import strategies as st

from socialcare.ingest.metrics import IGNORED_TYPES, ignored_label, ignored_labels
from tests.support.paths import REPO

DOC = REPO / "docs" / "ingest.md"


def documented() -> dict[str, str]:
    table = DOC.read_text().split("## Ignored webhook kinds", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|$", table, re.MULTILINE)
    return {label: why.strip() for label, _, why in rows}


def test_the_table_lists_every_label_with_its_reason():
    assert documented() == ignored_labels()


def test_every_listed_type_is_a_label_of_its_own():
    assert all(ignored_label(kind) == kind for kind in IGNORED_TYPES)


@given(st.text(max_size=40))
def test_whatever_an_adapter_reports_becomes_a_documented_label(kind):
    assert ignored_label(kind) in ignored_labels()
