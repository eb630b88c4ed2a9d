"""HTML: one self-contained page for the partnership (inline CSS and SVG; no script, no network).

Rendered with Jinja2 (``checker/templates/report.html.j2``) with autoescaping on,
so nothing from a record can become markup. A Content-Security-Policy meta tag
forbids scripts and every external fetch. The page opens with the possible
groups nobody has escalated and the gaps by severity, then charts compliance
by chapter section, then gives each response its timeline and its findings,
each with the text of the clause it rests on (``policy/chapter.yaml``).
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..api import SEVERITIES, Report
from ..policy import load_chapter
from ..timeline import LABELS as EVENT_LABELS
from .rows import CHART_STATUSES, counts_by_section, gap_rows, unescalated_groups, waiver_note

STATUS_LABELS = {"met": "met", "gap": "gap", "pending": "pending", "not_applicable": "not applicable",
                 "insufficient_data": "insufficient data", "advisory": "advisory (not a gap)"}
STATUS_ORDER = {"gap": 0, "advisory": 1, "insufficient_data": 2, "pending": 3, "met": 4, "not_applicable": 5}
COLOURS = {"met": "#2e7d32", "gap": "#c62828", "pending": "#b26a00", "insufficient_data": "#6b6b6b"}
BAR = {"label_w": 330, "bar_w": 420, "row_h": 30, "bar_h": 18, "top": 34}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("checker", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    return env


def section_chart(report: Report, chapter) -> dict:
    """Geometry of the per-section stacked bars (met / gap / pending / insufficient data)."""
    rows = counts_by_section(report)
    biggest = max([sum(c[s] for s in CHART_STATUSES) for _, c in rows] + [1])
    bars = []
    for i, (section, counts) in enumerate(rows):
        y = BAR["top"] + i * BAR["row_h"]
        x = BAR["label_w"]
        segments = []
        for status in CHART_STATUSES:
            n = counts[status]
            if not n:
                continue
            w = round(BAR["bar_w"] * n / biggest, 1)
            segments.append({"status": status, "label": STATUS_LABELS[status], "n": n, "x": round(x, 1), "w": w,
                             "colour": COLOURS[status], "text_x": round(x + w / 2, 1)})
            x += w
        title = chapter.section_title(section)
        label = f"{section} {title}" if title else f"Section {section}"
        bars.append({"section": section, "label": label if len(label) <= 50 else label[:49] + "…",
                     "y": y, "segments": segments, "total": sum(counts[s] for s in CHART_STATUSES),
                     "end_x": round(x + 6, 1), "counts": counts})
    height = BAR["top"] + len(rows) * BAR["row_h"] + 10
    legend = [{"label": STATUS_LABELS[s], "colour": COLOURS[s], "x": BAR["label_w"] + i * 110}
              for i, s in enumerate(CHART_STATUSES)]
    return {"bars": bars, "height": height, "width": BAR["label_w"] + BAR["bar_w"] + 60, "legend": legend, **BAR}


def _also(rulebook, rule_id: str) -> list[str]:
    try:
        return list(rulebook.by_id(rule_id).also)
    except KeyError:
        return []


def _response_view(result, chapter, rulebook) -> dict:
    findings = sorted(result.findings, key=lambda f: (STATUS_ORDER.get(f.status, 9), f.rule))
    view = []
    for f in findings:
        row = {"rule": f.rule, "status": f.status, "severity": f.severity, "section": f.section,
               "clause": f.clause, "title": f.title, "message": f.message, "missing": f.missing,
               "evidence": f.evidence, "waived": f.waived, "waiver_expired": f.waiver_expired,
               "delta": f.delta or "", "clause_text": chapter.clause_text(f.clause),
               "section_title": chapter.section_title(f.section), "also": _also(rulebook, f.rule)}
        row["waiver_note"] = waiver_note(row)
        view.append(row)
    timeline = []
    first = result.timeline[0]["date"] if result.timeline else None
    if first:
        start = dt.date.fromisoformat(first)
        for e in result.timeline:
            day = (dt.date.fromisoformat(e["date"]) - start).days
            timeline.append({"label": EVENT_LABELS.get(e["event"], e["event"]), "date": e["date"], "day": day})
    span = max([t["day"] for t in timeline] + [1])
    for t in timeline:
        t["x"] = round(10 + 580 * t["day"] / span, 1)
    return {"id": result.response_id, "status": result.status, "identified_on": result.identified_on,
            "local_authority": result.local_authority, "counts": result.counts(),
            "gaps": [v for v in view if v["status"] == "gap"],
            "others": [v for v in view if v["status"] != "gap"], "timeline": timeline}


def _group_view(group: dict) -> dict:
    """A group as the template reads it, whatever optional keys the detector filled in."""
    basis = group.get("basis", "")
    return {"members": [str(m) for m in group.get("members") or []],
            "basis": basis if isinstance(basis, str) else json.dumps(basis, sort_keys=True, ensure_ascii=False),
            "first_date": str(group.get("first_date") or ""), "last_date": str(group.get("last_date") or ""),
            "findings": [{"severity": str(f.get("severity") or ""), "delta": str(f.get("delta") or ""),
                          "message": str(f.get("message") or ""), "waived": bool(f.get("waived"))}
                         for f in group.get("findings") or [] if isinstance(f, dict)]}


def render_html(report: Report) -> str:
    chapter = load_chapter()
    gaps = gap_rows(report)
    for g in gaps:
        g["waiver_note"] = waiver_note(g)
        g["clause_text"] = chapter.clause_text(g["clause"])
    by_severity = [(s, [g for g in gaps if g["severity"] == s]) for s in SEVERITIES]
    other = [g for g in gaps if g["severity"] not in SEVERITIES]
    if other:
        by_severity.append(("other", other))
    return _environment().get_template("report.html.j2").render(
        report=report, summary=report.summary(), chapter=chapter, rulebook=report.rulebook,
        groups=[_group_view(g) for g in unescalated_groups(report)] if report.groups is not None else None,
        escalated_groups=sum(1 for g in report.groups or [] if g.get("escalated")),
        by_severity=by_severity, gap_total=len(gaps), chart=section_chart(report, chapter),
        responses=[_response_view(r, chapter, report.rulebook) for r in report.responses], colours=COLOURS,
    )
