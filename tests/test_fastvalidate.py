"""The compiled validator (fast path) and jsonschema (the contract) agree on what is valid."""
from __future__ import annotations

import copy
import json
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import fastvalidate
from checker.validation import DATE_MESSAGE, validate_incident, validate_response, validator
from helpers import ROOT, SAMPLE, examples

sys.path.insert(0, str(ROOT / "scripts"))
import bench_data  # noqa: E402

BASES = [bench_data.heavy_response(0, seed=3)]  # one heavy record; the sample records are small
for path in sorted(SAMPLE.glob("*.json")):
    loaded = json.loads(path.read_text(encoding="utf-8"))
    BASES.extend(loaded if isinstance(loaded, list) else [loaded])
INCIDENT = {"incident_id": "I-1", "young_person_id": "YP-1", "date_of_birth": "2011-04-02", "age": 14,
            "date": "2026-03-02", "setting_id": "URN-1", "area": "LA-1", "connections": ["YP-2"],
            "reported_by": "education"}
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 30), st.floats(allow_nan=False, width=16),
                   st.sampled_from(["", "x", "police", "scoping", "2026-02-30", "2026-13-01", "2026-3-2",
                                    "2026-03-02", "2024-02-29", "YP-1", "closed", "ifd", "info_assessed"]),
                   st.just([]), st.just({}), st.just([{}]), st.just(["x"]))
SETTINGS = settings(max_examples=examples(100, 250), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, prefix + (key,))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _paths(sub, prefix + (i,))


@st.composite
def mutated(draw, bases):
    record = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(record) if p]
        path = draw(st.sampled_from(paths))
        parent = record
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["x_local", "unknown_key", "date", "id"]))] = copy.deepcopy(draw(VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(draw(VALUES))
    return record


def _agree(name: str, data: object) -> None:
    fast = fastvalidate.is_valid(name, data)
    contract = not any(True for _ in validator(name).iter_errors(data))
    assert fast == contract, (name, fast, contract)


@SETTINGS
@given(mutated(BASES))
def test_fast_path_agrees_with_jsonschema_on_mutated_responses(record):
    _agree("response-record", record)


@SETTINGS
@given(mutated([INCIDENT]))
def test_fast_path_agrees_with_jsonschema_on_mutated_incidents(row):
    _agree("incident", row)


def test_every_base_record_is_valid_on_both():
    for record in BASES:
        assert fastvalidate.is_valid("response-record", record)
        assert validate_response(record) == []


def test_a_rejected_record_gets_jsonschema_messages():
    record = copy.deepcopy(BASES[0])
    record["young_people"][0]["date_of_birth"] = "2026-02-30"
    assert not fastvalidate.is_valid("response-record", record)
    assert validate_response(record) == [("/young_people/0/date_of_birth", DATE_MESSAGE)]
    assert validate_incident({**INCIDENT, "date": "2026-02-30"}) == [("/date", DATE_MESSAGE)]


def test_jsonschema_decides_when_the_fast_path_fails(monkeypatch):
    """Whatever the compiled code does (here: raise), the verdict is jsonschema's."""
    def broken(data):
        raise RuntimeError("compiled code failed")

    monkeypatch.setattr(fastvalidate, "compiled", lambda name, vocabularies=None: broken)
    assert not fastvalidate.is_valid("response-record", BASES[0])
    assert validate_response(BASES[0]) == []
    assert validate_incident(INCIDENT) == []


def test_the_fast_path_uses_the_contract_format_checks(monkeypatch):
    """The compiled validator calls the same date check as jsonschema's format checker."""
    from checker import validation

    calls = []
    real = validation.FORMAT_CHECKER.checkers["date"]
    monkeypatch.setitem(validation.FORMAT_CHECKER.checkers, "date",
                        (lambda value: calls.append(value) or real[0](value), real[1]))
    fastvalidate._compiled.cache_clear()
    try:
        assert fastvalidate.is_valid("incident", INCIDENT)
        assert "2026-03-02" in calls
    finally:
        fastvalidate._compiled.cache_clear()
