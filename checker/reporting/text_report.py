"""A readable summary per response with its gaps, for a terminal or an e-mail."""
from __future__ import annotations

from ..api import Report
from .rows import waiver_note

WIDTH = 78


def _section(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def render_text(report: Report) -> str:
    s = report.summary()
    rb = report.rulebook
    lines = [
        f"shg-check gap report, as of {report.as_of.isoformat()}",
        f"Rules: {rb.version} ({rb.directory})",
        f"Responses checked: {s['responses_checked']}; with gaps: {s['responses_with_gaps']}; "
        f"gaps: {sum(s['gaps_by_severity'].values())} "
        f"(high {s['gaps_by_severity']['high']}, medium {s['gaps_by_severity']['medium']}, "
        f"low {s['gaps_by_severity']['low']}); input errors: {s['input_errors']}",
    ]
    if report.groups is not None:
        states = [g.get("escalation") for g in report.groups]
        lines.append(f"Possible self-harm groups in the incident feeds: {len(report.groups)}; not escalated: "
                     f"{states.count('not_escalated')}; escalated late: {states.count('escalated_late')}; "
                     f"not yet due: {states.count('pending')}")
        lines += _groups(report)
    lines += _section("Responses")
    for r in report.responses:
        c = r.counts()
        lines.append("")
        lines.append(f"{r.response_id} ({r.status}, identified {r.identified_on}): "
                     f"{c['gap']} gap(s), {c['pending']} pending, {c['insufficient_data']} insufficient data, "
                     f"{c['met']} met, {c['not_applicable']} not applicable")
        for f in r.gaps():
            flags = "".join(f" {x.upper()}" for x in (f.delta, "waived" if f.waived else None) if x)
            lines.append(f"  GAP [{f.severity}]{flags} section {f.section} ({f.clause}) {f.rule}")
            lines.append(f"      {f.message}")
            note = waiver_note({"waived": f.waived, "waiver_expired": f.waiver_expired})
            if note:
                lines.append(f"      {note[0].upper()}{note[1:]}")
            if f.evidence:
                lines.append(f"      Evidence: {', '.join(f.evidence)}")
    if report.resolved:
        lines += _section(f"Resolved since {report.baseline['as_of']}")
        for res in report.resolved:
            lines.append(f"  {res.get('response_id') or res.get('group')} {res['rule']}: now {res['now']}")
    if report.input_errors:
        lines += _section("Input errors (these records were not checked)")
        for e in report.input_errors:
            where = f"line {e.line}, " if e.line else ""
            lines.append(f"  {e.source}: {where}record {e.record or '-'}, {e.path or '(whole record)'}: {e.message}")
    lines += _section("Parameters used")
    for p in rb.parameters.values():
        unit = f" {p.unit}" if p.unit and p.unit != "date" else ""
        lines.append(f"  {p.name} = {p.value}{unit}  [{p.source}]")
    return "\n".join(lines) + "\n"


def _groups(report: Report) -> list[str]:
    return render_groups(report.groups)


_STATE = {"escalated": "ESCALATED", "escalated_late": "ESCALATED LATE", "not_escalated": "NOT ESCALATED",
          "pending": "NOT YET ESCALATED (not yet due)", "insufficient_data": "ESCALATION NOT KNOWN",
          "not_checked": "NOT CHECKED FOR ESCALATION"}


_SEVERITY = {"high": 0, "medium": 1, "low": 2}
_ORDER = {"not_escalated": 0, "insufficient_data": 1, "pending": 2, "not_checked": 3, "escalated_late": 4,
          "escalated": 5}


def render_groups(groups: list[dict]) -> list[str]:
    """The section on possible groups: not escalated first, then by first episode; only pseudonymous ids."""
    lines = _section("Possible self-harm groups")
    groups = sorted(groups, key=lambda g: (bool(g.get("escalated")), _ORDER.get(g.get("escalation"), 9),
                                           _SEVERITY.get(g.get("severity"), 9), g.get("first_date", "")))
    if not groups:
        lines.append("  none found")
    for g in groups:
        state = _STATE.get(g.get("escalation", ""), "ESCALATED" if g.get("escalated") else "NOT ESCALATED")
        members = ", ".join(g.get("members", []))
        rule = f" [{g['severity']}, {g['rule']}]" if g.get("rule") and g.get("severity") else ""
        lines.append("")
        lines.append(f"  {state}: {g.get('basis', '?')} group of {len(g.get('members', []))} "
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
            lines.append(f"      {f.get('status', 'gap').upper().replace('_', ' ')} [{f.get('severity')}] "
                         f"section {f['policy']['section']} ({f['policy'].get('clause', '')}) {f.get('rule', '')}")
            lines.append(f"        {f['message']}")
    return lines
