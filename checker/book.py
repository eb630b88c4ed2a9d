"""The rulebook people read (``shg-check rules book``): the chapter clause by clause, with its rules.

Generated from ``policy/chapter.yaml``, the rule files and ``parameters.yaml``, never written by
hand. For every clause: its text, the chapter's strength, and either the rules that check it (in
plain English: title, description, what is required and by when, severity, when it does not
apply, parameters with value, unit and source, and its passing and failing examples) or why it
is not checked (a definition, guidance, or a clause recorded as not checkable with its reason).

One model (``build_book``) and two renderings of it: Markdown and one self-contained HTML page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .authoring import cited, unmet_status
from .ir import Rule
from .policy import Policy, section_sort_key
from .rulebook import Rulebook, expand_codes
from .vocab import label_of

STRENGTH_WORDS = {
    "must": "must: a duty; an unmet requirement is a gap",
    "should": "should: an expectation; an unmet requirement is a gap",
    "may": "may: permission or advice; never a gap",
    "indicative": "an indicative list: advice, never a gap",
    "definition": "a definition",
    "none": "no duty worded",
    "": "not classified",
}
KIND_WORDS = {
    "obligation": "Obligation",
    "definition": "Definition",
    "guidance": "Guidance",
    "not_checkable": "Not checkable from records",
}
OUTCOME_WORDS = {"met": "met", "gap": "a gap", "advisory": "advice", "pending": "pending (not yet due)",
                 "not_applicable": "not applicable", "insufficient_data": "insufficient data"}
FACT_WORDS = {"young_person": "child", "attendee": "attendee", "covered": "item covered at a meeting",
              "school_meeting": "school meeting", "drop_in": "drop-in", "cross_boundary": "cross-boundary record",
              "boundary_agreement": "boundary agreement", "agency_review": "agency review",
              "lessons_action": "lessons-learned action", "safety_plan_agency": "safety plan agency",
              "involved_agency": "involved agency"}


@dataclass
class BookParameter:
    name: str
    value: str
    unit: str
    source: str
    description: str
    reference: str = ""
    reason: str = ""


@dataclass
class BookExample:
    kind: str          # pass | fail
    name: str
    outcome: str       # in words
    as_of: str


@dataclass
class BookRule:
    id: str
    title: str
    description: str
    severity: str
    strength: str
    unmet: str                   # "a gap" or "advice"
    subject: str
    requires: list[str]
    not_applicable: list[str]
    parameters: list[BookParameter]
    examples: list[BookExample]
    next_step: str
    file: str
    main_clause: str
    also: list[str]


@dataclass
class BookClause:
    id: str
    section: str
    text: str
    kind: str
    kind_words: str
    strength: str
    strength_words: str
    note: str
    reason: str                  # why no rule checks it ("" when a rule does)
    rules: list[str] = field(default_factory=list)
    version: int = 1
    previous: list[tuple[str, str]] = field(default_factory=list)   # (version, earlier text)


@dataclass
class BookSection:
    section: str
    title: str
    clauses: list[BookClause]


@dataclass
class Book:
    title: str
    meta: dict[str, str]
    rules_version: str
    sections: list[BookSection]
    rules: dict[str, BookRule]
    counts: dict[str, int]

    def clauses(self) -> list[BookClause]:
        return [c for s in self.sections for c in s.clauses]


def _amount(value: Any, rulebook: Rulebook) -> str:
    if isinstance(value, dict) and "param" in value:
        p = rulebook.parameters.get(value["param"])
        return f"{p.shown()} ({value['param']})" if p else str(value["param"])
    return f"{value}"


def _field_words(ref: str) -> str:
    who, _, name = str(ref).partition(".")
    name = name.replace("_", " ")
    return f"the response's {name}" if who == "response" else f"its {name}"


def due_words(spec: Any, rulebook: Rulebook) -> str:
    """When a requirement falls due, in words."""
    if spec is None:
        return ""
    if spec == "at_closure":
        return "by closure"
    if isinstance(spec, dict) and "after_closure" in spec:
        n = _amount(spec["after_closure"].get("working_days"), rulebook)
        return f"within {n} working days of closure" if "working day" not in n else f"within {n} of closure"
    if isinstance(spec, dict) and "once" in spec:
        fact = spec["once"].get("fact", "")
        what = FACT_WORDS.get(fact, fact.replace('_', ' '))
        return f"once a {what} is recorded" + (" that meets the conditions in the description" if spec["once"].get("where") else "")
    if isinstance(spec, dict) and "after" in spec:
        n = _amount(spec.get("working_days"), rulebook)
        if n == "0" or n.startswith("0 "):
            return f"on or before {_field_words(spec['after'])}"
        days = n if "working day" in n else f"{n} working days"
        return f"within {days} after {_field_words(spec['after'])}"
    return ""


OP_WORDS = {"eq": "is", "ne": "is not", "gt": "is more than", "gte": "is at least", "lt": "is less than",
            "lte": "is at most", "in": "is one of", "not_in": "is none of"}


def _operand_words(value: Any, subject: str = "subject") -> str:
    if isinstance(value, dict) and "ref" in value:
        return _field_words(value["ref"]).replace("its ", f"the {subject}'s ")
    if isinstance(value, dict) and "param" in value:
        return f"the parameter {value['param']}"
    if isinstance(value, list):
        return ", ".join(_operand_words(v, subject) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return label_of(str(value)) if isinstance(value, str) else str(value)


def _test_words(name: str, spec: Any, subject: str = "subject") -> str:
    from .catalogue import DEPRECATED

    plain = name
    for names in DEPRECATED.values():
        plain = names.get(plain, plain)
    field = plain.replace("_", " ")
    if not isinstance(spec, dict):
        spec = {"eq": spec}
    (op, value), = spec.items() if len(spec) == 1 else (("eq", spec),)
    if op == "present":
        return f"{field} is recorded" if value else f"{field} is not recorded"
    if op == "recorded":
        return f"{field} was exported" if value else f"{field} was not exported"
    if op == "within_working_days":
        return f"{field} is within {value.get('days')} working days"
    return f"{field} {OP_WORDS.get(op, op)} {_operand_words(value, subject)}"


def condition_words(spec: Any, rule: Rule) -> str:
    """A rule condition (applies / when) in words."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return "a condition"
    (kind, body), = spec.items()
    if kind in ("subject", "response"):
        who = f"the {rule.subject_label}" if kind == "subject" else "the response"
        return " and ".join(f"{who}'s {_test_words(k, v, rule.subject_label)}" for k, v in (body or {}).items())
    fact = FACT_WORDS.get(body.get("fact", ""), str(body.get("fact", "")).replace("_", " "))
    where = " and ".join(_test_words(k, v, rule.subject_label) for k, v in (body.get("where") or {}).items())
    article = "an" if fact[:1] in "aeiou" else "a"
    what = f"{article} {fact}" + (f" whose {where}" if where else "")
    return f"the record has {what}" if kind == "exists" else f"the record has no {fact}" + (
        f" whose {where}" if where else "")


