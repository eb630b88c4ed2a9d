"""Compiled engines reused within a process (checker/api.py: Checker takes an idle engine for equal rules)."""
from __future__ import annotations

import gc

import pytest

from checker import api
from checker.api import Checker
from checker.engine import EngineError
from checker.facts import response_facts

from helpers import AS_OF, rulebook
from nightly_helpers import sample_records


def a_sample_record():
    return sample_records()[1]


def test_an_engine_is_reused_only_once_its_checker_is_gone():
    first = Checker(rulebook())
    engine = first._engine
    second = Checker(rulebook())
    assert second._engine is not engine   # two live checkers never share an engine
    del first
    gc.collect()
    third = Checker(rulebook())
    assert third._engine is engine        # given back, taken again
    assert third.check_record(a_sample_record(), AS_OF) == Checker(rulebook(), engine="python").check_record(
        a_sample_record(), AS_OF)


def test_other_rules_get_another_engine():
    rules = rulebook().all_rules()
    Checker(rulebook())   # collected at once: its engine is idle
    fewer = api._take_engine(rules[:-1])[0]
    assert [r.id for r in fewer.rules] == [r.id for r in rules[:-1]]
    assert fewer not in api._IDLE_ENGINES.get(tuple(rules), [])


def test_an_engine_cut_short_is_not_given_back(monkeypatch):
    checker = Checker(rulebook())
    engine = checker._engine

    def interrupted(facts):
        raise KeyboardInterrupt
    monkeypatch.setattr(engine, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checker.outcomes(response_facts(a_sample_record(), AS_OF))
    del checker
    gc.collect()
    assert all(e is not engine for idle in api._IDLE_ENGINES.values() for e in idle)


def test_an_engine_error_leaves_the_engine_reusable(monkeypatch):
    checker = Checker(rulebook())
    engine = checker._engine

    def refused(facts):
        raise EngineError("fact field 'x' is not normalised")
    monkeypatch.setattr(engine, "evaluate", refused)
    with pytest.raises(EngineError):
        checker.outcomes(response_facts(a_sample_record(), AS_OF))
    monkeypatch.undo()
    del checker
    gc.collect()
    assert any(e is engine for e in api._IDLE_ENGINES[tuple(rulebook().all_rules())])
