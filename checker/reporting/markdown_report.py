"""Markdown: an overview the partnership can read (summary, gaps by section and severity, gaps per response)."""
from __future__ import annotations

import itertools
import re
from typing import Iterator

from ..api import SEVERITIES, Report
from ..policy import load_chapter
from ..summary import selection_words
from .rows import (SEVERITY_RANK, action_groups, gaps_by_section_severity, iter_finding_rows, response_row,
                   waiver_note)
from .text_report import one_line
from .words import plain

_SPECIAL = re.compile(r"([\\`*{}\[\]<>|])")


def esc(value: object) -> str:
    """Text safe inside Markdown (tables included): specials escaped, one line."""
    return _SPECIAL.sub(r"\\\1", one_line(" ".join(str(value).split())))


def _gap_line(row: dict) -> str:
    flags = []
    if row["delta"]:
        flags.append(row["delta"].upper())
    if row["waived"]:
        flags.append("WAIVED")
    flag = f" **{' / '.join(flags)}**" if flags else ""
    line = (f"- **{esc(row['severity'])}**{flag} `{esc(row['rule'])}` (section {esc(row['section'])}, "
            f"clause {esc(row['clause'])}): {esc(row['message'])}")
    note = waiver_note(row)
    if note:
        line += f" *({esc(note)})*"
    if row.get("rule_version"):
        line += f" *(rule version from {esc(row['rule_version'])}, judged on {esc(row.get('judged_on', ''))})*"
    return line


def render_markdown(report: Report) -> str:
    return "".join(iter_markdown(report))


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _response_gap_rows(responses: list) -> list[dict]:
    """The gap rows of responses sharing one id, in the order gap_rows gives them."""
    rows = [response_row(r.response_id, f) for r in responses for f in r.findings if f.status == "gap"]
    return sorted(rows, key=lambda r: (SEVERITY_RANK.get(r["severity"], 9), r["rule"]))


