"""Every rule's own examples, each a test: through the durable-rules engine AND the oracle.

Ids read as ``<rule>/<pass|fail>/<example name>``, e.g. ``scoping-required-roles/fail/police absent...``.
"""
from __future__ import annotations

import pytest

from checker.api import DEFAULT_RULES
from checker.authoring import ExampleRunner, examples_of
from checker.rulebook import load_rulebook

RULEBOOK = load_rulebook(DEFAULT_RULES)
EXAMPLES = examples_of(RULEBOOK)


@pytest.fixture(scope="module")
def runner() -> ExampleRunner:
    return ExampleRunner(RULEBOOK)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_rule_example(example, runner):
    result = runner.run(example)
    assert result.problems == []
    assert result.engine.status == result.oracle.status == result.expected
    if example.kind == "fail":
        assert result.engine.status != "met"


def test_every_rule_has_a_passing_and_a_failing_example():
    for rule in RULEBOOK.rules:
        kinds = {e.kind for e in EXAMPLES if e.rule.id == rule.id}
        assert kinds == {"pass", "fail"}, rule.id
    assert len({e.id for e in EXAMPLES}) == len(EXAMPLES), "example names must be unique within a rule"


def test_every_failing_example_that_expects_a_gap_names_what_is_missing():
    for e in EXAMPLES:
        expect = e.spec.get("expect") or {}
        if e.kind == "fail" and expect.get("status", "gap") == "gap":
            assert expect.get("missing"), e.id
