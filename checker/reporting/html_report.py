"""HTML: one self-contained page for three readers (inline CSS and SVG; no script, no network).

* the partnership board: the headline (the one summary line, with the reason
  for the exit code), the share of applicable obligations met, the possible
  groups that need action by severity, and compliance by chapter section
  counted in responses;
* the quality lead: new / persisting / resolved / waived, the trend over the
  nights (with ``--history``), waivers to review;
* the auditor: every gap by severity, then one block per response with its
  timeline, its gaps in full (rule, obligation, message, where in the record,
  clauses), its advice, and folded: findings not yet due and insufficient data
  in full, met and not applicable findings as one line of rule references
  (``R12``). Text that is the same for every response is printed once: each
  rule (number, id, obligation, clause, and each distinct message of its met
  and not-applicable findings) in "Rules", each clause in "Clauses cited";
  findings link to them. Pointers that differ only in one list position are
  shown once (``young people #1–#21 › safety plan``). A heavy response takes
  about 11 KB (was 21 KB).

The page is streamed (:func:`iter_html`): Jinja2's ``generate`` writes it in
chunks, and each response's detail is built only when the template reaches it.

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
from typing import Iterator

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..api import SEVERITIES, Report
from ..policy import load_chapter, section_sort_key
from ..timeline import LABELS as EVENT_LABELS
from ..vocab import active
from .rows import SEVERITY_RANK, action_groups, sorted_groups, waiver_note
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


def _runs(numbers: list[int], fmt) -> str:
    """``[0, 1, 2, 5]`` -> ``fmt(0)–fmt(2), fmt(5)``: consecutive numbers as one run."""
    out, start, prev = [], None, None
    for n in sorted(set(numbers)) + [None]:
        if start is not None and (n is None or n != prev + 1):
            out.append(fmt(start) if start == prev else f"{fmt(start)}–{fmt(prev)}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(out)


def evidence_view(pointers: list[str]) -> list[dict]:
    """JSON pointers for the page: ``{"pointer", "words"}`` each, except that pointers differing only in one
    list position are shown once, with the positions as runs (``young people #1–#21 › safety plan``,
    pointer ``/young_people/{0-20}/safety_plan``)."""
    groups: dict[tuple, list[int]] = {}
    for pointer in pointers:
        segs = pointer.split("/")
        at = next((i for i, seg in enumerate(segs) if i > 1 and seg.isdigit() and str(int(seg)) == seg), None)
        if at is None:
            groups.setdefault((pointer, None), [])
        else:
            groups.setdefault(("/".join(segs[:at]), "/".join(segs[at + 1:])), []).append(int(segs[at]))
    out = []
    for (head, tail), positions in groups.items():
        if tail is None:
            out.append({"pointer": head, "words": plain_pointer(head)})
        elif len(set(positions)) == 1:
            pointer = f"{head}/{positions[0]}" + (f"/{tail}" if tail else "")
            out.append({"pointer": pointer, "words": plain_pointer(pointer)})
        else:
            words = f"{plain_pointer(head)} {_runs(positions, lambda n: f'#{n + 1}')}"
            words += f" › {plain_pointer(tail)}" if tail else ""
            pointer = f"{head}/{{{_runs(positions, str).replace('–', '-').replace(', ', ',')}}}" + (f"/{tail}" if tail else "")
            out.append({"pointer": pointer, "words": words})
    return out


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


class _Rules:
    """The rules the page cites, each described once in the "Rules" section, and the findings' compact references.

    Rules are numbered in the rulebook's order (R1, R2, ...: the same number every night for the same rules).
    A met or not-applicable finding with nothing of its own to show (no evidence, nothing missing, no delta or
    waiver) is shown in its response as a link ``R12`` to the one place that gives its rule, clause and message:
    each distinct message of a rule and status is printed once there (``r12-1``, ``r12-2``, ...). A rule whose
    messages of one status vary more than ``VARIANTS`` times shows the rest in full, in the response."""

    VARIANTS = 12

    def __init__(self, rulebook, clauses: "_Clauses"):
        self.clauses = clauses
        self.rule = {r.id: r for r in rulebook.rules}
        self.number = {r.id: i for i, r in enumerate(rulebook.rules, 1)}
        self.order = {r.id: i for i, r in enumerate(rulebook.rules)}
        self.seen: dict[str, dict] = {}             # rule id -> its entry in the Rules section
        self._variant: dict[tuple, str] = {}         # (rule, status, message) -> anchor
        self._per_status: dict[tuple, int] = {}      # (rule, status) -> variants so far

    def ref(self, f) -> dict:
        """The rule of finding ``f``: number, anchor, id (and the rule is listed in the Rules section)."""
        entry = self.seen.get(f.rule)
        if entry is None:
            n = self.number.get(f.rule)
            if n is None:  # (a finding of a rule not in this rulebook: numbered after the rulebook's)
                n = self.number[f.rule] = len(self.number) + 1
            entry = self.seen[f.rule] = {"n": n, "id": f.rule, "anchor": f"rule-{n}", "title": f.title,
                                        "section": f.section, "severity": f.severity,
                                        "clauses": self.clauses.cite([f.clause]), "variants": []}
        return entry

    def variant(self, f) -> str | None:
        """The anchor of this met / not applicable finding's message in the Rules section (None: show in full)."""
        key = (f.rule, f.status, f.message)
        anchor = self._variant.get(key)
        if anchor is None:
            count = self._per_status.get(key[:2], 0)
            if count >= self.VARIANTS:
                return None
            entry = self.ref(f)
            anchor = f"r{entry['n']}-{len(entry['variants']) + 1}"
            entry["variants"].append({"status": f.status, "message": f.message, "anchor": anchor})
            self._per_status[key[:2]] = count + 1
            self._variant[key] = anchor
        return anchor

    def listed(self) -> list[dict]:
        return sorted(self.seen.values(), key=lambda e: e["n"])