def iter_markdown(report: Report) -> Iterator[str]:
    """The text of :func:`render_markdown` in chunks: the overview, then one response's gaps at a time."""
    m = report.summary_model()
    rb = report.rulebook
    chapter = load_chapter(getattr(report, "policy_file", None))
    sev = m.gaps_by_severity
    out = [f"# Self-harm groups: compliance report as of {report.as_of.isoformat()}", "",
           f"Rules: {esc(rb.version)}.", ""]
    if m.versions:
        out += [f"Versions: {esc(m.versions)}; each response is judged by the rules in force on its "
                "identification date.", ""]
    for n in m.notices:
        out += [f"> **Notice:** {esc(n)}", ""]
    if m.first_night:
        out += ["> **Notice:** first night: no baseline yet, so no gap is marked new or persisting.", ""]
    out += ["## Summary", "", f"**{esc(m.line())}**", "",
            "| | |", "|---|---|",
            f"| Responses checked | {m.responses_checked} |",
            f"| Responses with gaps | {m.responses_with_gaps} |",
            f"| Gaps | {m.gaps} (high {sev['high']}, medium {sev['medium']}, low {sev['low']}): "
            f"{m.gaps_in_responses} in responses, {m.gaps_in_groups} in possible groups |"]
    if m.groups is not None:
        out.append(f"| Possible groups | {m.groups}, of which {m.groups_needing_action} need action |")
    if m.waivers_given:
        out.append(f"| Waived gaps | {m.gaps_waived} ({m.gaps_waiver_expired} with an expired waiver) |")
    if m.baseline_given and not m.first_night:
        out.append(f"| Since {esc(report.baseline['as_of'])} | {m.gaps_new} new, {m.gaps_persisting} "
                   f"persisting, {m.gaps_resolved} resolved |")
    out += [f"| Pending (not yet due) | {m.findings.get('pending', 0)} |",
            f"| Insufficient data | {m.findings.get('insufficient_data', 0)} |"]
    if m.advisory:
        out.append(f"| Advice (never a gap) | {m.advisory} |")
    out += [f"| Input errors (records not checked) | {m.input_errors} |",
            f"| Exit code | {m.exit_code}: {esc(m.reason)} |", ""]
    if report.groups is not None:
        groups = action_groups(report)
        out += ["## Possible groups needing action (not escalated, or escalated late)", ""]
        if not groups:
            out.append("None found.")
        for g in groups:
            members = ", ".join(esc(x) for x in g.get("members") or [])
            resp = f", response {esc(g['response_id'])}" if g.get("response_id") else ""
            out.append(f"- `{esc(g.get('group_id', ''))}` **{esc(g.get('severity', ''))}** "
                       f"{esc(plain(g.get('escalation', '')))}: {esc(plain(g.get('basis', '?')))}, "
                       f"{len(g.get('members') or [])} children ({members}), "
                       f"{esc(g.get('first_date', '?'))} to {esc(g.get('last_date', '?'))}{resp}")
            for f in g.get("findings") or []:
                if f.get("status") != "gap":
                    continue
                flags = [x.upper() for x in (f.get("delta"),) if x] + (["WAIVED"] if f.get("waived") else [])
                flag = f" **{esc(' / '.join(flags))}**" if flags else ""
                line = f"  - **{esc(f.get('severity', ''))}**{flag} {esc(f.get('message', ''))}"
                note = waiver_note(f)
                if note:
                    line += f" *({esc(note)})*"
                out.append(line)
        out.append("")
    out += ["## Gaps by section and severity", ""]
    table = gaps_by_section_severity(report)
    if table:
        out += ["| Section | " + " | ".join(SEVERITIES) + " | waived |", "|---" * (len(SEVERITIES) + 2) + "|"]
        for section, counts in table:
            title = chapter.section_title(section)
            name = f"{esc(section)} {esc(title)}".strip()
            out.append(f"| {name} | " + " | ".join(str(counts[k]) for k in SEVERITIES) + f" | {counts['waived']} |")
    else:
        out.append("No gaps.")
    out += ["", "## Gaps by response", ""]
    # response id -> the positions in report.responses (usually one) of the responses with a gap; positions, not
    # the results: kept results may be spooled (checker/kept.py), and holding them would hold them all
    by_response: dict[str, list[int]] = {}
    for at, r in enumerate(report.responses):
        if any(f.status == "gap" for f in r.findings):
            by_response.setdefault(r.response_id, []).append(at)
    if not by_response:
        out.append("No gaps.")
    yield _text(out)
    for rid in sorted(by_response):
        responses = [report.responses[at] for at in by_response[rid]]
        yield _text([f"### {esc(rid)}", ""] + [_gap_line(r) for r in _response_gap_rows(responses)] + [""])
    del by_response
    advice = (r for r in iter_finding_rows(report) if r["status"] == "advisory")
    first = next(advice, None)
    out = []
    if first is not None:
        yield _text(["## Advice (may / should / indicative clauses: never a gap)", ""])
        for r in itertools.chain((first,), advice):
            out.append(f"- {esc(r['response_id'] or r['group'])} `{esc(r['rule'])}` (section {esc(r['section'])}, "
                       f"clause {esc(r['clause'])}): {esc(r['message'])}")
            if len(out) >= 500:
                yield _text(out)
                out = []
        out.append("")
    if report.resolved:
        out += [f"## Resolved since {esc(report.baseline['as_of'])}", ""]
        for res in report.resolved:
            who = res.get("response_id") or res.get("group_id") or res.get("group", "")
            out.append(f"- {esc(who)} `{esc(res['rule'])}` (section {esc(res.get('section', ''))}): now "
                       f"{esc(plain(res['now']))}")
        out.append("")
    if report.waivers and (report.waivers["expired"] or report.waivers["unused"]):
        out += ["## Waivers to review", ""]
        for w in report.waivers["expired"]:
            out.append(f"- {esc(w.get('response_id') or w.get('group'))} `{esc(w['rule'])}`: expired on "
                       f"{esc(w['expires_on'])}; the gap counts again")
        for w in report.waivers["unused"]:
            out.append(f"- {esc(w.get('response_id') or w.get('group'))} `{esc(w['rule'])}`: matches no current gap")
        out.append("")
    if m.selection:
        out += ["## Selection", "", esc(selection_words(m.selection)), ""]
    if report.input_errors:
        out += ["## Input errors (these records were not checked)", ""]
        for e in report.input_errors:
            out.append(f"- {esc(e.source)}, record {esc(e.record or '-')}, {esc(e.path or '(whole record)')}: "
                       f"{esc(e.message)}")
        out.append("")
    out += ["## Parameters used", "", "| Parameter | Value | Source |", "|---|---|---|"]
    for p in rb.parameters.values():
        out.append(f"| {esc(p.name)} | {esc(p.shown())} | {esc(p.source)} |")
    yield _text(out)
