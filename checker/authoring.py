"""Author tooling for the rules: coverage of the chapter, example runs, one rule shown, lint.

The library behind ``shg-check rules ...``. It answers the first question a
partnership asks of the tool, "does it say what our chapter says?", with
coverage: every clause of ``policy/chapter.yaml`` is classified, every
obligation has a rule (or is recorded as not checkable, with a reason), and
every rule proves itself on its own passing and failing examples, through the
durable-rules engine AND the plain-Python oracle.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable


from .engine import EngineError, RulesEngine
from .errors import ConfigError
from .facts import response_facts
from .findings import Finding, resolve_versions
from .ir import Rule
from .oracle import evaluate as oracle_evaluate
from .policy import Clause, Policy
from .rulebook import Rulebook, expand_codes, load_rulebook, read_rule_file, rule_files, rule_validator, schema_problems
from .validation import validate_response
from .vocab import AGENCIES, ITEMS, ROLES

EXAMPLE_AS_OF = dt.date(2026, 12, 31)
KINDS = ("definition", "obligation", "guidance", "not_checkable")
MEETING_TYPES = {"scoping", "strategic", "operational", "final"}
# Fields whose values are codes of the exchange format's vocabularies (section 3).
CODE_FIELDS: dict[str, tuple[str, set[str]]] = {
    "role": ("role", set(ROLES)), "chair_role": ("role", set(ROLES)),
    "item": ("item", set(ITEMS)),
    "agency": ("agency", set(AGENCIES)), "risk_agency": ("agency", set(AGENCIES)),
    "referring_agency": ("agency", set(AGENCIES)),
    "mtype": ("meeting type", MEETING_TYPES),
}


def cited(rule: Rule) -> list[str]:
    return [rule.clause, *rule.also]


# A clause's strength, from the chapter's own words (policy/chapter.yaml ``strength``), and the
# rule strength that may check it: a may / indicative / definition clause only yields advice.
CLAUSE_STRENGTHS = ("must", "should", "may", "indicative", "definition", "none")
RULE_STRENGTH_FOR = {"must": {"must"}, "should": {"should"}, "may": {"may"}, "indicative": {"may"},
                     "definition": {"may"}, "none": {"may"}}


def unmet_status(rule: Rule) -> str:
    """What an unmet requirement of ``rule`` is reported as: a gap, or advice for a 'may' rule."""
    return "advisory" if rule.strength == "may" else "gap"


def strength_problem(rule_id: str, rule_strength: str, clause: Clause | None) -> str:
    if clause is None or not clause.strength:
        return ""
    allowed = RULE_STRENGTH_FOR.get(clause.strength, set())
    if rule_strength not in allowed:
        return (f"rule {rule_id} has strength {rule_strength} but its clause {clause.id} is worded "
                f"'{clause.strength}' (allowed: {', '.join(sorted(allowed)) or 'none'})")
    return ""


# -- coverage -----------------------------------------------------------------
@dataclass
class ClauseCoverage:
    clause: Clause
    rules: list[str] = field(default_factory=list)
    examples: int = 0

    @property
    def problem(self) -> str:
        c = self.clause
        if c.kind not in KINDS:
            return f"{c.id}: kind {c.kind!r} is not one of {', '.join(KINDS)}"
        if c.kind == "obligation" and not self.rules:
            return f"{c.id}: obligation with no rule (write one, or record it as not_checkable with a reason)"
        if c.kind == "not_checkable" and not c.reason.strip():
            return f"{c.id}: not_checkable needs a reason (why it cannot be checked from records)"
        if c.strength and c.strength not in CLAUSE_STRENGTHS:
            return f"{c.id}: strength {c.strength!r} is not one of {', '.join(CLAUSE_STRENGTHS)}"
        return ""


def coverage(rulebook: Rulebook, policy: Policy) -> list[ClauseCoverage]:
    rows = {cid: ClauseCoverage(c) for cid, c in policy.clauses.items()}
    for rule in rulebook.rules:
        n = len(rule.raw["examples"]["pass"]) + len(rule.raw["examples"]["fail"])
        for cid in cited(rule):
            if cid in rows and rule.id not in rows[cid].rules:
                rows[cid].rules.append(rule.id)
                rows[cid].examples += n
    return list(rows.values())


def render_coverage(rows: list[ClauseCoverage], policy: Policy) -> str:
    meta = policy.meta
    lines = [f"Chapter: {meta.get('title', '?')} (added {meta.get('added', '?')}, "
             f"next review {meta.get('next_review', '?')})", ""]
    for row in rows:
        c = row.clause
        if row.rules:
            what = f"{', '.join(row.rules)} ({row.examples} examples)"
        elif c.kind == "not_checkable":
            what = f"not checkable: {c.reason}" if c.reason else "not checkable: NO REASON GIVEN"
        elif c.kind == "obligation":
            what = "NOT COVERED"
        else:
            what = "-"
        lines.append(f"{c.id:<11} {c.kind:<13} {c.strength or '-':<10} {what}")
    by_kind = {k: sum(1 for r in rows if r.clause.kind == k) for k in KINDS}
    obligations = [r for r in rows if r.clause.kind == "obligation"]
    covered = sum(1 for r in obligations if r.rules)
    problems = [r.problem for r in rows if r.problem]
    by_strength = {k: sum(1 for r in rows if r.clause.strength == k) for k in CLAUSE_STRENGTHS}
    lines += ["", f"{len(rows)} clauses: " + ", ".join(f"{v} {k}" for k, v in by_kind.items()),
              "Strength (the chapter's words): " + ", ".join(f"{v} {k}" for k, v in by_strength.items() if v)
              + "; may / indicative / definition clauses give advisory findings, never gaps",
              f"Obligations covered by a rule: {covered} of {len(obligations)}"]
    if problems:
        lines += ["", "Problems:"] + [f"  {p}" for p in problems]
    else:
        lines.append("Every obligation is covered by a rule.")
    return "\n".join(lines) + "\n"


# -- examples -------------------------------------------------------------------
@dataclass
class ExampleResult:
    rule: str
    kind: str           # pass | fail
    name: str
    expected: str
    expected_missing: list[str] | None
    engine: Finding | None = None
    oracle: Finding | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.kind}/{self.name}"

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Example:
    rule: Rule
    kind: str
    index: int
    spec: dict

    @property
    def id(self) -> str:
        return f"{self.rule.id}/{self.kind}/{self.spec['name']}"


def examples_of(rulebook: Rulebook, rule_ids: Iterable[str] | None = None) -> list[Example]:
    wanted = set(rule_ids) if rule_ids else None
    out = []
    for head in rulebook.rules:
        if wanted is not None and head.id not in wanted:
            continue
        seen: set[str] = set()
        for rule in rulebook.versions_of(head.id):  # each rule file's examples once (a dated rule has several)
            if rule.source in seen:
                continue
            seen.add(rule.source)
            for kind in ("pass", "fail"):
                for i, spec in enumerate(rule.raw["examples"][kind]):
                    out.append(Example(rule, kind, i, spec))
    return out


def _as_of(spec: dict) -> dt.date:
    value = spec.get("as_of")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if value else EXAMPLE_AS_OF


def _describe(f: Finding) -> str:
    extra = f" missing {f.missing}" if f.missing else ""
    return f"{f.status}{extra}"


class ExampleRunner:
    """Runs examples through one durable-rules engine and the oracle."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self.engine = RulesEngine(rulebook.all_rules())

    def run(self, ex: Example) -> ExampleResult:
        spec = ex.spec
        expect = spec.get("expect") or {}
        expected = expect.get("status", "met" if ex.kind == "pass" else unmet_status(ex.rule))
        result = ExampleResult(ex.rule.id, ex.kind, spec["name"], expected, expect.get("missing"))
        record = spec["record"]
        invalid = validate_response(record)
        if invalid:
            result.problems += [f"example record invalid at {p or '/'}: {m}" for p, m in invalid]
            return result
        try:
            facts = response_facts(record, _as_of(spec))
            # every version of the rule: the one in force on the example's identification date judges it
            versions = self.rulebook.versions_of(ex.rule.id)
            result.engine = resolve_versions(versions, self.engine.evaluate(facts)[ex.rule.id])
            result.oracle = resolve_versions(versions, oracle_evaluate(versions, facts)[ex.rule.id])
        except (EngineError, ValueError, KeyError, TypeError) as exc:
            result.problems.append(f"could not be evaluated ({type(exc).__name__})")
            return result
        for who, f in (("engine", result.engine), ("oracle", result.oracle)):
            if f.status != expected:
                result.problems.append(f"{who}: expected {expected}, got {_describe(f)}")
            elif result.expected_missing is not None and sorted(result.expected_missing) != f.missing:
                result.problems.append(f"{who}: expected missing {sorted(result.expected_missing)}, got {f.missing}")
        if (result.engine.status, result.engine.missing) != (result.oracle.status, result.oracle.missing):
            result.problems.append(f"engine and oracle disagree: engine {_describe(result.engine)}, "
                                   f"oracle {_describe(result.oracle)}")
        if ex.kind == "fail" and expected == "met":
            result.problems.append("a failing example must not expect met")
        return result


