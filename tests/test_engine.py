"""The durable-rules adapter: one test per item of ../shared/guides/durable-rules-notes.md."""
from __future__ import annotations

import copy
import json
import threading

import pytest

from checker import engine as engine_mod
from checker.engine import EngineError, RulesEngine, fnv1a32
from checker.facts import response_facts
from checker.findings import resolve
from helpers import AS_OF, rulebook

POLICE_LESS = {
    "response_id": "R-E1", "status": "open", "identified_on": "2026-03-02", "young_people": [],
    "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-03",
                  "attendees": [{"role": "camhs"}]}],
}


def roles_rule():
    return rulebook().by_id("scoping-required-roles")


def missing_of(engine, record, rule=None):
    rule = rule or roles_rule()
    return resolve(rule, engine.evaluate(response_facts(record, AS_OF))[rule.id]).missing


@pytest.fixture(scope="module")
def engine():
    return RulesEngine([roles_rule()])


def test_own_host_starts_no_threads():
    before = threading.active_count()
    RulesEngine([roles_rule()])
    assert threading.active_count() == before


def test_actions_run_on_the_calling_thread(engine):
    assert "police" in missing_of(engine, POLICE_LESS)


def test_definitions_not_mutated_and_engines_independent():
    a, b = RulesEngine([roles_rule()]), RulesEngine([roles_rule()])
    assert a.name != b.name
    assert all("run" not in body for body in a.definition.values())
    assert missing_of(a, POLICE_LESS) == missing_of(b, POLICE_LESS)


def test_fresh_sid_per_record_and_state_deleted(engine):
    before = next(copy.copy(engine._sids))
    missing_of(engine, POLICE_LESS)
    sid = str(before)
    with pytest.raises(Exception, match="error code: 309"):  # 309: no such state: it was deleted
        engine._host.get_ruleset(engine.name).get_facts(sid)


def test_more_records_than_the_engine_has_states(engine):
    """1024 live states is the engine's limit: with each state deleted, 1100 records are fine."""
    for _ in range(1100):
        assert "police" in missing_of(engine, POLICE_LESS)


def test_negation_sees_facts_asserted_after_the_subject(engine):
    """Attendee facts come after the meeting in the batch; the none() must still see them."""
    record = copy.deepcopy(POLICE_LESS)
    record["meetings"][0]["attendees"].append({"role": "police"})
    assert "police" not in missing_of(engine, record)


def test_truncated_batch_is_detected(engine, monkeypatch):
    """A float in exponent form makes the engine drop the rest of the batch silently.

    (In the first fact of a batch it even segfaults: hence _check_fact refuses floats.)"""
    monkeypatch.setattr(engine_mod, "_check_fact", lambda fact: None)
    # orjson writes 1e-5, which the engine reads; the standard library writes 1e-05, which it drops
    monkeypatch.setattr(engine_mod, "_dump_one", lambda value: json.dumps(value, ensure_ascii=False).encode())
    facts = response_facts(POLICE_LESS, AS_OF)
    last_meeting = max(n for n, f in enumerate(facts) if f["t"] in ("meeting", "attendee", "covered"))
    facts[last_meeting]["tiny"] = 1e-05
    with pytest.raises(EngineError, match="sentinel not reached"):
        engine.evaluate(facts)
    assert "police" in missing_of(engine, POLICE_LESS)  # and the engine still works after it


def test_floats_and_nulls_are_refused_before_the_engine(engine):
    facts = response_facts(POLICE_LESS, AS_OF)
    facts[1]["score"] = 0.5
    with pytest.raises(EngineError, match="'score' is not normalised"):
        engine.evaluate(facts)


def test_too_many_properties_refused(engine):
    facts = response_facts(POLICE_LESS, AS_OF)
    facts[1].update({f"p{i}": i for i in range(engine_mod.MAX_PROPERTIES)})
    with pytest.raises(EngineError, match="properties"):
        engine.evaluate(facts)


def test_fact_ids_never_collide(engine, monkeypatch):
    monkeypatch.setattr(engine_mod, "fnv1a32", lambda text: len(text))
    assert "police" in missing_of(engine, POLICE_LESS)


def test_fnv1a32_matches_reference_values():
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_non_ascii_strings_match(engine):
    record = copy.deepcopy(POLICE_LESS)
    record["meetings"][0]["id"] = "réunion-1"
    record["meetings"][0]["attendees"].append({"role": "police"})
    assert "police" not in missing_of(engine, record)


def test_an_action_error_is_raised_not_swallowed(engine, monkeypatch):
    def broken(self, tpl):
        def act(c):
            try:
                raise RuntimeError("boom")
            except RuntimeError as exc:
                self._errors.append(exc)
        return act
    monkeypatch.setattr(RulesEngine, "_action", broken)
    with pytest.raises(EngineError, match="RuntimeError"):
        RulesEngine([roles_rule()]).evaluate(response_facts(POLICE_LESS, AS_OF))


def test_dates_reach_the_engine_as_whole_numbers():
    facts = response_facts(POLICE_LESS, AS_OF)
    response = facts[0]
    assert isinstance(response["identified_on_d"], int) and isinstance(response["identified_on_w"], int)
    assert not any(isinstance(v, str) and v[:4].isdigit() and v[4:5] == "-" for f in facts for v in f.values())


def test_one_fact_can_satisfy_two_terms_of_a_rule():
    """durable-rules binds a fact to one term per rule; the adapter gives each term its own copy.

    Here the same scoping meeting both identifies a group (a `when` term) and has no minutes
    exported (the `unknown_if` term): the outcome must be insufficient data, not a gap."""
    rule = rulebook().by_id("scoping-required-outputs")
    record = {"response_id": "R-E2", "status": "open", "identified_on": "2026-03-02", "young_people": [],
              "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-03",
                            "decisions": {"group_identified": True}}]}
    eng = RulesEngine([rule])
    assert eng.copies["meeting"] >= 2
    finding = resolve(rule, eng.evaluate(response_facts(record, AS_OF))[rule.id])
    assert finding.status == "insufficient_data"
    assert "outcome_fed_back" in finding.unknown
