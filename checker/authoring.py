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
import re
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
from .rulebook import Rulebook, load_rulebook, read_rule_file, rule_files, rule_validator
from .validation import validate_response
from .vocab import active, with_vocabularies

EXAMPLE_AS_OF = dt.date(2026, 12, 31)
KINDS = ("definition", "obligation", "guidance", "not_checkable")
MEETING_TYPES = {"scoping", "strategic", "operational", "final"}
# Fields whose values are codes: of the vocabularies in use (exchange format section 3, rules/vocabularies.yaml
# and --vocab overrides), or the meeting types.
CODE_FIELDS: dict[str, str] = {
    "role": "role", "chair_role": "role", "item": "item",
    "agency": "agency", "risk_agency": "agency", "referring_agency": "agency",
    "mtype": "meeting type",
}
VOCAB_KINDS = {"role": "roles", "item": "items", "agency": "agencies"}


def _known_codes(what: str) -> set[str]:
    return set(active().codes(VOCAB_KINDS[what])) if what in VOCAB_KINDS else MEETING_TYPES


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
# A problem is (file, pointer parts, message); ``format_problems`` turns the pointer into the
# file:line:column an author's editor jumps to (YAML node marks, read with checker.yamlio's limits).
Located = tuple[str, tuple, str]


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


def _value_paths(spec: Any, where: tuple) -> list[tuple[tuple, Any]]:
    """The literal values a field test compares with, each with its pointer."""
    if isinstance(spec, dict):
        out = []
        for op, v in spec.items():
            if op in ("eq", "ne") and not isinstance(v, dict):
                out.append((where + (op,), v))
            elif op in ("in", "not_in") and isinstance(v, list):
                out += [(where + (op, i), item) for i, item in enumerate(v)]
        return out
    return [(where, spec)]


def _code_problems(node: Any, where: tuple, codes: list | None = None) -> list[tuple[tuple, str]]:
    """Unknown codes in the fields that hold codes; "$code" stands for each of the requirement's ``codes``."""
    from .catalogue import canonical_field

    problems = []
    if isinstance(node, dict):
        if isinstance(node.get("codes"), list):
            codes = [(where + ("codes", i), c) for i, c in enumerate(node["codes"])]
        for key, value in node.items():
            name = canonical_field(key) if isinstance(key, str) else key
            if name in CODE_FIELDS:
                what = CODE_FIELDS[name]
                known = _known_codes(what)
                for ptr, v in _value_paths(value, where + (key,)):
                    for at, code in (codes or []) if v == "$code" else [(ptr, v)]:
                        if isinstance(code, str) and code not in known:
                            problems.append((at, f"unknown {what} code {code!r} (see vocabularies.yaml, or add it "
                                                f"with --vocab)" if what in VOCAB_KINDS else
                                                f"unknown {what} code {code!r}"))
            if key != "examples":
                problems += _code_problems(value, where + (key,), codes)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            problems += _code_problems(item, where + (i,), codes)
    return list(dict.fromkeys(problems))


def _record_pointer(ptr: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:] if p != "")


def lint_doc_located(doc: dict, policy: Policy) -> list[tuple[tuple, str]]:
    """Checks of one rule file beyond its schema: clauses, examples, codes, strength; each with its pointer."""
    problems: list[tuple[tuple, str]] = []
    pol = doc.get("policy") if isinstance(doc.get("policy"), dict) else {}
    cids = [(("policy", "clause"), pol.get("clause"))]
    cids += [(("policy", "also", i), c) for i, c in enumerate(pol.get("also") or [])]
    for where, cid in cids:
        if isinstance(cid, str) and cid not in policy.clauses:
            problems.append((where, f"cites clause {cid} which is not in {policy.path.name}"))
    examples = doc.get("examples") if isinstance(doc.get("examples"), dict) else {}
    for kind in ("pass", "fail"):
        for i, spec in enumerate(examples.get(kind) or []):  # the schema requires at least one of each
            if not isinstance(spec, dict) or not isinstance(spec.get("record"), dict):
                continue
            for ptr, msg in validate_response(spec["record"]):
                problems.append((("examples", kind, i, "record") + _record_pointer(ptr),
                                 f"example {spec.get('name', '?')!r}: record {ptr or '/'}: {msg}"))
    problems += _code_problems({k: v for k, v in doc.items() if k != "examples"}, ())
    problems += placeholder_problems(doc)
    if isinstance(pol.get("clause"), str):
        problem = strength_problem(str(doc.get("id")), doc.get("strength", "must"), policy.clauses.get(pol["clause"]))
        if problem:
            problems.append((("strength",) if "strength" in doc else ("policy", "clause"), problem))
    return problems