def _requirement_words(spec: dict, rule: Rule, rulebook: Rulebook) -> str:
    code = spec.get("code")
    if isinstance(code, dict):
        what = spec.get("label") or f"for each {rule.subject_label}: {str(code.get('field', '')).replace('_', ' ')}"
    else:
        label = label_of(str(code))
        what = spec.get("label") or label
        if label != str(code) and spec.get("label"):
            what = f"{spec['label']}"
    due = due_words(spec.get("due", rule.raw.get("due")), rulebook)
    conditions = [condition_words(c, rule) for c in spec.get("when") or []]
    when = f" (only when {' and '.join(conditions)})" if conditions else ""
    return f"{what}{when}" + (f", due {due}" if due else "")


def _examples(rule: Rule) -> list[BookExample]:
    out = []
    for kind in ("pass", "fail"):
        for spec in rule.raw["examples"][kind]:
            expect = spec.get("expect") or {}
            status = expect.get("status", "met" if kind == "pass" else unmet_status(rule))
            words = OUTCOME_WORDS.get(status, status)
            if expect.get("missing"):
                words += "; missing: " + ", ".join(_code_words(str(c)) for c in expect["missing"])
            out.append(BookExample(kind, " ".join(str(spec["name"]).split()), words, str(spec.get("as_of", "2026-12-31"))))
    return out


