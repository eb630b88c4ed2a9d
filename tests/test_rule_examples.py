"""Every rule's examples, run through the durable-rules engine and the plain-Python oracle."""
from __future__ import annotations

import datetime as dt

import pytest

from checker.api import Checker
from checker.validation import validate_response
from helpers import AS_OF, example_cases, rulebook

CASES = list(example_cases())


@pytest.fixture(scope="module")
def checkers():
    return Checker(rulebook(), "durable"), Checker(rulebook(), "python")


@pytest.mark.parametrize("case_id, rule, example, status, missing", CASES, ids=[c[0] for c in CASES])
def test_rule_example(checkers, case_id, rule, example, status, missing):
    record = example["record"]
    assert validate_response(record) == [], f"{case_id}: example record is not a valid v1 record"
    as_of = dt.date.fromisoformat(example.get("as_of", AS_OF.isoformat()))
    results = []
    for checker in checkers:
        finding = next(f for f in checker.check_record(record, as_of) if f.rule == rule.id)
        results.append(finding)
        assert finding.status == status, f"{checker.engine_name}: {finding.message}"
        if missing is not None:
            assert finding.missing == sorted(missing)
    assert results[0] == results[1]


def test_every_rule_has_passing_and_failing_examples():
    for rule in rulebook().rules:
        statuses = {c[3] for c in CASES if c[1].id == rule.id}
        assert "gap" in statuses, rule.id
        assert statuses - {"gap"}, rule.id
