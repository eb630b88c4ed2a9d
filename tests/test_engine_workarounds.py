"""durable-rules 2.0.28 pitfalls found while encoding the chapter, and the adapter's answers.

Each raw test shows the engine's own behaviour (so an upgrade that changes it is noticed); each
compiled test shows the compiler and adapter give the right answer anyway.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from durable import engine as durable_engine

from checker.api import DEFAULT_RULES
from checker.compiler import compile_rule
from checker.engine import MAX_ALPHA_STACK, MAX_VARIANTS, RulesEngine, alpha_links, alpha_stack
from checker.facts import response_facts
from checker.findings import resolve
from checker.oracle import evaluate_rule
from checker.rulebook import load_rulebook, normalise

_names = itertools.count(1)


class _Host(durable_engine.Host):
    def _run(self):
        return None


def fire(rules: dict, facts: list[dict]) -> list[str]:
    """Names of the raw durable-rules rules that fire on one batch of facts."""
    fired: list[str] = []
    definition = {}
    for name, body in rules.items():
        definition[name] = {**body, "run": (lambda n: lambda c: fired.append(n))(name)}
    definition["zz"] = {"all": [{"s": {"t": "sentinel"}}], "run": lambda c: None}
    definition["zzc"] = {"all": [{"a": {"$ex": {"t": 1}}}, {"b": {"t": "never"}}], "run": lambda c: None}
    host, name = _Host(), f"raw{next(_names)}"
    host.set_rulesets({name: definition})
    batch = [{**f, "sid": "1", "id": f"1.{i}"} for i, f in enumerate(facts)]
    host.assert_facts(name, batch + [{"t": "sentinel", "sid": "1", "id": "1.s"}])
    host.delete_state(name, "1")
    return sorted(fired)


S = {"s": {"t": "sentinel"}}


def test_raw_comparison_after_or_is_ignored():
    x_or_first = {"x": {"$and": [{"t": "m"}, {"$or": [{"k": "a"}, {"k": "b"}]}, {"$lt": {"v": {"r": "w"}}}]}}
    x_or_last = {"x": {"$and": [{"t": "m"}, {"$lt": {"v": {"r": "w"}}}, {"$or": [{"k": "a"}, {"k": "b"}]}]}}
    r = {"r": {"$and": [{"t": "resp"}]}}
    facts = [{"t": "resp", "w": 10}, {"t": "m", "k": "b", "v": 50}]  # 50 < 10 is false
    assert fire({"or_first": {"all": [S, r, x_or_first]}, "or_last": {"all": [S, r, x_or_last]}}, facts) == ["or_first"]


def test_raw_negation_after_positive_on_same_fact_is_wrong():
    x = {"x": {"$and": [{"t": "yp"}]}}
    pos = {"w": {"$and": [{"t": "mt"}, {"mtype": "scoping"}]}}
    neg = {"n$not": {"$and": [{"t": "mt"}, {"mtype": "scoping"}, {"$gte": {"rd": {"x": "ra"}}}]}}
    facts = [{"t": "yp", "ra": 5}, {"t": "mt", "mtype": "scoping", "rd": 9}]  # a meeting with rd >= ra exists
    fired = fire({"pos_then_neg": {"all": [S, x, pos, neg]}, "neg_then_pos": {"all": [S, x, neg, pos]}}, facts)
    assert fired == ["pos_then_neg"]


def test_raw_one_alpha_node_links_to_at_most_256_rules():
    rules = {f"r{i}": {"all": [S, {"x": {"$and": [{"t": "m"}, {"v": i}]}}]} for i in range(300)}
    with pytest.raises(Exception, match="108"):
        fire(rules, [])
    assert alpha_links(rules.values()) == 300  # at the sentinel node (S in every rule), as the adapter counts


def test_compiled_patterns_put_or_last_and_negations_first():
    rulebook = load_rulebook(DEFAULT_RULES)
    for rule in rulebook.rules:
        for body, _, _ in compile_rule(rule):
            terms = body["all"]
            negated = [i for i, t in enumerate(terms) if next(iter(t)).endswith("$not")]
            positive_related = [i for i, t in enumerate(terms)
                                if next(iter(t)) not in ("s", "r", "x") and not next(iter(t)).endswith("$not")]
            assert not negated or not positive_related or max(negated) < min(positive_related), rule.id
            for t in terms[1:]:
                inner = next(iter(t.values()))["$and"]
                ors = [i for i, term in enumerate(inner) if "$or" in term]
                assert not ors or min(ors) > max(i for i, term in enumerate(inner) if "$or" not in term), rule.id


def test_all_rules_load_into_several_rulesets_and_agree_with_the_oracle():
    rulebook = load_rulebook(DEFAULT_RULES)
    engine = RulesEngine(rulebook.rules)
    total = sum(len(compile_rule(r)) for r in rulebook.rules)
    assert total > MAX_VARIANTS and len(engine.names) >= 2
    record = {"response_id": "X", "status": "open", "identified_on": "2026-03-02",
              "young_people": [{"id": "YP-1", "home_area": "A", "risk_assessment": None},
                               {"id": "YP-2", "home_area": "B", "connections": [{"to": "YP-9", "kind": "online"}]}],
              "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-03",
                            "decisions": {"full_response": "strategic_and_operational", "review_date": "2026-03-10",
                                          "group_identified": True}},
                           {"id": "m2", "type": "strategic", "date": "2026-03-05", "covered": ["scale_decided"]}],
              "cross_boundary": None, "staff_support": None}
    for as_of in (dt.date(2026, 3, 4), dt.date(2026, 3, 11), dt.date(2026, 6, 1)):
        facts = response_facts(record, as_of)
        outcomes = engine.evaluate(facts)
        for rule in rulebook.rules:
            eng, ora = resolve(rule, outcomes[rule.id]), resolve(rule, evaluate_rule(rule, facts))
            assert (eng.status, eng.missing) == (ora.status, ora.missing), (rule.id, as_of)


def test_due_once_from_an_absent_subject_may_not_refer_to_the_subject():
    rulebook = load_rulebook(DEFAULT_RULES)
    doc = {
        "id": "x-rule", "title": "A test rule", "policy": {"section": "4", "clause": "4-P1"}, "severity": "low",
        "subject": {"fact": "meeting", "label": "meeting",
                    "if_none": {"status": "gap", "code": "m",
                                "due": {"once": {"fact": "meeting", "where": {"date": {"lt": {"ref": "subject.date"}}}}}}},
        "requires": [{"code": "c", "test": {"chair_role": "police"}}],
        "examples": {"pass": [{"name": "a", "record": {}}], "fail": [{"name": "b", "record": {}}]},
    }
    from checker.errors import ConfigError
    with pytest.raises(ConfigError, match="the due of an absent subject must count from a response date"):
        normalise(doc, rulebook.parameters)


def test_raw_alpha_stack_overflows_past_64_unshared_nodes():
    """rete.c never shares an alpha node that names another fact's field, and handleAlpha pushes every
    such node under a fact's type on a stack of 64: the 65th is error 303 (events.c MAX_STACK_SIZE)."""
    def rules(n):
        return {f"r{i}": {"all": [S, {"x": {"$and": [{"t": "m"}, {"k": f"k{i}"}]}},
                                  {"y": {"$and": [{"t": "n"}, {"v": {"x": "w"}}, {"k": f"k{i}"}]}}]} for i in range(n)}
    facts = [{"t": "m", "k": "k1", "w": 2}, {"t": "n", "k": "k1", "v": 2}]
    assert fire(rules(60), facts) == ["r1"]
    with pytest.raises(Exception, match="303"):
        fire(rules(70), facts)
    # the adapter's bound, computed as rete.c builds the network, sees both
    assert alpha_stack(rules(60).values()) <= 64 < alpha_stack(rules(70).values())
    # constants first, the same tests are shared and only one reference node is reached
    reordered = {name: {"all": [S, body["all"][1], {"y": {"$and": [{"t": "n"}, {"k": f"k{i}"}, {"v": {"x": "w"}}]}}]}
                 for i, (name, body) in enumerate(rules(70).items())}
    assert fire(reordered, facts) == ["r1"] and alpha_stack(reordered.values()) < 10