def _finding_view(f, rules: _Rules, chapter, clauses: _Clauses, full: bool) -> dict:
    rule = rules.rule.get(f.rule)
    codes = list(f.missing) + list(f.unknown) + list(f.pending)
    cited = [f.clause] + (bullets_for(rule, list(f.missing), chapter) if rule and f.status == "gap" else [])
    row = {"rule": f.rule, "ref": rules.ref(f), "status": f.status, "severity": f.severity, "section": f.section,
           "title": f.title, "message": plain_message(f.message, codes),
           "clauses": clauses.cite(cited, gap=f.status == "gap") if full else clauses.cite([f.clause]),
           "evidence": evidence_view(list(f.evidence)),
           "waived": bool(f.waived), "waiver_expired": bool(f.waiver_expired), "delta": f.delta or "",
           "waiver_note": waiver_note({"waived": f.waived, "waiver_expired": f.waiver_expired}),
           "version": ""}
    return row


def _compact(f) -> bool:
    """A finding shown as a reference to its rule: met or not applicable, with nothing of its own to show."""
    return (f.status in ("met", "not_applicable") and not f.evidence and not f.missing and not f.unknown
            and not f.pending and not f.delta and not f.waived and not f.waiver_expired)


def _version_key(f) -> tuple:
    return (f.judged_on or "", f.rule_version or "", f.chapter_version or "")


def _version_words(key: tuple) -> str:
    judged_on, rule_version, chapter_version = key
    if rule_version:
        return (f"judged on {judged_on} by the rule versions in force then (from {rule_version}, chapter version "
                f"{chapter_version})")
    return f"judged on {judged_on}: no version of the rule was in force then"


def _response_view(result, rules: _Rules, chapter, clauses: _Clauses, index: int) -> dict:
    findings = sorted(result.findings, key=lambda f: (STATUS_ORDER.get(f.status, 9), f.rule))
    versions: dict[tuple, list] = {}
    for f in findings:
        if f.judged_on:
            versions.setdefault(_version_key(f), []).append(f)
    main_version = max(versions, key=lambda k: len(versions[k])) if versions else None
    gaps, others, compact = [], [], {"met": [], "not_applicable": []}
    for f in findings:
        anchor = rules.variant(f) if _compact(f) and (not f.judged_on or _version_key(f) == main_version) else None
        if anchor:
            compact[f.status].append({"n": rules.ref(f)["n"], "anchor": anchor})
            continue
        view = _finding_view(f, rules, chapter, clauses, f.status == "gap")
        if f.judged_on and _version_key(f) != main_version:
            view["version"] = _version_words(_version_key(f))
        (gaps if f.status == "gap" else others).append(view)
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
    for refs in compact.values():
        refs.sort(key=lambda c: c["n"])
    counts = result.counts()
    return {"id": result.response_id, "anchor": f"response-{index}", "status": result.status,
            "identified_on": result.identified_on, "local_authority": result.local_authority or "",
            "counts": counts, "share": applicable_share(counts), "gaps": gaps,
            "others": [o for o in others if o["status"] != "advisory"],
            "advice": [o for o in others if o["status"] == "advisory"], "compact": compact,
            "folded": len(findings) - len(gaps) - sum(1 for o in others if o["status"] == "advisory"),
            "version": _version_words(main_version) if main_version else "",
            "timeline": timeline, "dots": sorted({t["x"] for t in timeline}),
            "high": sum(1 for g in gaps if g["severity"] == "high")}