_YAML_AT = re.compile(r"^(?P<file>.*): not valid YAML at line (?P<line>\d+), column (?P<col>\d+)$")
_NORMALISE_AT = re.compile(r"^(?P<key>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<sub>[a-z_]+))?")


def _find_key(node: Any, name: str, where: tuple = ()) -> tuple | None:
    """The first pointer (document order) to a mapping key ``name``."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == name:
                return where + (k,)
            if k != "examples":
                found = _find_key(v, name, where + (k,))
                if found:
                    return found
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found = _find_key(v, name, where + (i,))
            if found:
                return found
    return None


def _normalise_pointer(message: str, doc: dict) -> tuple:
    """Where a normalising error points: the field it names ('no field 'x''), else the field its message
    starts with (``requires[0].code: ...``)."""
    for name in re.findall(r"'([a-z_]+)'", message):
        found = _find_key(doc, name)
        if found:
            return found
    m = _NORMALISE_AT.match(message)
    if not m or m.group("key") not in doc:
        return ()
    where: tuple = (m.group("key"),)
    if m.group("index") is not None:
        where += (int(m.group("index")),)
    if m.group("sub"):
        where += (m.group("sub"),)
    return where


def format_problems(problems: list[Located]) -> list[str]:
    """``file:line:column: message``: each pointer located in its file (files are parsed only here, when a
    problem was found)."""
    from .yamlio import locate, node_marks

    marks: dict[str, dict] = {}
    out = []
    for path, where, message in problems:
        if where is None:
            out.append(f"{path}: {message}")
            continue
        if path not in marks:
            marks[path] = node_marks(Path(path))
        line, col = locate(marks[path], where)
        out.append(f"{path}:{line}:{col}: {message}")
    return list(dict.fromkeys(out))


def _policy_problems(policy: Policy) -> list[Located]:
    index = {cid: i for i, cid in enumerate(policy.clauses)}
    return [(str(policy.path), ("clauses", index[cid], "kind"), f"{cid}: kind {c.kind!r} is not one of {', '.join(KINDS)}")
            for cid, c in policy.clauses.items() if c.kind not in KINDS]


def lint_located(rules_dir: Path, policy: Policy, params_file: Path | None = None) -> list[Located]:
    """Every problem of a rules directory, located; [] when it is clean."""
    from .params import load_parameters
    from .params import apply_overrides
    from .rulebook import PARAMETERS_FILE, located_schema_problems, normalise

    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return [(str(rules_dir), None, "rules directory not found")]
    problems: list[Located] = []
    try:  # the parameters of the whole chapter-version chain (an overlay inherits the ones before it)
        from . import versions as dating

        chain = dating.version_chain(rules_dir)
        params = dating.overlay_parameters(load_parameters(chain[0].directory / PARAMETERS_FILE), chain)
        if params_file is not None:
            params = load_parameters(chain[0].directory / PARAMETERS_FILE, params_file) if len(chain) == 1 \
                else apply_overrides(params, Path(params_file))
    except ConfigError as exc:
        problems.append((str(exc).split(": ", 1)[0], None, str(exc).split(": ", 1)[-1]))
        params = None
    files = rule_files(rules_dir)
    if not files and not (rules_dir / "version.yaml").is_file():
        problems.append((str(rules_dir), None, "no rule files (*.yaml) found"))
    seen: dict[str, Path] = {}
    for path in files:
        try:
            doc = read_rule_file(path)
        except ConfigError as exc:
            m = _YAML_AT.match(str(exc))
            if m:
                problems.append((f"{path}:{m.group('line')}:{m.group('col')}", None, "not valid YAML"))
            else:
                problems.append((str(path), None, str(exc).split(": ", 1)[-1]))
            continue
        schema = located_schema_problems(rule_validator(), doc)
        for where, msg in schema:
            shown = f"{''.join(f'/{p}' for p in where) or '/'}: {msg}"
            if msg.startswith("unknown field(s) '"):
                where = where + (msg.split("'")[1],)
            problems.append((str(path), where, shown))
        if isinstance(doc.get("id"), str):
            if doc["id"] in seen:
                problems.append((str(path), ("id",), f"duplicate rule id {doc['id']!r} (also in {seen[doc['id']]})"))
            seen.setdefault(doc["id"], path)
        if schema:
            continue
        if params is not None:
            try:
                normalise(doc, params, str(path))
            except ConfigError as exc:
                problems.append((str(path), _normalise_pointer(str(exc), doc), str(exc)))
        problems += [(str(path), where, msg) for where, msg in lint_doc_located(doc, policy)]
    if not problems and params is not None:
        # every file is sound on its own: what only the whole set shows (chapter versions and their
        # manifests, dated rules and parameter values) comes from loading it
        try:
            load_rulebook(rules_dir, params_file)
        except ConfigError as exc:
            for line in str(exc).splitlines():
                line = line.strip()
                if line and line not in ("invalid rules:", "invalid chapter version:"):
                    problems.append((line.split(": ", 1)[0], None, line.split(": ", 1)[1])
                                    if ": " in line else (str(rules_dir), None, line))
    return problems + _policy_problems(policy)


@with_vocabularies
def lint(rules_dir: Path, policy: Policy, params_file: Path | None = None, vocab_files=()) -> list[str]:
    """Every problem of a rules directory as ``file:line:column: message``; [] when it is clean. Codes are
    checked against the rules directory's vocabularies with ``vocab_files`` layered on top (checker/vocab.py)."""
    return format_problems(lint_located(rules_dir, policy, params_file))


