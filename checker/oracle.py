"""A plain-Python evaluation of the same normalised rules: the test oracle.

It reads the rule semantics directly (subject, requirements, due, applies)
rather than the engine's compiled patterns, so a disagreement with the
engine points at the compiler or the adapter. It is also what ``--engine
python`` runs, for comparison.
"""
from __future__ import annotations

import operator
from typing import Any, Iterable

import dataclasses

from .findings import INSUFFICIENT, MISSING, NA, PENDING, VERSION, Outcome, describe
from .ir import Condition, Due, Ref, Related, Requirement, Rule, Test, unknowable
from .workdays import from_epoch_day

_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge,
        "lt": operator.lt, "lte": operator.le}


def not_in_force_reason(rule: Rule) -> str:
    if rule.before_reason:
        return rule.before_reason
    return f"identified before the chapter came into force ({from_epoch_day(rule.in_force_from).isoformat()})"


def _value(v: Any, env: dict[str, dict]) -> Any:
    if isinstance(v, Ref):
        got = env.get(v.alias, {}).get(v.field)
        return got if got is None or not v.offset else got + v.offset
    return v


def holds(test: Test, fact: dict, env: dict[str, dict]) -> bool:
    c = test.cond
    if c.op == "ex":
        return c.field in fact
    if c.op == "nex":
        return c.field not in fact
    if c.op in ("rec", "unk"):
        return (c.field in fact or c.value in fact) == (c.op == "rec")
    if c.field not in fact:
        return False
    have = fact[c.field]
    if c.op in ("in", "nin"):
        return (have in c.value) == (c.op == "in")
    want = _value(c.value, env)
    if want is None:
        return False
    return _OPS[c.op](have, want)


def _matches(tests: Iterable[Test], fact: dict, env: dict[str, dict]) -> bool:
    return all(holds(t, fact, env) for t in tests)


def _any(related: Related, by_type: dict[str, list[dict]], env: dict[str, dict]) -> bool:
    return any(_matches(related.where, f, env) for f in by_type.get(related.fact, []))


def _condition(cond: Condition, by_type, env) -> bool:
    if cond.kind == "subject":
        return _matches(cond.tests, env["x"], env)
    if cond.kind == "response":
        return _matches(cond.tests, env["r"], env)
    found = _any(cond.related, by_type, env)
    return found if cond.kind == "exists" else not found


def _tri(cond: Condition, fact_type: str, by_type, env) -> str:
    """A ``when`` condition: "T" holds, "F" fails, "U" cannot be judged (a value it tests was not
    exported and the condition's other tests hold), as compiler.when_unknown reads it."""
    if _condition(cond, by_type, env):
        return "T"
    if cond.kind == "not_exists":
        return "F"
    tests = cond.related.where if cond.related is not None else cond.tests
    facts = ([env["x"]] if cond.kind == "subject" else [env["r"]] if cond.kind == "response"
             else by_type.get(cond.related.fact, []))
    fact_type = cond.related.fact if cond.related is not None else fact_type
    for t in tests:
        if not unknowable(t, fact_type):
            continue
        for f in facts:
            if t.primary not in f and t.null not in f and all(holds(o, f, env) for o in tests if o is not t):
                return "U"
    return "F"


def _met_anyway(req: Requirement, x: dict, by_type, env) -> bool:
    if any(n not in x for n in req.needs):
        return False
    if req.test is not None:
        return req.test.primary in x and holds(req.test, x, env)
    return _any(req.exists, by_type, env)


def _due(rule: Rule, due: Due | None, env, code: str, ptr: str, by_type) -> Outcome:
    r = env["r"]
    if due is not None and due.kind == "after_closure":
        if r["status"] != "closed":
            return Outcome(rule.id, PENDING, code, ptr)
        if due.field not in r:
            return Outcome(rule.id, INSUFFICIENT, code, ptr)
        return Outcome(rule.id, MISSING if r["as_of_w"] > r[due.field] + due.days else PENDING, code, ptr)
    if due is None or r["status"] == "closed":
        return Outcome(rule.id, MISSING, code, ptr)
    if due.kind == "at_closure":
        return Outcome(rule.id, PENDING, code, ptr)
    if due.kind == "once":
        return Outcome(rule.id, MISSING if _any(due.related, by_type, env) else PENDING, code, ptr)
    start = env[due.alias]
    if due.field not in start:
        return Outcome(rule.id, INSUFFICIENT, code, ptr)
    if r["as_of_w"] > start[due.field] + due.days:
        return Outcome(rule.id, MISSING, code, ptr)
    return Outcome(rule.id, PENDING, code, ptr)


