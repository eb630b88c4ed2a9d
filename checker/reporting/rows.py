"""One flat view of a report's findings, shared by the CSV, Markdown, JUnit and HTML writers.

Rows come in a stable order: responses by id (findings in rule order), then
groups' findings, then resolved baseline gaps whose response was not checked
this time. Every row has ``kind`` (``response`` or ``group``). Group rows carry
the group's ``group_id`` (the same id as the JSON report's ``groups[].group_id``)
in ``group``, and in ``response_id`` the response that covers the group, if any.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..api import SEVERITIES, Report
from ..baseline import group_identity
from ..policy import section_sort_key

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
CHART_STATUSES = ("met", "gap", "pending", "insufficient_data")


def _row(**kw: Any) -> dict[str, Any]:
    base = {"kind": "response", "response_id": "", "group": "", "rule": "", "status": "", "severity": "", "section": "",
            "clause": "", "title": "", "message": "", "missing": [], "evidence": [], "waived": None,
            "waiver_expired": None, "delta": "", "judged_on": "", "rule_version": "", "chapter_version": ""}
    base.update({k: v for k, v in kw.items() if v is not None})
    return base


def group_finding_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for g in sorted_groups(report):
        for f in g.get("findings") or []:
            policy = f.get("policy") or {}
            rows.append(_row(kind="group", group=group_key(g), response_id=str(g.get("response_id") or ""),
                             rule=f.get("rule", ""), status=f.get("status", "gap"),
                             severity=f.get("severity", ""), section=str(policy.get("section", "")),
                             clause=policy.get("clause", ""), title=f.get("title", ""),
                             message=f.get("message", ""), missing=list(f.get("missing") or []),
                             evidence=list(f.get("evidence") or []), waived=f.get("waived"),
                             waiver_expired=f.get("waiver_expired"), delta=f.get("delta", "")))
    return rows


def finding_rows(report: Report) -> list[dict[str, Any]]:
    return list(iter_finding_rows(report))


def iter_finding_rows(report: Report) -> Iterator[dict[str, Any]]:
    """The rows of :func:`finding_rows`, one at a time (writers that stream never hold them all)."""
    for r in report.responses:
        yield from response_rows(r)
    yield from group_finding_rows(report)
    for res in report.resolved or []:
        if res.get("now") == "not_checked":
            yield _row(kind="group" if res.get("group") else "response",
                       response_id=res.get("response_id", ""), group=res.get("group_id") or res.get("group", ""),
                       rule=res["rule"], severity=res.get("severity", ""), section=res.get("section", ""),
                       clause=res.get("clause", ""), title=res.get("title", ""),
                       message="A gap in the baseline; this response or rule was not checked in this run.",
                       delta="resolved")


def response_rows(r) -> Iterator[dict[str, Any]]:
    """One response's findings as rows, in its findings' order (the keys and values of ``_row``)."""
    rid = r.response_id
    for f in r.findings:
        yield response_row(rid, f)


def response_row(rid: str, f) -> dict[str, Any]:
    return {"kind": "response", "response_id": rid, "group": "", "rule": f.rule, "status": f.status,
            "severity": f.severity, "section": f.section, "clause": f.clause, "title": f.title,
            "message": f.message, "missing": list(f.missing), "evidence": list(f.evidence), "waived": f.waived,
            "waiver_expired": f.waiver_expired, "delta": f.delta or "", "judged_on": f.judged_on or "",
            "rule_version": f.rule_version or "", "chapter_version": f.chapter_version or ""}


def gap_rows(report: Report) -> list[dict[str, Any]]:
    """Every current gap of the responses, most severe first, then by response and rule.

    Groups' gaps are left out: reports show them with their group (and the summary counts responses)."""
    rows = [response_row(r.response_id, f) for r in report.responses for f in r.findings if f.status == "gap"]
    return sorted(rows, key=lambda r: (SEVERITY_RANK.get(r["severity"], 9), r["response_id"], r["group"], r["rule"]))


def group_key(group: dict) -> str:
    """The group's id as the JSON report has it (``group_id``), or its identity when it has none."""
    gid = group.get("group_id")
    return gid if isinstance(gid, str) and gid else group_identity(group)


def sorted_groups(report: Report) -> list[dict]:
    """Groups needing action first (not escalated, escalated late), then by severity, first date and id."""
    from ..summary import group_needs_action

    return sorted(report.groups or [], key=lambda g: (not group_needs_action(g),
                                                      SEVERITY_RANK.get(g.get("severity"), 9),
                                                      str(g.get("first_date", "")), group_key(g)))


def action_groups(report: Report) -> list[dict]:
    """The groups with a gap (not escalated, or escalated late), most severe first."""
    from ..summary import group_needs_action

    return [g for g in sorted_groups(report) if group_needs_action(g)]


def gaps_by_section_severity(report: Report) -> list[tuple[str, dict[str, int]]]:
    """Per section, the responses' gaps by severity and how many are waived.

    Sections in section order; sections with the same sort key in the order of their first gap in
    :func:`gap_rows` (most severe first, then by response and rule), found without sorting every gap."""
    table: dict[str, dict[str, int]] = {}
    first: dict[str, tuple] = {}
    for r in report.responses:
        rid = r.response_id
        for f in r.findings:
            if f.status != "gap":
                continue
            section = f.section or "-"
            counts = table.get(section)
            if counts is None:
                counts = table[section] = {s: 0 for s in SEVERITIES} | {"waived": 0}
            if f.severity in counts:
                counts[f.severity] += 1
            if f.waived:
                counts["waived"] += 1
            key = (SEVERITY_RANK.get(f.severity, 9), rid, "", f.rule)
            if section not in first or key < first[section]:
                first[section] = key
    return sorted(table.items(), key=lambda kv: (section_sort_key(kv[0]), first[kv[0]]))


def waiver_note(row: dict[str, Any]) -> str:
    """Plain words for a row's waiver, or ''."""
    from ..pseudonymise import WITHHELD

    if row.get("waived"):
        w = row["waived"]
        if w.get("reason") == WITHHELD:
            return (f"waived until {w['expires_on']} (reason and approver withheld: a pseudonymised report does not "
                    "print text typed into the waivers file)")
        return f"waived until {w['expires_on']} by {w['approved_by']}: {w['reason']}"
    if row.get("waiver_expired"):
        w = row["waiver_expired"]
        if w.get("reason") == WITHHELD:
            return f"waiver expired on {w['expires_on']} (reason and approver are in the waivers file)"
        return f"waiver expired on {w['expires_on']} (was approved by {w['approved_by']}: {w['reason']})"
    return ""