def run_examples(rulebook: Rulebook, rule_ids: Iterable[str] | None = None) -> list[ExampleResult]:
    runner = ExampleRunner(rulebook)
    return [runner.run(ex) for ex in examples_of(rulebook, rule_ids)]


def render_test(results: list[ExampleResult], verbose: bool = False) -> str:
    lines = []
    for r in results:
        if r.ok:
            if verbose:
                lines.append(f"ok    {r.id}: {r.expected}")
            continue
        lines.append(f"FAIL  {r.id}")
        lines += [f"        {p}" for p in r.problems]
    failed = sum(1 for r in results if not r.ok)
    rules = len({r.rule for r in results})
    lines.append(f"{len(results) - failed} passed, {failed} failed ({len(results)} examples of {rules} rules, "
                 f"durable engine and oracle)")
    return "\n".join(lines) + "\n"


# -- show -----------------------------------------------------------------------
def render_show(rulebook: Rulebook, policy: Policy, rule_id: str) -> str:
    try:
        rule = rulebook.by_id(rule_id)
    except KeyError:
        known = ", ".join(r.id for r in rulebook.rules)
        raise ConfigError(f"no rule {rule_id!r} (known: {known})") from None
    raw = rule.raw
    lines = [f"{rule.id}: {rule.title}", f"  file:     {rule.source}",
             f"  severity: {rule.severity}", f"  strength: {rule.strength}", f"  section:  {rule.section}"]
    if rule.description:
        lines += ["", "  " + rule.description]
    if rule.message:
        lines += ["", f"  Gap message: {rule.message}"]
    lines += ["", "Clauses:"]
    for cid in cited(rule):
        c = policy.clauses.get(cid)
        lines.append(f"  {cid} [{c.kind}]: {c.text}" if c else f"  {cid}: NOT IN THE CHAPTER")
    lines += ["", "Parameters:"]
    for name in rule.parameters:
        p = rulebook.parameters[name]
        reason = f"; {p.reason}" if p.reason else ""
        lines.append(f"  {name} = {p.shown()} [{p.source}{reason}]")
        if p.reference:
            lines.append(f"      {p.reference}")
    lines += ["", "Requires:"]
    for req in rule.requires:
        code = req.code or f"<each {rule.subject_label}'s {req.code_field}>"
        due = f", due {req.due.kind}" if req.due else ""
        lines.append(f"  {code}: {req.label}{due}")
    versions = rulebook.versions_of(rule.id)
    if len(versions) > 1 or versions[-1].valid_to is not None or len(rulebook.chapter_versions) > 1:
        from .workdays import from_epoch_day
        lines += ["", "Versions (a response is judged by the one in force on its identification date):"]
        for v in versions:
            until = f" to before {from_epoch_day(v.valid_to).isoformat()}" if v.valid_to is not None else ""
            lines.append(f"  from {v.version}{until} (chapter version {v.chapter_version}): "
                         f"{v.limits or 'no parameters'}; {v.source}")
    lines += ["", "Examples:"]
    for kind in ("pass", "fail"):
        for spec in raw["examples"][kind]:
            expect = spec.get("expect") or {}
            status = expect.get("status", "met" if kind == "pass" else unmet_status(rule))
            missing = f" missing {expect['missing']}" if expect.get("missing") else ""
            lines.append(f"  {kind}: {spec['name']} -> {status}{missing}")
    return "\n".join(lines) + "\n"


