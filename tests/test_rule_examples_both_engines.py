"""Every rule's own examples, on durable-rules and on the plain-Python oracle: both must give the expected finding."""
from __future__ import annotations

import datetime as dt

import pytest

from checker.api import DEFAULT_RULES, Checker
from checker.rulebook import load_rulebook

RULEBOOK = load_rulebook(DEFAULT_RULES)
DEFAULT_AS_OF = dt.date(2026, 11, 27)
CASES = [(rule.id, kind, ex) for rule in RULEBOOK.rules for kind in ("pass", "fail")
         for ex in rule.raw["examples"][kind]]


@pytest.fixture(scope="module")
def checkers():
    return {name: Checker(RULEBOOK, name) for name in ("durable", "python")}


@pytest.mark.parametrize("rule_id, kind, example", CASES, ids=[f"{r}:{k}:{e['name']}" for r, k, e in CASES])
def test_example_on_both_engines(checkers, rule_id, kind, example):
    as_of = dt.date.fromisoformat(example["as_of"]) if "as_of" in example else DEFAULT_AS_OF
    expect = example.get("expect", {})
    status = expect.get("status", "met" if kind == "pass" else "gap")
    results = {}
    for name, checker in checkers.items():
        finding = next(f for f in checker.check_record(example["record"], as_of) if f.rule == rule_id)
        results[name] = (finding.status, finding.missing)
        assert finding.status == status, (name, finding.message)
        if "missing" in expect:
            assert finding.missing == sorted(expect["missing"]), name
    assert results["durable"] == results["python"]
