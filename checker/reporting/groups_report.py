"""The report of ``shg-check detect``: possible groups from incident feeds alone, as text or JSON."""
from __future__ import annotations

from .text_report import one_line, render_groups


def render_detection_text(report) -> str:
    """The text of ``shg-check detect`` from a Report (checker.api.detect_report): groups, then what was read."""
    meta = report.detection or {}
    model = report.summary_model()
    checked = meta.get("escalation_checked")
    left = meta.get("left_out") or {}
    lines = [
        f"shg-check possible self-harm groups, as of {report.as_of.isoformat()}",
        f"Detection rules: {len(meta.get('rules') or [])}, sha256 {str(meta.get('digest', ''))[:12]}",
        *([f"Versions: {model.versions}"] if model.versions else []),
        f"Summary: {model.line()}",
        f"Incidents read: {meta.get('incidents_read', 0)}; episodes of children counted: "
        f"{meta.get('episodes_counted', 0)}; left out: {left.get('adult_at_episode', 0)} at adult age, "
        f"{left.get('after_as_of', 0)} after the as-of date; input errors: {len(report.input_errors)}",
        f"Possible groups: {len(report.groups or [])}" + (
            f"; need action: {model.groups_needing_action}" if checked
            else " (not checked for escalation: no response records were given)"),
    ]
    lines += [f"NOTICE: {n}" for n in model.notices]
    lines += render_groups(report.groups or [])
    if report.input_errors:
        lines += ["", "Input errors (these rows were not used)", "-" * 39]
        for e in report.input_errors:
            where = f"line {e.line}, " if e.line else ""
            lines.append(f"  {e.source}: {where}record {e.record or '-'}, {e.path or '(whole record)'}: {e.message}")
    lines += ["", "Parameters used", "-" * 15]
    for p in report.rulebook.parameters.values():
        lines.append(f"  {p.name} = {p.shown()}  [{p.source}]")
    return "\n".join(one_line(line) for line in lines) + "\n"
