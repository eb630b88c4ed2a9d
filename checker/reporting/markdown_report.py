"""Markdown: an overview the partnership can read (summary, gaps by section and severity, gaps per response)."""
from __future__ import annotations

import re

from ..api import SEVERITIES, Report
from ..policy import load_chapter
from .rows import gap_rows, gaps_by_section_severity, unescalated_groups, waiver_note

_SPECIAL = re.compile(r"([\\`*{}\[\]<>|])")


def esc(value: object) -> str:
    """Text safe inside Markdown (tables included): specials escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


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
    return line


def render_markdown(report: Report) -> str:
    s = report.summary()
    rb = report.rulebook
    chapter = load_chapter()
    sev = s["gaps_by_severity"]
    total = sum(sev.values())
    out = [f"# Self-harm groups: compliance report as of {report.as_of.isoformat()}", "",
           f"Rules: {esc(rb.version)}.", "", "## Summary", "",
           "| | |", "|---|---|",
           f"| Responses checked | {s['responses_checked']} |",
           f"| Responses with gaps | {s['responses_with_gaps']} |",
           f"| Gaps | {total} (high {sev['high']}, medium {sev['medium']}, low {sev['low']}) |"]
    if report.waivers is not None:
        out.append(f"| Waived gaps | {s['gaps_waived']} |")
    if report.baseline is not None:
        out.append(f"| Since {esc(report.baseline['as_of'])} | {s['gaps_new']} new, {s['gaps_persisting']} "
                   f"persisting, {s['gaps_resolved']} resolved |")
    out += [f"| Pending (not yet due) | {s['findings']['pending']} |",
            f"| Insufficient data | {s['findings']['insufficient_data']} |",
            f"| Input errors (records not checked) | {s['input_errors']} |", ""]
    if report.groups is not None:
        groups = unescalated_groups(report)
        out += ["## Possible groups nobody has escalated", ""]
        if not groups:
            out.append("None found.")
        for g in groups:
            members = ", ".join(esc(m) for m in g.get("members") or [])
            out.append(f"- {esc(g.get('basis', '?'))}: {len(g.get('members') or [])} children ({members}), "
                       f"{esc(g.get('first_date', '?'))} to {esc(g.get('last_date', '?'))}")
            for f in g.get("findings") or []:
                flag = f" **{esc(f['delta']).upper()}**" if f.get("delta") else ""
                out.append(f"  - **{esc(f.get('severity', ''))}**{flag} {esc(f.get('message', ''))}")
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
    rows = gap_rows(report)
    by_response: dict[str, list[dict]] = {}
    for row in rows:
        by_response.setdefault(row["response_id"], []).append(row)
    if not by_response:
        out.append("No gaps.")
    for rid in sorted(by_response):
        out += [f"### {esc(rid)}", ""] + [_gap_line(r) for r in by_response[rid]] + [""]
    if report.resolved:
        out += [f"## Resolved since {esc(report.baseline['as_of'])}", ""]
        for res in report.resolved:
            who = res.get("response_id") or res.get("group", "")
            out.append(f"- {esc(who)} `{esc(res['rule'])}` (section {esc(res.get('section', ''))}): now "
                       f"{esc(res['now'].replace('_', ' '))}")
        out.append("")
    if report.waivers and (report.waivers["expired"] or report.waivers["unused"]):
        out += ["## Waivers to review", ""]
        for w in report.waivers["expired"]:
            out.append(f"- {esc(w['response_id'])} `{esc(w['rule'])}`: expired on {esc(w['expires_on'])}; "
                       "the gap counts again")
        for w in report.waivers["unused"]:
            out.append(f"- {esc(w['response_id'])} `{esc(w['rule'])}`: matches no current gap")
        out.append("")
    if report.input_errors:
        out += ["## Input errors (these records were not checked)", ""]
        for e in report.input_errors:
            out.append(f"- {esc(e.source)}, record {esc(e.record or '-')}, {esc(e.path or '(whole record)')}: "
                       f"{esc(e.message)}")
        out.append("")
    out += ["## Parameters used", "", "| Parameter | Value | Source |", "|---|---|---|"]
    for p in rb.parameters.values():
        unit = f" {p.unit}" if p.unit and p.unit != "date" else ""
        out.append(f"| {esc(p.name)} | {esc(f'{p.value}{unit}')} | {esc(p.source)} |")
    return "\n".join(out) + "\n"