# -- lint -----------------------------------------------------------------------
def _values(spec: Any) -> list[Any]:
    """The literal values a field test compares with."""
    if isinstance(spec, dict):
        out = []
        for op, v in spec.items():
            if op in ("eq", "ne"):
                out += [] if isinstance(v, dict) else [v]
            elif op in ("in", "not_in"):
                out += list(v) if isinstance(v, list) else []
        return out
    return [spec]


def _code_problems(node: Any, where: str) -> list[str]:
    problems = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CODE_FIELDS:
                what, known = CODE_FIELDS[key]
                for v in _values(value):
                    if isinstance(v, str) and v not in known:
                        problems.append(f"{where}: unknown {what} code {v!r} (see checker/vocab.py)")
            problems += _code_problems(value, where)
    elif isinstance(node, list):
        for item in node:
            problems += _code_problems(item, where)
    return problems


def lint_doc(doc: dict, policy: Policy, path: Path) -> list[str]:
    """Checks of one rule file beyond its schema: clauses, examples, codes."""
    problems = []
    pol = doc.get("policy") if isinstance(doc.get("policy"), dict) else {}
    for cid in [pol.get("clause"), *(pol.get("also") or [])]:
        if isinstance(cid, str) and cid not in policy.clauses:
            problems.append(f"{path}: cites clause {cid} which is not in {policy.path.name}")
    examples = doc.get("examples") if isinstance(doc.get("examples"), dict) else {}
    for kind in ("pass", "fail"):
        for spec in examples.get(kind) or []:  # the schema requires at least one of each
            if not isinstance(spec, dict) or not isinstance(spec.get("record"), dict):
                continue
            for ptr, msg in validate_response(spec["record"]):
                problems.append(f"{path}: example {spec.get('name', '?')!r}: record {ptr or '/'}: {msg}")
    body = {k: v for k, v in doc.items() if k != "examples"}
    requires = body.get("requires")
    if isinstance(requires, list):
        body["requires"] = [one for spec in requires if isinstance(spec, dict) for one in expand_codes(spec)]
    problems += _code_problems(body, str(path))
    if isinstance(pol.get("clause"), str):
        problem = strength_problem(str(doc.get("id")), doc.get("strength", "must"), policy.clauses.get(pol["clause"]))
        if problem:
            problems.append(f"{path}: {problem}")
    return problems


