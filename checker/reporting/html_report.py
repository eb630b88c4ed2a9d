"""HTML: one self-contained page for three readers (inline CSS and SVG; no script, no network).

* the partnership board: the headline (the one summary line, with the reason
  for the exit code), the share of applicable obligations met, the possible
  groups that need action by severity, and compliance by chapter section
  counted in responses;
* the quality lead: new / persisting / resolved / waived, the trend over the
  nights (with ``--history``), waivers to review;
* the auditor: every gap by severity, then one block per response with its
  timeline, its gaps and the other findings (folded), each citing the clause it
  rests on. Clause text is printed once, in "Clauses cited" at the end, and
  each finding links to it: a report over thousands of responses stays small.

Share of applicable obligations met = met ÷ (met + gap + insufficient data):
pending (not yet due), not applicable and advice are left out.

Filters (all responses / with gaps / open / closed) are radio buttons read
by CSS alone, so they work from the keyboard with no script (the
Content-Security-Policy forbids scripts and every fetch). A print stylesheet
prints the summary, groups, gaps and the responses with gaps, without the
folded findings, filters and navigation.

Rendered with Jinja2 (``checker/templates/report.html.j2``) with autoescaping on,
so nothing from a record can become markup.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..api import SEVERITIES, Report
from ..policy import load_chapter, section_sort_key
from ..timeline import LABELS as EVENT_LABELS
from ..vocab import active
from .rows import action_groups, gap_rows, sorted_groups, waiver_note
from .words import count, plain

STATUS_ORDER = {"gap": 0, "insufficient_data": 1, "pending": 2, "advisory": 3, "met": 4, "not_applicable": 5}
COLOURS = {"met": "#2e7d32", "gap": "#c62828", "pending": "#b26a00", "insufficient_data": "#6b6b6b",
           "not_applicable": "#b0b0b8", "high": "#7f0000", "medium": "#c25e00", "low": "#5f6b7a"}
SECTION_STATES = ("met", "gap", "insufficient_data", "pending")
BAR = {"label_w": 300, "bar_w": 440, "row_h": 28, "bar_h": 18, "top": 34}
_WORD = re.compile(r"[a-z]{4,}")
_STOP = {"with", "from", "that", "this", "their", "lead", "officer", "include", "appropriate", "and/or"}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("checker", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["plain"] = plain
    env.globals["count"] = count
    return env


def applicable_share(counts: dict[str, int]) -> dict:
    judged = counts.get("met", 0) + counts.get("gap", 0) + counts.get("insufficient_data", 0)
    met = counts.get("met", 0)
    return {"met": met, "of": judged, "pct": round(100 * met / judged) if judged else None}


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def bullets_for(rule, codes: list[str], chapter) -> list[str]:
    """The clause of each missing code: the bullet of the rule's list clause whose words best match the code's label."""
    candidates = [c for c in (getattr(rule, "also", ()) or ()) if chapter.clause_text(c)]
    out: list[str] = []
    for code in codes:
        label = active().labels.get(code, code.replace("_", " "))
        want = _words(label)
        best, score = None, 0
        for cid in candidates:
            s = len(want & _words(chapter.clause_text(cid)))
            if s > score:
                best, score = cid, s
        if best and (score >= 2 or (score == 1 and len(want) == 1)) and best not in out:
            out.append(best)
    return sorted(out, key=candidates.index)


def plain_message(message: str, codes: list[str]) -> str:
    """A finding's message without the raw codes in brackets after their labels."""
    for code in codes:
        message = message.replace(f" ({code})", "")
    return message


def plain_pointer(pointer: str) -> str:
    """``/meetings/0/attendees`` -> ``meetings #1 › attendees``."""
    parts = []
    for seg in pointer.strip("/").split("/"):
        if seg.isdigit():
            parts[-1:] = [f"{parts[-1] if parts else ''} #{int(seg) + 1}".strip()]
        elif seg:
            parts.append(seg.replace("_", " "))
    return " › ".join(parts) or "the whole record"


def _rule(rulebook, rule_id: str):
    try:
        return rulebook.by_id(rule_id)
    except KeyError:
        return None


class _Clauses:
    """Clauses cited in the page, each printed once at the end."""

    def __init__(self, chapter):
        self.chapter = chapter
        self.cited: dict[str, str] = {}
        self.by_gap: set[str] = set()   # the printed report lists only these

    def cite(self, clause_ids: list[str], gap: bool = False) -> list[dict]:
        out = []
        for cid in clause_ids:
            if not cid:
                continue
            text = self.chapter.clause_text(cid)
            self.cited.setdefault(cid, text)
            if gap:
                self.by_gap.add(cid)
            out.append({"id": cid, "anchor": "clause-" + re.sub(r"[^A-Za-z0-9.-]", "-", cid), "known": bool(text)})
        return out

    def listed(self) -> list[dict]:
        keyed = sorted(self.cited.items(), key=lambda kv: (section_sort_key(kv[0].split("-")[0]), kv[0]))
        return [{"id": cid, "anchor": "clause-" + re.sub(r"[^A-Za-z0-9.-]", "-", cid), "text": text,
                 "by_gap": cid in self.by_gap} for cid, text in keyed]