def _table_row(result, index: int) -> dict:
    """A response's row in the table of responses."""
    counts = result.counts()
    gaps = [f for f in result.findings if f.status == "gap"]
    return {"id": result.response_id, "anchor": f"response-{index}", "status": result.status,
            "identified_on": result.identified_on, "local_authority": result.local_authority or "",
            "share": applicable_share(counts), "gaps": len(gaps),
            "high": sum(1 for f in gaps if f.severity == "high")}


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
    return "".join(iter_html(report))


CHUNK = 1 << 16  # characters written to the file at a time


def iter_html(report: Report) -> Iterator[str]:
    """The page of :func:`render_html` in chunks of about ``CHUNK`` characters: the template is streamed
    (Jinja2's ``generate``) and each response's detail is made only when the template reaches it."""
    chapter = load_chapter(getattr(report, "policy_file", None))
    model = report.summary_model()
    clauses = _Clauses(chapter)
    rules = _Rules(report.rulebook, clauses)
    totals: dict[str, int] = {}
    gaps = []
    for i, r in enumerate(report.responses, 1):
        for k, v in r.counts().items():
            totals[k] = totals.get(k, 0) + v
        for f in r.findings:
            if f.status == "gap":
                gaps.append((SEVERITY_RANK.get(f.severity, 9), r.response_id, f.rule, i, f))
    gaps.sort(key=lambda g: g[:3])  # (stable: findings of one response and rule keep their order)
    rows = [{"response_id": rid, "anchor": f"response-{i}", "rule": f.rule, "ref": rules.ref(f), "title": f.title,
             "section": f.section, "severity": f.severity, "delta": f.delta or "", "waived": bool(f.waived),
             "message": plain_message(f.message, list(f.missing) + list(f.unknown) + list(f.pending)),
             "waiver_expired": bool(f.waiver_expired),
             "waiver_note": waiver_note({"waived": f.waived, "waiver_expired": f.waiver_expired})}
            for _, rid, _, i, f in gaps]
    del gaps
    by_severity = [(s, [g for g in rows if g["severity"] == s]) for s in SEVERITIES]
    other = [g for g in rows if g["severity"] not in SEVERITIES]
    if other:
        by_severity.append(("other", other))
    groups = None
    other_groups = []
    if report.groups is not None:
        groups = [_group_view(g) for g in action_groups(report)]
        other_groups = [_group_view(g) for g in sorted_groups(report) if not any(
            isinstance(f, dict) and f.get("status") == "gap" for f in g.get("findings") or [])]
    waivers = report.waivers or {}
    table = (_table_row(r, i) for i, r in enumerate(report.responses, 1))
    details = (_response_view(r, rules, chapter, clauses, i) for i, r in enumerate(report.responses, 1))
    stream = _environment().get_template("report.html.j2").generate(
        report=report, s=model, chapter=chapter, rulebook=report.rulebook, share=applicable_share(totals),
        groups=groups, other_groups=other_groups, by_severity=by_severity, chart=section_chart(report, chapter),
        trend=trend_chart(getattr(report, "history", None)), table=table, responses=details, colours=COLOURS,
        resolved=[_resolved_view(r) for r in report.resolved or []],
        expired=[_waiver_view(w) for w in waivers.get("expired") or []],
        unused=[_waiver_view(w) for w in waivers.get("unused") or []],
        rules=rules, clauses=clauses, baseline_as_of=str((report.baseline or {}).get("as_of") or ""),
        pseudonymised=report.pseudonymisation is not None,
    )
    buffer: list[str] = []
    size = 0
    for piece in stream:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    yield "".join(buffer)
