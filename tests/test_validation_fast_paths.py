"""Fast paths of validating a response record (issue 13), each against its slow path:

* the id check skips its pointer-building walk only when the walk would find nothing, at any depth, under any key;
* the compiled validator runs without fastjsonschema's eager error names, and gives the same verdicts.
"""
from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastjsonschema

from checker import fastvalidate
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


def _mutations(record: dict):
    """The record, then one record per leaf replaced by a value of another type or an unknown code."""
    yield record
    stack = [((), record)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            stack.append(((*path, key), value))
            for other in (None, 7, "not-a-code", [], {}, "2026-02-30"):
                if other == value:
                    continue
                mutated = copy.deepcopy(record)
                target = mutated
                for step in path:
                    target = target[step]
                target[key] = other
                yield mutated


def test_the_compiled_validator_has_no_eager_names_and_the_same_verdicts():
    fast = fastvalidate.compiled("response-record")
    assert isinstance(fast, functools.partial)  # the generated code ran without its eager names
    definition = copy.deepcopy(fastvalidate.compiled_schema("response-record"))
    plain = fastjsonschema.compile(definition, formats=fastvalidate._formats(), use_default=False)
    record = json.loads((ROOT / "fixtures/sample-export/R-2026-001-complete.json").read_text(encoding="utf-8"))
    verdicts = []
    for candidate in _mutations(record):
        outcome = []
        for check in (fast, plain):
            try:
                check(candidate)
                outcome.append(True)
            except fastjsonschema.JsonSchemaException:
                outcome.append(False)
        verdicts.append(outcome[0])
        assert outcome[0] == outcome[1]
    assert True in verdicts and False in verdicts
