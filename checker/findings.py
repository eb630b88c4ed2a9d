"""Findings: what each rule concluded about one response, from the outcomes that fired.

An evaluator (the engine, or the oracle in tests) reports *outcomes*: small
facts about what it matched. ``resolve`` turns one rule's outcomes into one
finding with a fixed precedence, documented in the README:
not_applicable > gap > insufficient_data > pending > met.
A gap is reported only where the record proves it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .ir import Rule
from .workdays import from_epoch_day
from .vocab import active, label_of

STATUSES = ("met", "gap", "pending", "not_applicable", "insufficient_data", "advisory")
# advisory: the rule checks a clause the chapter words as permission ("may", "could be", an
# indicative list, a definition); what it found unmet is advice, never a gap, never exit code 1.
ADVISORY = "advisory"
NA, MISSING, PENDING, INSUFFICIENT = "na", "missing", "pending", "insufficient"
VERSION = "version"  # not a conclusion: which version of a rule was in force (effective dating, issue 11)


@dataclass(frozen=True, order=True)
class Outcome:
    rule: str
    kind: str          # na | missing | pending | insufficient
    code: str = ""     # a role, item, child id or field the outcome is about
    ptr: str = ""      # JSON pointer of the evidence
    reason: str = ""   # for na: which condition
    detail: str = ""   # where a gap is: the meeting (type and date) or the dates compared


@dataclass(slots=True)
class Finding:
    rule: str
    status: str
    severity: str
    section: str
    clause: str
    title: str
    message: str
    missing: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    # Set after evaluation by checker.waivers and checker.baseline (additive report fields):
    waived: dict | None = None          # {reason, approved_by, expires_on}: an accepted gap, still status gap
    waiver_expired: dict | None = None  # the same, for a waiver whose expiry date has passed
    delta: str | None = None            # new | persisting (gaps), resolved (a baseline gap that is no longer one)
    # Effective dating (issue 11): the date the rule versions were chosen by (the response's
    # identification date) and the rule version in force then (None: the rule was not in force).
    judged_on: str | None = None
    rule_version: str | None = None
    chapter_version: str | None = None

    def to_dict(self) -> dict:
        out = {
            "rule": self.rule, "status": self.status, "severity": self.severity,
            "policy": {"section": self.section, "clause": self.clause},
            "title": self.title, "message": self.message,
            "missing": self.missing, "evidence": self.evidence,
        }
        if self.unknown:
            out["unknown"] = self.unknown
        if self.pending:
            out["not_yet_due"] = self.pending
        if self.waived:
            out["waived"] = self.waived
        if self.waiver_expired:
            out["waiver_expired"] = self.waiver_expired
        if self.delta:
            out["delta"] = self.delta
        if self.judged_on:
            out["judged_on"] = self.judged_on
        if self.rule_version:
            out["rule_version"] = self.rule_version
        if self.chapter_version:
            out["chapter_version"] = self.chapter_version
        return out


def _codes(outcomes: Iterable[Outcome]) -> list[str]:
    return sorted({o.code for o in outcomes if o.code})


def rule_labels(rule: Rule) -> dict[str, str]:
    """The rule's own words for its codes: a requirement's or an absent subject's label for a code
    of its own, and the agency's name where a code is matched as an agency (``police`` is both a
    role and an agency code)."""
    out = {}
    for req in rule.requires:
        if req.code and req.label and req.label != req.code and label_of(req.code) == req.code:
            out[req.code] = req.label
        agency_matched = req.code_field == "agency" or (
            req.exists is not None and any(t.name == "agency" for t in req.exists.where))
        if agency_matched:
            agencies = active().agencies  # the vocabularies in use (checker/vocab.py)
            out.update(agencies if req.code_field else {req.code: agencies.get(req.code, req.code)})
    if rule.if_none.code and rule.if_none.label:
        out[rule.if_none.code] = rule.if_none.label
    return out


def _labels(codes: list[str], own: dict[str, str] | None = None) -> str:
    own = own or {}
    return ", ".join(f"{own[c]} ({c})" if c in own else label_of(c) for c in codes)


def _day(fact: dict, name: str) -> str | None:
    value = fact.get(f"{name}_d")
    return from_epoch_day(value).isoformat() if isinstance(value, int) else None


def describe(subject: dict | None, response: dict | None = None) -> str:
    """Where a requirement of one subject fact was judged, in a quality lead's words: the meeting
    (type and date) or the dates compared. Built from the fact the engine matched (and the same way
    by the oracle), never from free text."""
    if not subject:
        return ""
    t = str(subject.get("t", "")).split("~")[0]
    if t == "meeting":
        return f"The {subject.get('mtype')} meeting on {_day(subject, 'date')}."
    if t == "attendee":
        return f"At the {subject.get('mtype')} meeting on {_day(subject, 'mdate')}."
    if t == "referral":
        concern = _day(response or {}, "identified_on")
        return (f"Referral dated {_day(subject, 'date') or '(no date recorded)'}"
                + (f"; concern first identified on {concern}." if concern else "."))
    if t == "school_meeting":
        return (f"Meeting in school on {_day(subject, 'date') or '(no date recorded)'}; parents informed on "
                f"{_day(subject, 'parents_informed_on') or '(no date recorded)'}.")
    if t == "drop_in":
        return (f"First drop-in session on {_day(subject, 'first_session_on') or '(no date recorded)'}; parents "
                f"informed on {_day(subject, 'parents_informed_on') or '(no date recorded)'}.")
    return ""


def _details(outcomes: list[Outcome]) -> str:
    """The meetings and dates behind a gap, where the evaluator recorded them (``Outcome.detail``)."""
    seen = sorted({o.detail for o in outcomes if o.detail})
    return " ".join(seen)


def resolve(rule: Rule, outcomes: Iterable[Outcome]) -> Finding:
    """One finding for ``rule`` from everything that fired for it on one response."""
    by_kind: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_kind.setdefault(o.kind, []).append(o)
    base = dict(rule=rule.id, severity=rule.severity, section=rule.section, clause=rule.clause,
                title=rule.title)
    if NA in by_kind:
        reasons = sorted({o.reason for o in by_kind[NA]})
        return Finding(status="not_applicable", message=f"Not applicable: {'; '.join(reasons)}.", **base)
    missing = by_kind.get(MISSING, [])
    own = rule_labels(rule)
    unknown = _codes(by_kind.get(INSUFFICIENT, []))
    pending = _codes(by_kind.get(PENDING, []))
    if missing:
        codes = _codes(missing)
        text = rule.message or rule.title
        msg = f"{text} {rule.missing_heading}: {_labels(codes, own)}." if codes else text
        detail = _details(missing)
        if detail:
            msg += f" {detail}"
        if unknown:
            msg += f" Not in the record, so not judged: {_labels(unknown, own)}."
        if rule.limits:
            msg += f" Limits used: {rule.limits}."
        if rule.next_step:
            msg += f" Next: {rule.next_step}"
        status = "gap"
        if rule.strength == "may":
            status = ADVISORY
            msg = f"Advice, not a gap (the chapter words this as permission or an example, not a duty): {msg}"
        return Finding(status=status, message=msg, missing=codes,
                       evidence=sorted({o.ptr for o in missing}), unknown=unknown, pending=pending, **base)
    if unknown:
        return Finding(status="insufficient_data",
                       message=f"The record does not show enough to judge this: {_labels(unknown, own)}.",
                       evidence=sorted({o.ptr for o in by_kind[INSUFFICIENT]}), unknown=unknown,
                       pending=pending, **base)
    if pending:
        return Finding(status="pending", message=f"Not yet due on this open response: {_labels(pending, own)}.",
                       evidence=sorted({o.ptr for o in by_kind[PENDING]}), pending=pending, **base)
    return Finding(status="met", message=f"Met: {rule.title}.", **base)


def resolve_versions(versions: list[Rule], outcomes: Iterable[Outcome], judged_on: str | None = None) -> Finding:
    """One finding for a rule with one or more dated versions: the version the engine found in force on
    the identification date (a ``version`` outcome, when there are several) judges the response; the
    finding names it and the date. Where no version was in force, the rule's not_applicable says why."""
    outcomes = list(outcomes)
    chosen = [o for o in outcomes if o.kind == VERSION]
    rule = versions[int(chosen[0].code)] if chosen else versions[0]
    rest = [o for o in outcomes if o.kind != VERSION]
    if not chosen and len(versions) > 1 and any(o.kind == NA for o in rest):
        rule = _nearest(versions, rest)
    finding = resolve(rule, rest)
    finding.judged_on = judged_on
    na = {o.reason for o in rest if o.kind == NA}
    not_in_force = na and any(_before(v) in na or (v.after_reason and v.after_reason in na) for v in versions)
    if not not_in_force and (chosen or len(versions) == 1):
        finding.rule_version = rule.version or None
        finding.chapter_version = rule.chapter_version or None
    return finding


def _before(rule: Rule) -> str:
    from .oracle import not_in_force_reason
    return not_in_force_reason(rule)


def _nearest(versions: list[Rule], outcomes: list[Outcome]) -> Rule:
    """The version whose not-in-force reason fired (its words describe the finding)."""
    reasons = {o.reason for o in outcomes}
    for v in versions:
        if v.after_reason in reasons or (v.has_before and _before(v) in reasons):
            return v
    return versions[0]