def _finding_view(f, rulebook, chapter, clauses: _Clauses, full: bool) -> dict:
    rule = _rule(rulebook, f.rule)
    codes = list(f.missing) + list(f.unknown) + list(f.pending)
    cited = [f.clause] + (bullets_for(rule, list(f.missing), chapter) if rule and f.status == "gap" else [])
    row = {"rule": f.rule, "status": f.status, "severity": f.severity, "section": f.section, "title": f.title,
           "message": plain_message(f.message, codes), "raw_message": f.message,
           "clauses": clauses.cite(cited, gap=f.status == "gap") if full else clauses.cite([f.clause]),
           "evidence": [{"pointer": e, "words": plain_pointer(e)} for e in f.evidence],
           "waived": bool(f.waived), "waiver_expired": bool(f.waiver_expired), "delta": f.delta or "",
           "waiver_note": waiver_note({"waived": f.waived, "waiver_expired": f.waiver_expired}),
           "judged_on": f.judged_on or "", "rule_version": f.rule_version or "",
           "chapter_version": f.chapter_version or ""}
    return row


def _response_view(result, rulebook, chapter, clauses: _Clauses, index: int) -> dict:
    findings = sorted(result.findings, key=lambda f: (STATUS_ORDER.get(f.status, 9), f.rule))
    gaps = [_finding_view(f, rulebook, chapter, clauses, True) for f in findings if f.status == "gap"]
    others = [_finding_view(f, rulebook, chapter, clauses, False) for f in findings if f.status != "gap"]
    timeline = []
    first = result.timeline[0]["date"] if result.timeline else None
    if first:
        start = dt.date.fromisoformat(first)
        for e in result.timeline:
            day = (dt.date.fromisoformat(e["date"]) - start).days
            timeline.append({"label": EVENT_LABELS.get(e["event"], plain(e["event"])), "date": e["date"], "day": day})
    span = max([t["day"] for t in timeline] + [1])
    for t in timeline:
        t["x"] = round(10 + 580 * t["day"] / span, 1)
    counts = result.counts()
    return {"id": result.response_id, "anchor": f"response-{index}", "status": result.status,
            "identified_on": result.identified_on, "local_authority": result.local_authority or "",
            "counts": counts, "share": applicable_share(counts), "gaps": gaps, "others": others,
            "advice": [o for o in others if o["status"] == "advisory"], "timeline": timeline,
            "high": sum(1 for g in gaps if g["severity"] == "high")}


def section_chart(report: Report, chapter) -> dict:
    """Per chapter section, how many responses have all its applicable obligations met, a gap, insufficient data,
    or only obligations not yet due (the worst finding of the section decides); the rest: not applicable."""
    table: dict[str, dict[str, int]] = {}
    for rule in report.rulebook.rules:
        table.setdefault(rule.section, {s: 0 for s in SECTION_STATES + ("not_applicable",)})
    for r in report.responses:
        states: dict[str, set[str]] = {}
        for f in r.findings:
            states.setdefault(f.section, set()).add(f.status)
        for section, seen in states.items():
            row = table.setdefault(section, {s: 0 for s in SECTION_STATES + ("not_applicable",)})
            state = next((s for s in ("gap", "insufficient_data", "pending", "met") if s in seen), "not_applicable")
            row[state] += 1
    rows = sorted(table.items(), key=lambda kv: section_sort_key(kv[0]))
    total = max(len(report.responses), 1)
    bars = []
    for i, (section, counts) in enumerate(rows):
        y = BAR["top"] + i * BAR["row_h"]
        x = BAR["label_w"]
        segments = []
        for status in ("met", "gap", "insufficient_data", "pending"):
            n = counts[status]
            if not n:
                continue
            w = round(BAR["bar_w"] * n / total, 1)
            segments.append({"status": status, "label": plain(status), "n": n, "x": round(x, 1), "w": w,
                             "colour": COLOURS[status], "text_x": round(x + w / 2, 1)})
            x += w
        title = chapter.section_title(section)
        label = f"{section} {title}" if title else f"Section {section}"
        bars.append({"section": section, "title": title, "label": label if len(label) <= 44 else label[:43] + "…",
                     "y": y, "segments": segments, "counts": counts,
                     "applicable": sum(counts[s] for s in SECTION_STATES)})
    height = BAR["top"] + len(rows) * BAR["row_h"] + 10
    legend = [{"label": plain(s), "colour": COLOURS[s], "x": BAR["label_w"] + i * 130}
              for i, s in enumerate(("met", "gap", "insufficient_data", "pending"))]
    return {"bars": bars, "height": height, "width": BAR["label_w"] + BAR["bar_w"] + 20, "legend": legend,
            "responses": len(report.responses), **BAR}