def _not_applicable(rule: Rule) -> list[str]:
    out = []
    if rule.applies:
        out.append(rule.applies_reason)
    if rule.subject_fact == "response":
        pass  # every record is a response: there is always a subject
    elif rule.if_none.status == "not_applicable":
        out.append(f"{rule.if_none.reason}")
    elif rule.if_none.status == "insufficient_data":
        out.append(f"insufficient data when {rule.if_none.reason}")
    out.append("responses identified before the chapter came into force (chapter_in_force_from)")
    return out


def _relative(source: str, rulebook: Rulebook) -> str:
    path = Path(source)
    try:
        return path.relative_to(rulebook.directory.parent).as_posix()
    except ValueError:
        return path.name


def _code_words(code: str) -> str:
    label = label_of(code)
    return label if label != code else code.replace("_", " ")


def book_rule(rule: Rule, rulebook: Rulebook) -> BookRule:
    requires = []
    for spec in rule.raw.get("requires", []):
        for one in expand_codes(spec):
            words = _requirement_words(one, rule, rulebook)
            if words not in requires:
                requires.append(words)
    if rule.if_none.status == "gap":
        label = rule.if_none.label or label_of(str(rule.if_none.code))
        due = due_words(rule.raw["subject"].get("if_none", {}).get("due", rule.raw.get("due")), rulebook)
        requires.insert(0, f"{label}" + (f", due {due}" if due else ""))
    params = []
    for name in rule.parameters:
        p = rulebook.parameters.get(name)
        if p is None:
            continue
        if name == "chapter_in_force_from":
            continue  # every rule has it: named once in "not applicable when"
        params.append(BookParameter(name, p.shown(), p.unit, p.source, p.description, p.reference, p.reason))
    return BookRule(
        id=rule.id, title=rule.title, description=rule.description, severity=rule.severity,
        strength=rule.strength, unmet=OUTCOME_WORDS[unmet_status(rule)],
        subject=rule.subject_label, requires=requires, not_applicable=_not_applicable(rule),
        parameters=params, examples=_examples(rule), next_step=rule.next_step, file=_relative(rule.source, rulebook),
        main_clause=rule.clause, also=list(rule.also))


def _reason(kind: str, clause) -> str:
    if kind == "not_checkable":
        return clause.reason.strip() or "NO REASON GIVEN"
    if kind == "definition":
        return "A definition: it gives meaning to the duties; it is not itself a duty."
    if kind == "guidance":
        return "Guidance: it describes or advises, and sets no duty that records could show met or unmet."
    return ""


def build_book(rulebook: Rulebook, policy: Policy) -> Book:
    rules = {r.id: book_rule(r, rulebook) for r in rulebook.rules}
    by_clause: dict[str, list[str]] = {}
    for rule in rulebook.rules:
        for cid in cited(rule):
            by_clause.setdefault(cid, [])
            if rule.id not in by_clause[cid]:
                by_clause[cid].append(rule.id)
    sections: dict[str, BookSection] = {}
    for sec, title in policy.sections.items():
        sections[sec] = BookSection(sec, title, [])
    for cid, c in policy.clauses.items():
        sec = sections.setdefault(c.section, BookSection(c.section, "", []))
        ruled = by_clause.get(cid, [])
        reason = "" if ruled else _reason(c.kind, c)
        if c.kind == "obligation" and not ruled:
            reason = "NOT COVERED: no rule checks this obligation and it is not recorded as not checkable."
        sec.clauses.append(BookClause(cid, c.section, " ".join(str(c.text).split()), c.kind,
                                      KIND_WORDS.get(c.kind, c.kind), c.strength,
                                      STRENGTH_WORDS.get(c.strength, c.strength), c.note, reason, ruled,
                                      c.version, [(str(p.get("version", "?")), " ".join(str(p.get("text", "")).split()))
                                                  for p in c.previous]))
    ordered = sorted(sections.values(), key=lambda s: section_sort_key(s.section))
    clauses = [c for s in ordered for c in s.clauses]
    counts = {
        "clauses": len(clauses),
        "obligations": sum(1 for c in clauses if c.kind == "obligation"),
        "covered": sum(1 for c in clauses if c.kind == "obligation" and c.rules),
        "not_checkable": sum(1 for c in clauses if c.kind == "not_checkable"),
        "rules": len(rules),
        "examples": sum(len(r.examples) for r in rules.values()),
    }
    meta = {k: str(v) for k, v in policy.meta.items() if k in ("added", "in_force_from", "next_review")}
    return Book(str(policy.meta.get("title", "The chapter")), meta, rulebook.version, ordered, rules, counts)


