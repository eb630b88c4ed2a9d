"""Compiling normalised rules into durable-rules patterns.

Each rule becomes several engine rules ("variants"), one per way it can
conclude: not applicable, missing (a gap, or pending when not yet due),
insufficient data. Every variant starts with the response pattern, the
sentinel term (see engine.py); its action only records an ``Outcome``. The engine decides which
variants fire; Python decides nothing here but the shape of the patterns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .findings import INSUFFICIENT, MISSING, NA, PENDING, VERSION
from .ir import Cond, Due, Ref, Related, Requirement, Rule, Test, unknowable
from .oracle import not_in_force_reason

_OPS = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "eq": "$eq"}


@dataclass(frozen=True)
class Template:
    """What a variant's action records: everything but the subject's pointer and code field."""
    rule: str
    kind: str
    code: str
    code_field: str | None
    ptr: str            # absolute pointer, or a suffix to the subject's pointer
    relative: bool
    reason: str = ""


class Pattern:
    def __init__(self, alias: str, fact: str, negated: bool = False):
        self.alias, self.fact, self.negated = alias, fact, negated
        self.terms: list[dict] = []

    def add(self, *terms: dict) -> "Pattern":
        self.terms.extend(terms)
        return self

    def copy(self) -> "Pattern":
        p = Pattern(self.alias, self.fact, self.negated)
        p.terms = list(self.terms)
        return p

    def define(self, copy_no: int = 0) -> dict:
        # durable-rules 2.0.28 ignores a comparison with another fact's field that comes
        # after an "$or" in the same pattern (measured: tests/test_engine_workarounds.py):
        # every "$or" goes last (a stable sort keeps the rest in order).
        # A term given twice (e.g. ``$ex`` from the needs and again from _guard_refs) is given once:
        # a conjunction means the same, and the engine has one alpha node less to walk.
        # Tests of the fact's own fields against constants come first (a stable sort: the rest keep
        # their order). durable-rules shares an alpha node only between equal constant tests: a test
        # naming another fact or ``$m`` is a new node every time, and so is all that follows it, and
        # every such node is pushed on a 64-entry stack for each fact of the type. Constant tests
        # first are shared and filter first; they add nothing to the beta node's expressions, so
        # the join is the same.
        terms = sorted(_unique(self.terms), key=lambda t: 2 if "$or" in t else (0 if _constant(t) else 1))
        return {"$and": [{"t": fact_type_name(self.fact, copy_no)}, *terms]}

    def contradicts(self) -> bool:
        """A positive pattern that asks for a field both present and absent can match no fact."""
        if self.negated:
            return False
        present = {f for t in self.terms if len(t) == 1 and "$ex" in t for f in t["$ex"]}
        absent = {f for t in self.terms if len(t) == 1 and "$nex" in t for f in t["$nex"]}
        return not present.isdisjoint(absent)


_ALPHA_OPS = frozenset({"$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex"})


def _constant(term: dict) -> bool:
    """A test of one field of the fact itself against a constant (an alpha node, nothing for the join)."""
    if len(term) != 1:
        return False
    (key, value), = term.items()
    if key in _ALPHA_OPS:
        if not isinstance(value, dict) or len(value) != 1:
            return False
        value = next(iter(value.values()))
    elif key.startswith("$"):
        return False
    return isinstance(value, (str, int, bool)) and not isinstance(value, dict)


def _unique(terms: list[dict]) -> list[dict]:
    """The terms, each once."""
    seen: set[str] = set()
    out: list[dict] = []
    for t in terms:
        key = repr(t)  # not ==: True == 1 in Python, not in a pattern
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def fact_type_name(fact: str, copy_no: int) -> str:
    """durable-rules binds a fact to at most one term of a rule, so the k-th term over the same
    fact type in one rule matches the k-th copy of those facts (see engine.py)."""
    return fact if copy_no == 0 else f"{fact}~{copy_no}"


def _operand(value: Any, own: str) -> Any:
    if not isinstance(value, Ref):
        return value
    base = {"$m": value.field} if value.alias == own else {value.alias: value.field}
    if value.offset == 0:
        return base
    return {"$add": {"$l": base, "$r": value.offset}}


def cond_json(c: Cond, own: str) -> dict:
    if c.op == "ex":
        return {"$ex": {c.field: 1}}
    if c.op == "nex":
        return {"$nex": {c.field: 1}}
    if c.op == "rec":
        return {"$or": [{"$ex": {c.field: 1}}, {"$ex": {c.value: 1}}]}
    if c.op == "unk":
        return {"$and": [{"$nex": {c.field: 1}}, {"$nex": {c.value: 1}}]}
    if c.op == "in":
        return {"$or": [{c.field: v} for v in c.value]} if len(c.value) > 1 else {c.field: c.value[0]}
    if c.op == "nin":
        return {"$and": [{"$ex": {c.field: 1}}, *({"$neq": {c.field: v}} for v in c.value)]}
    operand = _operand(c.value, own)
    if c.op == "eq":
        return {c.field: operand}
    term = {_OPS[c.op]: {c.field: operand}}
    if c.op == "ne":
        return {"$and": [{"$ex": {c.field: 1}}, term]}
    return term


def test_json(t: Test, own: str) -> dict:
    return cond_json(t.cond, own)


def _ex(field: str) -> dict:
    return {"$ex": {field: 1}}


def _nex(field: str) -> dict:
    return {"$nex": {field: 1}}


class _Compiler:
    def __init__(self, rule: Rule):
        self.rule = rule
        self.variants: list[tuple[list[Pattern], Template]] = []
        self.subject_alias = "r" if rule.subject_fact == "response" else "x"

    def emit(self, patterns: list[Pattern], kind: str, code: str = "", code_field: str | None = None,
             ptr: str = "", relative: bool = False, reason: str = "") -> None:
        self.variants.append(([p.copy() for p in patterns],
                              Template(self.rule.id, kind, code, code_field, ptr, relative, reason)))

    def response(self) -> Pattern:
        return Pattern("r", "response")

    def related(self, related: Related, alias: str, negated: bool) -> Pattern:
        p = Pattern(alias, related.fact, negated)
        return p.add(*(test_json(t, alias) for t in related.where))

    # -- applicability ------------------------------------------------------
    def applies(self) -> None:
        rule = self.rule
        if rule.has_before:
            before = self.response().add({"$lt": {"identified_on_d": rule.in_force_from}})
            if rule.before_from is not None:
                before.add({"$gte": {"identified_on_d": rule.before_from}})
            self.emit([before], NA, reason=not_in_force_reason(rule))
        if rule.after_reason and rule.valid_to is not None:
            self.emit([self.response().add({"$gte": {"identified_on_d": rule.valid_to}})], NA,
                      reason=rule.after_reason)
        self.dating = len(self.variants)  # the variants so far say where the rule is not in force
        if rule.windows > 1:
            # one of several versions of the rule: its variants below match only a response identified
            # while it is in force (see compile), and this one says which version judged it
            self.emit([self.response()], VERSION, code=str(rule.window))
        for i, cond in enumerate(rule.applies):
            if cond.kind == "response":
                for t in cond.tests:
                    if t.cond.op in ("ex", "nex", "rec", "unk"):
                        self.emit([self.response().add(test_json(Test(t.name, t.primary, t.null, t.cond.negated()), "r"))],
                                  NA, reason=rule.applies_reason)
                        continue
                    self.emit([self.response().add(_nex(t.primary), _nex(t.null))], INSUFFICIENT, t.name)
                    self.emit([self.response().add(_ex(t.null))], NA, reason=rule.applies_reason)
                    self.emit([self.response().add(_ex(t.primary), cond_json(t.cond.negated(), "r"))],
                              NA, reason=rule.applies_reason)
            else:
                neg = cond.kind == "exists"
                self.emit([self.response(), self.related(cond.related, f"a{i}", neg)], NA,
                          reason=rule.applies_reason)

    # -- due: split a "missing" into gap / pending / unknown ----------------
    def with_due(self, patterns: list[Pattern], due: Due | None, **template: Any) -> None:
        r = patterns[0]
        if due is None:
            self.emit(patterns, MISSING, **template)
            return
        if due.kind == "after_closure":
            closed = r.copy().add({"status": "closed"})
            over = {"$gt": {"as_of_w": {"$add": {"$l": {"$m": due.field}, "$r": due.days}}}}
            not_over = {"$lte": {"as_of_w": {"$add": {"$l": {"$m": due.field}, "$r": due.days}}}}
            self.emit([closed.copy().add(_ex(due.field), over), *patterns[1:]], MISSING, **template)
            self.emit([closed.copy().add(_ex(due.field), not_over), *patterns[1:]], PENDING, **template)
            self.emit([closed.copy().add(_nex(due.field)), *patterns[1:]], INSUFFICIENT, **template)
            self.emit([r.copy().add({"status": "open"}), *patterns[1:]], PENDING, **template)
            return
        closed = [r.copy().add({"status": "closed"}), *patterns[1:]]
        self.emit(closed, MISSING, **template)
        if due.kind == "at_closure":
            self.emit([r.copy().add({"status": "open"}), *patterns[1:]], PENDING, **template)
            return
        if due.kind == "once":
            opened = [r.copy().add({"status": "open"}), *patterns[1:]]
            self.emit([*opened, self.related(due.related, "d", negated=False)], MISSING, **template)
            self.emit([*opened, self.related(due.related, "d", negated=True)], PENDING, **template)
            return
        idx = next(i for i, p in enumerate(patterns) if p.alias == due.alias)
        rest = patterns[:]
        rest[0] = r.copy().add({"status": "open"})
        start = rest[idx]
        if due.alias == "r":
            over = {"$gt": {"as_of_w": {"$add": {"$l": {"$m": due.field}, "$r": due.days}}}}
            not_over = {"$lte": {"as_of_w": {"$add": {"$l": {"$m": due.field}, "$r": due.days}}}}
        else:
            over = {"$lt": {due.field: {"$add": {"$l": {"r": "as_of_w"}, "$r": -due.days}}}}
            not_over = {"$gte": {due.field: {"$add": {"$l": {"r": "as_of_w"}, "$r": -due.days}}}}
        for term, kind in ((over, MISSING), (not_over, PENDING)):
            variant = rest[:]
            variant[idx] = start.copy().add(_ex(due.field), term)
            self.emit(variant, kind, **template)
        unknown = rest[:]
        unknown[idx] = start.copy().add(_nex(due.presence))
        self.emit(unknown, INSUFFICIENT, **template)

    # -- the subject and its requirements -----------------------------------
    def subject_pattern(self) -> Pattern:
        rule = self.rule
        return Pattern("x", rule.subject_fact).add(*(test_json(t, "x") for t in rule.subject_where))

    def no_subject(self) -> None:
        rule = self.rule
        inone = rule.if_none
        absent = Pattern("x", rule.subject_fact, negated=True).add(*(test_json(t, "x") for t in rule.subject_where))
        code = inone.code or ""
        base = self.response()
        if inone.unknown_unless:
            self.emit([self.response().add(_nex(inone.unknown_unless)), absent], INSUFFICIENT,
                      code or inone.unknown_unless, ptr=inone.evidence)
            base = base.add(_ex(inone.unknown_unless))
        if inone.status == "gap":
            self.with_due([base, absent], rule.due, code=code, ptr=inone.evidence)
        elif inone.status == "not_applicable":
            self.emit([base, absent], NA, reason=inone.reason)
        else:
            self.emit([base, absent], INSUFFICIENT, code, ptr=inone.evidence)

    def _when(self, req: Requirement, skip: int | None = None) -> tuple[Pattern, Pattern, list[Pattern]]:
        """The response and subject patterns and the related patterns of ``req.when`` (but ``skip``)."""
        sa = self.subject_alias
        r = self.response()
        x = r if sa == "r" else self.subject_pattern()
        extra: list[Pattern] = []
        for i, cond in enumerate(req.when):
            if i == skip:
                continue
            if cond.kind == "subject":
                x.add(*(test_json(t, sa) for t in cond.tests))
            elif cond.kind == "response":
                r.add(*(test_json(t, "r") for t in cond.tests))
            else:
                extra.append(self.related(cond.related, f"w{i}", cond.kind == "not_exists"))
        return r, x, extra

    def when_unknown(self, req: Requirement, tpl: dict) -> None:
        """Insufficient data where one ``when`` condition cannot be judged (a field it tests was not
        exported) and the others hold, unless the requirement is met anyway: unknown is never met."""
        sa = self.subject_alias
        for i, cond in enumerate(req.when):
            tests = cond.related.where if cond.related is not None else cond.tests
            for t in tests:
                if not unknowable(t, cond.related.fact if cond.related is not None else self.rule.subject_fact):
                    continue
                others = [test_json(o, "k") for o in tests if o is not t]
                r, x, extra = self._when(req, skip=i)
                unknown = (_nex(t.primary), _nex(t.null))
                if cond.kind == "subject":
                    x.add(*unknown, *(test_json(o, sa) for o in tests if o is not t))
                elif cond.kind == "response":
                    r.add(*unknown, *(test_json(o, "r") for o in tests if o is not t))
                elif cond.kind == "exists":
                    extra.append(self.related(cond.related, f"w{i}", negated=True))
                    extra.append(Pattern(f"k{i}", cond.related.fact).add(*unknown, *others))
                else:
                    continue
                head = [r] if sa == "r" else [r, x]
                needs_ok = [_ex(n) for n in req.needs]
                unmet: list[list[dict]] = [[_nex(n)] for n in req.needs]
                negated: list[Pattern] = []
                if req.test is not None:
                    unmet.append([_nex(req.test.primary)])
                    unmet.append([_ex(req.test.primary), *needs_ok, cond_json(req.test.cond.negated(), sa)])
                else:
                    negated = [self.related(req.exists, f"n{req.index}", negated=True)]
                for terms in unmet:
                    s = head[-1].copy().add(*terms)
                    self.emit([*head[:-1], s, *extra], INSUFFICIENT, **tpl)
                if negated:
                    s = head[-1].copy().add(*needs_ok)
                    self.emit([*head[:-1], s, *extra, *negated], INSUFFICIENT, **tpl)

    def requirement(self, req: Requirement) -> None:
        sa = self.subject_alias
        r, x, extra = self._when(req)
        head = [r] if sa == "r" else [r, x]
        tpl = dict(code=req.code or "", code_field=req.code_field, ptr=req.evidence, relative=True)

        def with_subject(*terms: dict) -> list[Pattern]:
            s = head[-1].copy().add(*terms)
            return [*head[:-1], s, *extra]

        def unmet(patterns: list[Pattern]) -> None:
            if req.unknown_if is None:
                self.with_due(patterns, req.due, **tpl)
                return
            self.emit([*patterns, self.related(req.unknown_if, "u", negated=False)], INSUFFICIENT, **tpl)
            self.with_due([*patterns, self.related(req.unknown_if, "u", negated=True)], req.due, **tpl)

        for need in req.needs:
            self.emit(with_subject(_nex(need)), INSUFFICIENT, **tpl)
        needs_ok = [_ex(n) for n in req.needs]
        if req.test is not None:
            t = req.test
            unmet(with_subject(_ex(t.null)))
            if t.cond.op != "ex":
                unmet(with_subject(_ex(t.primary), *needs_ok, cond_json(t.cond.negated(), sa)))
            self.emit(with_subject(_nex(t.primary), _nex(t.null)), INSUFFICIENT, **tpl)
        else:
            absent = self.related(req.exists, f"n{req.index}", negated=True)
            unmet([*with_subject(*needs_ok), absent])
        self.when_unknown(req, tpl)

    def compile(self) -> list[tuple[list[Pattern], Template]]:
        self.applies()
        if self.rule.subject_fact != "response":
            self.no_subject()
        for req in self.rule.requires:
            self.requirement(req)
        if self.rule.windows > 1:  # effective dating as patterns: in force on the identification date
            window = [{"$gte": {"identified_on_d": self.rule.in_force_from}}]
            if self.rule.valid_to is not None:
                window.append({"$lt": {"identified_on_d": self.rule.valid_to}})
            for patterns, _ in self.variants[self.dating:]:
                heads = [p for p in patterns if p.alias == "r" and p.fact == "response" and not p.negated]
                if not heads:  # pragma: no cover - every variant reads the response
                    patterns.insert(0, self.response())
                    heads = patterns[:1]
                for p in heads:
                    p.add(*window)
        return self.variants


def _ordered(patterns: list[Pattern]) -> list[Pattern]:
    """The response and the subject first, then negations, then other related facts.

    durable-rules 2.0.28 gets a negation wrong when a positive pattern matching the same
    fact comes before it (measured: tests/test_engine_workarounds.py). Related patterns
    refer only to the response and the subject, so this order means the same.
    """
    head = [p for p in patterns if p.alias == "r"] + [p for p in patterns if p.alias == "x"]
    rest = [p for p in patterns if p.alias not in ("r", "x")]
    return head + [p for p in rest if p.negated] + [p for p in rest if not p.negated]


def _ref_fields(obj: Any, own: str) -> set[tuple[str, str]]:
    """The (alias, field) pairs a pattern term reads from the response, the subject or itself."""
    if isinstance(obj, dict):
        if len(obj) == 1:
            (key, value), = obj.items()
            if key in ("r", "x") and isinstance(value, str):
                return {(key, value)}
            if key == "$m" and isinstance(value, str):
                return {(own, value)}
        return set().union(*(_ref_fields(v, own) for v in obj.values())) if obj else set()
    if isinstance(obj, list):
        return set().union(*(_ref_fields(v, own) for v in obj)) if obj else set()
    return set()


def _guard_refs(patterns: list[Pattern]) -> list[list[Pattern]]:
    """Split a variant on every field it reads from another term: present, or absent.

    durable-rules 2.0.28 fails the whole batch (error 311) when a term compares with a
    property the referenced fact does not have. The oracle reads such a comparison as
    false: so where the field is absent, a positive term reading it cannot match (the
    variant is dropped) and a negated one is trivially true (the term is dropped).
    """
    refs = sorted({ref for p in patterns for t in p.terms for ref in _ref_fields(t, p.alias)})
    variants = [patterns]
    for alias, fname in refs:
        split = []
        for pats in variants:
            split.append([p.copy().add(_ex(fname)) if p.alias == alias and not p.negated else p for p in pats])
            absent: list[Pattern] | None = []
            for p in pats:
                reads = any((alias, fname) in _ref_fields(t, p.alias) for t in p.terms)
                if reads and not p.negated:
                    absent = None
                    break
                if reads:
                    continue
                absent.append(p.copy().add(_nex(fname)) if p.alias == alias and not p.negated else p)
            if absent is not None:
                split.append(absent)
        variants = split
    return variants


SENTINEL = "response"  # the fact every rule starts with, asserted last (see engine.py)


def _response_first(patterns: list[Pattern]) -> list[Pattern]:
    """The variant with its response pattern first, made if it has none.

    Every record has exactly one response fact (facts.response_facts), and the engine asserts it
    last: it is the sentinel (see engine.py). A response pattern that tests nothing matches it once,
    so adding one changes no outcome; putting it first means no beta frame exists, and so no
    negation is decided, before every other fact of the record is in."""
    rs = [p for p in patterns if p.alias == "r" and p.fact == SENTINEL and not p.negated]
    if not rs:
        return [Pattern("r", SENTINEL), *patterns]
    return [rs[0], *(p for p in patterns if p is not rs[0])]


def compile_rule(rule: Rule) -> list[tuple[dict, Template, dict[str, int]]]:
    """The durable-rules definitions (without ``run``) of one rule, each with what its action
    records and how many copies of each fact type it reads."""
    out = []
    compiled = _Compiler(rule).compile()
    for patterns, template in ((g, t) for pats, t in compiled for g in _guard_refs(pats)):
        if any(p.contradicts() for p in patterns):
            # e.g. _guard_refs' "field absent" branch of a variant whose needs ask for that field:
            # it can never fire, and costs the engine a beta chain in every record's state
            continue
        terms = []
        uses: dict[str, int] = {}
        for p in _ordered(_response_first(patterns)):
            key = f"{p.alias}$not" if p.negated else p.alias
            terms.append({key: p.define(uses.get(p.fact, 0))})
            uses[p.fact] = uses.get(p.fact, 0) + 1
        out.append(({"all": terms}, template, uses))
    return out