def lint_rulebook(rulebook: Rulebook, policy: Policy) -> list[str]:
    """The lint checks a loaded rule set still needs (it has passed its schema and normalising): clauses,
    examples, codes, strengths and the chapter's kinds. Cheap enough for every ``check``: the rule files
    are not read again (a file is parsed for line numbers only when it has a problem)."""
    problems: list[Located] = []
    for rule in rulebook.rules:
        problems += [(rule.source, where, msg) for where, msg in lint_doc_located(rule.raw, policy)]
    return format_problems(problems + _policy_problems(policy))


# -- a new rule -----------------------------------------------------------------------
PLACEHOLDER = "FILL IN"
PLACEHOLDER_CODE = "fill_in"
RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

SCAFFOLD = """\
# A new rule, started by `shg-check rules new {rule_id} --clause {clause}`.
# Replace every FILL IN text and the code fill_in (`shg-check rules lint` lists the ones left),
# change the requirement and the examples to what the clause asks, then run
#   shg-check rules lint && shg-check rules test --rule {rule_id}
# Every field is described in docs/rule-language.md (`shg-check rules reference`).
id: {rule_id}
# One sentence a quality lead understands: what a response must have done.
title: "FILL IN: what the rule checks"
policy:
  section: "{section}"
  clause: "{clause}"
  # also: []   # the ids of other clauses this rule checks, e.g. the bullets of a list
# high | medium | low: how serious a gap is.
severity: medium
# The chapter's word for the clause ({clause_strength!r}): must (a duty) or should (an expectation)
# give gaps; may (permission, "could be", an indicative list, a definition) gives advice only.
strength: {strength}
# Why: the chapter's words, how the record is read, and what is left to judgement.
description: >-
  FILL IN: the clause says "{clause_text}"
# What a gap means, in a quality lead's words (the missing codes are added after it).
message: "FILL IN: what is missing when the rule finds a gap"
# What to do or record next when it finds a gap.
next_step: "FILL IN: what to do or record next"
# What the rule is checked for: the response (once), or each fact of a kind, e.g.
#   subject: {{fact: meeting, where: {{meeting_type: scoping}}, label: scoping meeting}}
subject:
  fact: response
# parameters: [referral_working_days]   # every parameter (rules/parameters.yaml) the rule uses
requires:
  # One requirement per code. This one asks for a scoping meeting in the record: change it.
  # `test:` checks a field of the subject; `exists:` asks for another fact of the record.
  - code: fill_in
    label: "FILL IN: the requirement in words"
    exists: {{fact: meeting, where: {{meeting_type: scoping}}}}
    evidence: /meetings
    # due: {{working_days: 5, after: response.identified_on}}   # when it becomes a gap on an open response
examples:
  # Records in exchange format v1 (as_of defaults to 2026-12-31). A pass example expects met;
  # a fail example expects a gap (advice for a 'may' rule) unless `expect:` says otherwise.
  pass:
    - name: "FILL IN: a record that does what the clause asks"
      record:
        response_id: EX-1
        status: open
        identified_on: '2026-03-02'
        young_people: []
        meetings: [{{id: m1, type: scoping, date: '2026-03-04'}}]
  fail:
    - name: "FILL IN: a record that does not"
      record:
        response_id: EX-2
        status: open
        identified_on: '2026-03-02'
        young_people: []
        meetings: []
      expect: {{status: {unmet}, missing: [fill_in]}}
"""