# -- Markdown -----------------------------------------------------------------------
def _md(text: str) -> str:
    """Text safe inside Markdown: no HTML, no emphasis or link syntax taken from the data."""
    out = " ".join(str(text).split())
    for ch in "\\`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


def render_markdown(book: Book) -> str:
    meta = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in book.meta.items())
    c = book.counts
    lines = [f"# Rulebook: {_md(book.title)}", "",
             f"Generated by `shg-check rules book` from the chapter and the rules ({_md(book.rules_version)}). "
             "Do not edit by hand.", ""]
    if meta:
        lines += [f"Chapter: {_md(meta)}.", ""]
    lines += [f"{c['clauses']} clauses; {c['obligations']} obligations, {c['covered']} checked by a rule; "
              f"{c['not_checkable']} not checkable from records; {c['rules']} rules with {c['examples']} examples.", ""]
    for sec in book.sections:
        lines += [f"## {_md(sec.section)}. {_md(sec.title)}", ""]
        for cl in sec.clauses:
            lines += [f"### Clause {_md(cl.id)}", "", f"> {_md(cl.text)}", "",
                      f"- Kind: {cl.kind_words}", f"- Strength: {_md(cl.strength_words)}"]
            if cl.version > 1:
                lines.append(f"- Amended: version {cl.version}")
                lines += [f"  - Earlier text (version {_md(v)}): {_md(t)}" for v, t in cl.previous]
            if cl.note:
                lines.append(f"- Note: {_md(cl.note)}")
            if cl.rules:
                lines.append(f"- Checked by: {', '.join(cl.rules)}")
            else:
                lines.append(f"- Not checked by a rule: {_md(cl.reason)}")
            lines.append("")
            for rid in cl.rules:
                r = book.rules[rid]
                if r.main_clause != cl.id:
                    lines += [f"Rule **{r.id}** ({_md(r.title)}) also checks this clause; it is described "
                              f"under clause {r.main_clause}.", ""]
                    continue
                lines += _md_rule(r)
    return "\n".join(lines).rstrip() + "\n"


def _md_rule(r: BookRule) -> list[str]:
    lines = [f"#### Rule {r.id}: {_md(r.title)}", ""]
    if r.description:
        lines += [_md(r.description), ""]
    lines += [f"- Severity: {r.severity}; strength: {r.strength} (an unmet requirement is {r.unmet})",
              f"- Checks: each {_md(r.subject)}"]
    if r.also:
        lines.append(f"- Also cites: {', '.join(r.also)}")
    lines.append("- Required:")
    lines += [f"  - {_md(q)}" for q in r.requires]
    lines.append("- Not applicable when:")
    lines += [f"  - {_md(q)}" for q in r.not_applicable]
    if r.parameters:
        lines.append("- Parameters:")
        for p in r.parameters:
            extra = f"; {_md(p.reference)}" if p.reference else ""
            lines.append(f"  - `{p.name}` = {_md(p.value)} (source: {_md(p.source)}{extra}): {_md(p.description)}")
    if r.next_step:
        lines.append(f"- Next step on a gap: {_md(r.next_step)}")
    lines.append("- Examples:")
    for e in r.examples:
        word = "Passes" if e.kind == "pass" else "Fails"
        lines.append(f"  - {word}: {_md(e.name)} → {_md(e.outcome)}")
    lines += [f"- File: `{r.file}`", ""]
    return lines


# -- HTML ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("checker", "templates"), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(book: Book) -> str:
    return _environment().get_template("rulebook.html.j2").render(book=book)
