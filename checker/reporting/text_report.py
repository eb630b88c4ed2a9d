"""A readable summary per response with its gaps, for a terminal or an e-mail.

Every line is one line: control characters (newlines, carriage returns,
escapes, line and paragraph separators) that reach a value from an input (an
id, a file name) are shown as ``\\uXXXX``, so no input can forge a line.
"""
from __future__ import annotations

import re
from typing import Iterator

from ..api import Report
from ..summary import Summary, selection_words
from .rows import waiver_note
from .words import plain, status_words

WIDTH = 78
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: object) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", str(text))


def _section(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def version_words(f) -> str:
    """Which rule version judged a finding, and by which date (effective dating, issue 11)."""
    if f.rule_version:
        return (f"Judged by the rule in force on {f.judged_on} (the identification date): the version in force from "
                f"{f.rule_version}, chapter version {f.chapter_version}.")
    return f"Judged on {f.judged_on} (the identification date): no version of this rule was in force then."


def header_lines(report: Report, s: Summary) -> list[str]:
    rb = report.rulebook
    lines = [
        f"shg-check gap report, as of {report.as_of.isoformat()}",
        f"Rules: {rb.version} ({rb.directory})",
        *([f"Versions: {s.versions}; each response is judged by the rules in force on its identification date"]
          if s.versions else []),
        f"Summary: {s.line()}",
        f"Responses checked: {s.responses_checked}; with gaps: {s.responses_with_gaps}; {s.gaps_phrase()}, "
        f"of which {s.gaps_in_responses} in responses and {s.gaps_in_groups} in possible groups; "
        f"input errors: {s.input_errors}",
    ]
    if s.advisory:
        lines.append(f"Advice (may / should / indicative clauses; never a gap): {s.advisory}")
    for n in s.notices:
        lines.append(f"NOTICE: {n}")
    if s.first_night:
        lines.append("NOTICE: first night: the baseline file does not exist yet, so no gap is marked new or "
                     "persisting; save this run's JSON report as the next baseline.")
    return lines


def render_text(report: Report) -> str:
    return "".join(iter_text(report))


def _lines(lines: list[str]) -> str:
    return "".join(one_line(line) + "\n" for line in lines)


def iter_text(report: Report) -> Iterator[str]:
    """The text of :func:`render_text` in chunks (the head, then one response at a time, then the rest)."""
    s = report.summary_model()
    lines = header_lines(report, s)
    if report.groups is not None:
        states = s.groups_by_escalation
        lines.append(f"Possible self-harm groups in the incident feeds: {s.groups}; need action: "
                     f"{s.groups_needing_action} (not escalated: {states.get('not_escalated', 0)}; escalated "
                     f"late: {states.get('escalated_late', 0)}); not yet due: {states.get('pending', 0)}")
        lines += render_groups(report.groups)
    lines += _section("Responses")
    yield _lines(lines)
    for r in report.responses:
        yield _lines(response_lines(r))
    lines = []
    if report.resolved:
        lines += _section(f"Resolved since {report.baseline['as_of']}")
        for res in report.resolved:
            who = res.get("response_id") or res.get("group_id") or res.get("group")
            lines.append(f"  {who} {res['rule']}: now {plain(res['now'])}")
    if report.waivers and (report.waivers.get("expired") or report.waivers.get("unused")):
        lines += _section("Waivers to review")
        for w in report.waivers.get("expired") or []:
            lines.append(f"  {w.get('response_id') or w.get('group')} {w['rule']}: expired on {w['expires_on']}; "
                         "the gap counts again")
        for w in report.waivers.get("unused") or []:
            lines.append(f"  {w.get('response_id') or w.get('group')} {w['rule']}: matches no current gap")
    if report.input_errors:
        lines += _section("Input errors (these records were not checked)")
        for e in report.input_errors:
            where = f"line {e.line}, " if e.line else ""
            lines.append(f"  {e.source}: {where}record {e.record or '-'}, {e.path or '(whole record)'}: {e.message}")
    if s.selection:
        lines += _section("Selection")
        lines.append("  " + selection_words(s.selection))
    lines += _section("Parameters used")
    for p in report.rulebook.parameters.values():
        lines.append(f"  {p.name} = {p.shown()}  [{p.source}]")
    yield _lines(lines)


def response_lines(r) -> list[str]:
    """A response's lines: its counts, its gaps (most severe first), its advice."""
    c = r.counts()
    lines = [""]
    lines.append(f"{r.response_id} ({r.status}, identified {r.identified_on}): " + ", ".join(
        f"{c.get(k, 0)} {status_words(k, c.get(k, 0))}" for k in
        ("gap", "pending", "insufficient_data", "met", "not_applicable")) +
        (f", {c['advisory']} advice" if c.get("advisory") else ""))
    for f in r.gaps():
        flags = "".join(f" {x.upper()}" for x in (f.delta, "waived" if f.waived else None) if x)
        lines.append(f"  GAP [{f.severity}]{flags} section {f.section} ({f.clause}) {f.rule}")
        lines.append(f"      {f.message}")
        note = waiver_note({"waived": f.waived, "waiver_expired": f.waiver_expired})
        if note:
            lines.append(f"      {note[0].upper()}{note[1:]}")
        if f.evidence:
            lines.append(f"      Evidence: {', '.join(f.evidence)}")
        if f.judged_on:
            lines.append(f"      {version_words(f)}")
    for f in r.findings:
        if f.status == "advisory":
            lines.append(f"  ADVICE section {f.section} ({f.clause}) {f.rule}")
            lines.append(f"      {f.message}")
    return lines


_STATE = {"escalated": "ESCALATED", "escalated_late": "ESCALATED LATE", "not_escalated": "NOT ESCALATED",
          "pending": "NOT YET ESCALATED (not yet due)", "insufficient_data": "ESCALATION NOT KNOWN",
          "not_checked": "NOT CHECKED FOR ESCALATION"}


_SEVERITY = {"high": 0, "medium": 1, "low": 2}
_ORDER = {"not_escalated": 0, "escalated_late": 1, "insufficient_data": 2, "pending": 3, "not_checked": 4,
          "escalated": 5}


def render_groups(groups: list[dict]) -> list[str]:
    """The section on possible groups: those needing action first, most severe first; only pseudonymous ids."""
    lines = _section("Possible self-harm groups")
    groups = sorted(groups, key=lambda g: (_ORDER.get(g.get("escalation"), 9), _SEVERITY.get(g.get("severity"), 9),
                                           g.get("first_date", ""), str(g.get("group_id", ""))))
    if not groups:
        lines.append("  none found")
    for g in groups:
        state = _STATE.get(g.get("escalation", ""), "ESCALATED" if g.get("escalated") else "NOT ESCALATED")
        members = ", ".join(g.get("members", []))
        rule = f" [{g['severity']}, {g['rule']}]" if g.get("rule") and g.get("severity") else ""
        gid = f" {g['group_id']}" if g.get("group_id") else ""
        lines.append("")
        lines.append(f"  {state}{gid}: {plain(g.get('basis', '?'))} group of {len(g.get('members', []))} "
                     f"({members}), {g.get('first_date', '?')} to {g.get('last_date', '?')}{rule}")
        where = [f"settings {', '.join(g['settings'])}" if g.get("settings") else "",
                 f"areas {', '.join(g['areas'])}" if g.get("areas") else "",
                 f"met the definition on {g['met_definition_on']}" if g.get("met_definition_on") else "",
                 f"response {g['response_id']}" if g.get("response_id") else ""]
        if any(where):
            lines.append(f"      {'; '.join(w for w in where if w)}")
        for f in g.get("findings", []):
            if f.get("status") in ("met", "not_applicable"):
                continue
            flags = "".join(f" {x.upper()}" for x in (f.get("delta"), "waived" if f.get("waived") else None) if x)
            lines.append(f"      {f.get('status', 'gap').upper().replace('_', ' ')} [{f.get('severity')}]{flags} "
                         f"section {f['policy']['section']} ({f['policy'].get('clause', '')}) {f.get('rule', '')}")
            lines.append(f"        {f['message']}")
            note = waiver_note(f)
            if note:
                lines.append(f"        {note[0].upper()}{note[1:]}")
    return lines