def lint(rules_dir: Path, policy: Policy, params_file: Path | None = None) -> list[str]:
    """Every problem of a rules directory; [] when it is clean."""
    rules_dir = Path(rules_dir)
    problems: list[str] = []
    try:
        load_rulebook(rules_dir, params_file)
    except ConfigError as exc:
        problems += [line.strip() for line in str(exc).splitlines() if line.strip()
                     and line not in ("invalid rules:", "invalid chapter version:")]
    seen: dict[str, Path] = {}
    for path in rule_files(rules_dir) if rules_dir.is_dir() else []:
        try:
            doc = read_rule_file(path)
        except ConfigError:
            continue  # already reported by load_rulebook
        if isinstance(doc.get("id"), str):
            if doc["id"] in seen and not any("duplicate rule id" in p for p in problems):
                problems.append(f"{path}: duplicate rule id {doc['id']!r} (also in {seen[doc['id']]})")
            seen.setdefault(doc["id"], path)
        if schema_problems(rule_validator(), doc):
            continue  # the schema problems are reported by load_rulebook
        problems += lint_doc(doc, policy, path)
    for cid, c in policy.clauses.items():
        if c.kind not in KINDS:
            problems.append(f"{policy.path.name}: {cid}: kind {c.kind!r} is not one of {', '.join(KINDS)}")
    return list(dict.fromkeys(problems))