def test_every_ruleset_stays_under_the_alpha_stack_and_identical_variants_are_one_rule():
    for path in (DEFAULT_RULES, DEFAULT_RULES / "versions" / "2028-03-01"):
        rulebook = load_rulebook(path)
        engine = RulesEngine(rulebook.rules)
        for definition in engine.definitions.values():
            assert alpha_stack(definition.values()) <= MAX_ALPHA_STACK
            assert alpha_links(definition.values()) <= 256
        bodies = [json.dumps(body) for rule in rulebook.rules for body, _, _ in compile_rule(rule)]
        assert len(set(bodies)) < len(bodies)  # some variants are identical...
        # ...and compiled once (each ruleset adds its sentinel and spare rules)
        assert sum(map(len, engine.definitions.values())) == len(set(bodies)) + 2 * len(engine.names)
        # the heavy fact types reach one ruleset each
        for fact_type in ("attendee", "covered", "episode", "connection"):
            assert len(engine._wanted[fact_type]) == 1, fact_type


def test_small_rulesets_give_the_same_outcomes(monkeypatch):
    """A limit below one fact-type group's size splits the group in halves over new rulesets."""
    import checker.engine as engine_mod
    rulebook = load_rulebook(DEFAULT_RULES)
    rules = [r for r in rulebook.rules if r.id in ("operational-attendees", "strategic-required-roles")]
    whole = RulesEngine(rules)
    monkeypatch.setattr(engine_mod, "MAX_VARIANTS", 12)
    small = RulesEngine(rules)
    assert len(small.names) > len(whole.names) and all(len(d) <= 12 + 2 for d in small.definitions.values())
    record = {"response_id": "X", "status": "open", "identified_on": "2026-03-02",
              "young_people": [{"id": "YP-1", "looked_after": True, "looked_after_from": "2026-01-01"}],
              "meetings": [{"id": "m1", "type": "operational", "date": "2026-03-10",
                            "attendees": [{"role": "police"}, {"role": "camhs"}]},
                           {"id": "m2", "type": "strategic", "date": "2026-03-05", "attendees": []}]}
    facts = response_facts(record, dt.date(2026, 3, 20))
    assert small.evaluate(facts) == whole.evaluate(facts) != {r.id: set() for r in rules}


def test_a_record_without_its_response_fact_is_refused():
    from checker.engine import EngineError
    engine = RulesEngine(load_rulebook(DEFAULT_RULES).rules[:3])
    with pytest.raises(EngineError, match="no response fact"):
        engine.evaluate([{"t": "meeting", "ptr": "/meetings/0"}])