def _applies(rule: Rule, by_type, env) -> list[Outcome]:
    r = env["r"]
    out = []
    day = r["identified_on_d"]
    if rule.has_before and day < rule.in_force_from and (rule.before_from is None or day >= rule.before_from):
        out.append(Outcome(rule.id, NA, reason=not_in_force_reason(rule)))
    if rule.after_reason and rule.valid_to is not None and day >= rule.valid_to:
        out.append(Outcome(rule.id, NA, reason=rule.after_reason))
    for cond in rule.applies:
        if cond.kind == "response":
            for t in cond.tests:
                if t.cond.op not in ("ex", "nex", "rec", "unk") and t.primary not in r and t.null not in r:
                    out.append(Outcome(rule.id, INSUFFICIENT, t.name, ""))
                elif not holds(t, r, env):
                    out.append(Outcome(rule.id, NA, reason=rule.applies_reason))
        elif not _condition(cond, by_type, env):
            out.append(Outcome(rule.id, NA, reason=rule.applies_reason))
    return out


def _requirement(rule: Rule, req: Requirement, x: dict, by_type, env) -> list[Outcome]:
    code = req.code if req.code is not None else str(x.get(req.code_field, ""))
    ptr = x["ptr"] + req.evidence
    if req.unknown_if is not None and _any(req.unknown_if, by_type, env):
        unmet = Outcome(rule.id, INSUFFICIENT, code, ptr)
    else:
        unmet = None
    out = [Outcome(rule.id, INSUFFICIENT, code, ptr) for n in req.needs if n not in x]
    needs_ok = not out
    if req.test is not None:
        t = req.test
        if t.null in x:
            out.append(unmet or _due(rule, req.due, env, code, ptr, by_type))
        if t.primary in x and needs_ok and not holds(t, x, env):
            out.append(unmet or _due(rule, req.due, env, code, ptr, by_type))
        if t.primary not in x and t.null not in x:
            out.append(Outcome(rule.id, INSUFFICIENT, code, ptr))
    elif needs_ok and not _any(req.exists, by_type, env):
        out.append(unmet or _due(rule, req.due, env, code, ptr, by_type))
    return out


def evaluate_rule(rule: Rule, facts: list[dict]) -> set[Outcome]:
    by_type: dict[str, list[dict]] = {}
    for f in facts:
        by_type.setdefault(f["t"], []).append(f)
    r = by_type["response"][0]
    env: dict[str, dict] = {"r": r}
    outcomes = set(_applies(rule, by_type, env))
    if rule.windows > 1:  # one of several versions: judged only where in force, and says so
        day = r["identified_on_d"]
        if day < rule.in_force_from or (rule.valid_to is not None and day >= rule.valid_to):
            return {o for o in outcomes if o.kind == NA and o.reason in (not_in_force_reason(rule), rule.after_reason)}
        outcomes = {o for o in outcomes if not (o.kind == NA and o.reason in (not_in_force_reason(rule), rule.after_reason))}
        outcomes.add(Outcome(rule.id, VERSION, str(rule.window)))
    if rule.subject_fact == "response":
        subjects = [r]
    else:
        subjects = [f for f in by_type.get(rule.subject_fact, []) if _matches(rule.subject_where, f, env)]
    if not subjects:
        inone = rule.if_none
        code = inone.code or ""
        if inone.unknown_unless and inone.unknown_unless not in r:
            outcomes.add(Outcome(rule.id, INSUFFICIENT, code or inone.unknown_unless, inone.evidence))
        elif inone.status == "gap":
            outcomes.add(_due(rule, rule.due, env, code, inone.evidence, by_type))
        elif inone.status == "not_applicable":
            outcomes.add(Outcome(rule.id, NA, reason=inone.reason))
        else:
            outcomes.add(Outcome(rule.id, INSUFFICIENT, code, inone.evidence))
    for x in subjects:
        env = {"r": r, "x": x}
        for req in rule.requires:
            tri = [_tri(c, rule.subject_fact, by_type, env) for c in req.when]
            detail = describe(x, r)
            if all(v == "T" for v in tri):
                outcomes.update(dataclasses.replace(o, detail=detail) for o in _requirement(rule, req, x, by_type, env))
            elif tri.count("U") >= 1 and all(v != "F" for v in tri) and tri.count("U") == 1 \
                    and not _met_anyway(req, x, by_type, env):
                code = req.code if req.code is not None else str(x.get(req.code_field, ""))
                outcomes.add(Outcome(rule.id, INSUFFICIENT, code, x["ptr"] + req.evidence, detail=detail))
    return outcomes


def evaluate(rules: Iterable[Rule], facts: list[dict]) -> dict[str, set[Outcome]]:
    out: dict[str, set[Outcome]] = {}
    for rule in rules:  # several versions of one rule: each judges only where it is in force
        out.setdefault(rule.id, set()).update(evaluate_rule(rule, facts))
    return out