def trend_chart(history: dict | None) -> dict | None:
    """Stacked bars of gaps by severity per night, from ``report.history`` (checker/history.py)."""
    if not history or not history.get("runs"):
        return None
    runs = history["runs"][-30:]
    top = max([r["gaps"] for r in runs] + [1])
    width, height, left, bottom = 760, 200, 40, 170
    step = (width - left - 10) / len(runs)
    bars = []
    for i, r in enumerate(runs):
        x = left + i * step + step * 0.15
        y = bottom
        segs = []
        for sev in SEVERITIES:
            n = r.get(f"gaps_{sev}") or 0
            h = round(140 * n / top, 1)
            y -= h
            if n:
                segs.append({"severity": sev, "n": n, "y": round(y, 1), "h": h, "colour": COLOURS[sev]})
        bars.append({"x": round(x, 1), "w": round(step * 0.7, 1), "segs": segs, "as_of": r["as_of"],
                     "gaps": r["gaps"], "label_x": round(x + step * 0.35, 1), "new": r.get("gaps_new"),
                     "resolved": r.get("gaps_resolved")})
    return {"bars": bars, "width": width, "height": height, "bottom": bottom, "top": top, "left": left,
            "ttr": history.get("time_to_resolve") or {}, "label_every": max(1, len(runs) // 8)}


def _group_view(g: dict) -> dict:
    return {"id": str(g.get("group_id") or ""), "members": [str(m) for m in g.get("members") or []],
            "basis": plain(g.get("basis") or ""), "severity": str(g.get("severity") or ""),
            "state": plain(g.get("escalation") or "not_checked"), "response_id": str(g.get("response_id") or ""),
            "first_date": str(g.get("first_date") or ""), "last_date": str(g.get("last_date") or ""),
            "findings": [{"severity": str(f.get("severity") or ""), "delta": str(f.get("delta") or ""),
                          "message": str(f.get("message") or ""), "waived": bool(f.get("waived")),
                          "waiver_note": waiver_note(f)}
                         for f in g.get("findings") or [] if isinstance(f, dict) and f.get("status") == "gap"]}


def _resolved_view(res: dict) -> dict:
    return {"who": str(res.get("response_id") or res.get("group_id") or res.get("group") or ""),
            "rule": str(res.get("rule") or ""), "title": str(res.get("title") or res.get("rule") or ""),
            "section": str(res.get("section") or ""), "now": plain(res.get("now") or "not_checked")}


def _waiver_view(w: dict) -> dict:
    return {"who": str(w.get("response_id") or w.get("group") or ""), "rule": str(w.get("rule") or ""),
            "expires_on": str(w.get("expires_on") or "")}


def render_html(report: Report) -> str:
    chapter = load_chapter(getattr(report, "policy_file", None))
    model = report.summary_model()
    clauses = _Clauses(chapter)
    responses = [_response_view(r, report.rulebook, chapter, clauses, i)
                 for i, r in enumerate(report.responses, 1)]
    by_id = {r["id"]: r for r in responses}
    gaps = gap_rows(report)
    for g in gaps:
        view = next((x for x in by_id[g["response_id"]]["gaps"] if x["rule"] == g["rule"]), None) \
            if g["response_id"] in by_id else None
        g["view"] = view
        g["anchor"] = by_id[g["response_id"]]["anchor"] if g["response_id"] in by_id else ""
    by_severity = [(s, [g for g in gaps if g["severity"] == s]) for s in SEVERITIES]
    other = [g for g in gaps if g["severity"] not in SEVERITIES]
    if other:
        by_severity.append(("other", other))
    totals: dict[str, int] = {}
    for r in report.responses:
        for k, v in r.counts().items():
            totals[k] = totals.get(k, 0) + v
    groups = None
    other_groups = []
    if report.groups is not None:
        groups = [_group_view(g) for g in action_groups(report)]
        other_groups = [_group_view(g) for g in sorted_groups(report) if not any(
            isinstance(f, dict) and f.get("status") == "gap" for f in g.get("findings") or [])]
    waivers = report.waivers or {}
    return _environment().get_template("report.html.j2").render(
        report=report, s=model, chapter=chapter, rulebook=report.rulebook, share=applicable_share(totals),
        groups=groups, other_groups=other_groups, by_severity=by_severity, chart=section_chart(report, chapter),
        trend=trend_chart(getattr(report, "history", None)), responses=responses, colours=COLOURS,
        resolved=[_resolved_view(r) for r in report.resolved or []],
        expired=[_waiver_view(w) for w in waivers.get("expired") or []],
        unused=[_waiver_view(w) for w in waivers.get("unused") or []],
        clauses=clauses.listed(), baseline_as_of=str((report.baseline or {}).get("as_of") or ""),
        pseudonymised=report.pseudonymisation is not None,
    )