def new_rule(rules_dir: Path, policy: Policy, rule_id: str, clause_id: str) -> tuple[Path, str]:
    """The path and text of a new rule file for ``clause_id`` (nothing is written)."""
    if not RULE_ID.match(rule_id):
        raise ConfigError(f"rule id {rule_id!r}: use lower-case words and digits joined by hyphens, e.g. scoping-chair")
    clause = policy.clauses.get(clause_id)
    if clause is None:
        raise ConfigError(f"no clause {clause_id!r} in {policy.path} (see `shg-check rules coverage`)")
    existing = [p for p in rule_files(Path(rules_dir))] if Path(rules_dir).is_dir() else []
    for path in existing:
        try:
            if read_rule_file(path).get("id") == rule_id:
                raise ConfigError(f"rule {rule_id} already exists: {path}")
        except ConfigError as exc:
            if "already exists" in str(exc):
                raise
    allowed = RULE_STRENGTH_FOR.get(clause.strength, {"must"})
    strength = "must" if "must" in allowed else sorted(allowed)[0]
    text = " ".join(str(clause.text).split())
    text = (text[:160] + "...") if len(text) > 160 else text
    body = SCAFFOLD.format(rule_id=rule_id, clause=clause_id, section=clause.section, strength=strength,
                           clause_strength=clause.strength or "not classified",
                           clause_text=text.replace('"', "'"), unmet="advisory" if strength == "may" else "gap")
    return Path(rules_dir) / clause.section / f"{rule_id}.yaml", body


def placeholder_problems(doc: Any, where: tuple = ()) -> list[tuple[tuple, str]]:
    """The scaffold's placeholders still in a rule file: each is a 'fill this in' problem."""
    out: list[tuple[tuple, str]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += placeholder_problems(v, where + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += placeholder_problems(v, where + (i,))
    elif isinstance(doc, str) and (doc.startswith(PLACEHOLDER) or doc == PLACEHOLDER_CODE):
        field_name = "/".join(str(p) for p in where)
        out.append((where, f"fill this in: {field_name} is still the placeholder {doc.split(':')[0]!r}"))
    return out
