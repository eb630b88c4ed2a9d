"""The id check's fast path on nested records (issue 13): ``id_problems`` skips the pointer-building walk
only when the walk would find nothing, at any depth, under any key."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.inputs_guard import ID_CONTROL_MESSAGE, ID_FIELDS, _id_walk, _ids_printable, id_problems
from helpers import examples

ROOT = Path(__file__).resolve().parent.parent
KEYS = st.sampled_from(sorted(ID_FIELDS) + ["meetings", "young_people", "attendees", "x_local", "Name", "Ünï"])
TEXT = st.text(alphabet=st.sampled_from(list("ab-1 é\n\t\x00\x85\u200b\u2028\x7f")), max_size=5)
NESTED = st.recursive(st.one_of(TEXT, st.integers(), st.none(), st.booleans()),
                      lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
                      max_leaves=25)


@settings(max_examples=examples(300, 3000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, NESTED, max_size=5))
def test_id_problems_agrees_with_the_walk_on_nested_records(record):
    assert id_problems(record) == _id_walk(record)


def test_a_control_character_deep_in_a_record_is_still_found():
    record = json.loads((ROOT / "fixtures/sample-export/R-2026-001-complete.json").read_text(encoding="utf-8"))
    assert _ids_printable(record) and id_problems(record) == []
    record["meetings"][0]["id"] = "m\u20281"
    assert not _ids_printable(record)
    assert id_problems(record) == [("/meetings/0/id", ID_CONTROL_MESSAGE)]
