"""The report of ``shg-check detect``: possible groups from incident feeds alone, as text or JSON."""
from __future__ import annotations

import json

from ..groups import GroupResult
from .text_report import render_groups


def render_detection(result: GroupResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    meta = result.meta()
    lines = [
        f"shg-check possible self-harm groups, as of {result.as_of.isoformat()}",
        f"Detection rules: {len(result.ruleset.rules)}, sha256 {result.ruleset.digest[:12]} ({result.ruleset.directory})",
        f"Incidents read: {meta['incidents_read']}; episodes of children counted: {meta['episodes_counted']}; "
        f"left out: {meta['left_out']['adult_at_episode']} at adult age, {meta['left_out']['after_as_of']} after "
        f"the as-of date; input errors: {len(result.input_errors)}",
        f"Possible groups: {len(result.groups)} (not checked for escalation: no response records were given)",
    ]
    lines += render_groups(result.group_dicts())
    if result.input_errors:
        lines += ["", "Input errors (these rows were not used)", "-" * 39]
        for e in result.input_errors:
            where = f"line {e.line}, " if e.line else ""
            lines.append(f"  {e.source}: {where}record {e.record or '-'}, {e.path or '(whole record)'}: {e.message}")
    lines += ["", "Parameters used", "-" * 15]
    for p in result.ruleset.parameters.values():
        unit = f" {p.unit}" if p.unit and p.unit != "date" else ""
        lines.append(f"  {p.name} = {p.value}{unit}  [{p.source}]")
    return "\n".join(lines) + "\n"
