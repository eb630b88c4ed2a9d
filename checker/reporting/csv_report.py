"""CSV for spreadsheet users: by default one row per gap (``--csv-rows all``: one row per finding).

Gap rows are responses' and groups' gaps, then the baseline's gaps resolved
since (``delta`` resolved). The file starts with a UTF-8 byte-order mark, so
Excel shows accented letters and dashes right.

Notices a reader must not miss (a baseline from another ruleset, a first
night, a selection of responses) come first, as rows of kind ``notice`` with
the text in ``message``.

Columns, in the order an auditor sorts by: kind (response | group),
response_id (for a group: the response that covers it, if any), group_id
(the same id as the JSON report's ``groups[].group_id``), response_status
(open | closed), identified_on, local_authority, severity, status, delta
(new | persisting | resolved, with --baseline), section, clause, rule, title,
message, missing (codes joined with ';'), evidence (JSON pointers joined with
';'), waived (yes/no), waiver_expires_on, waiver_expired (yes/no),
waiver_approved_by, waiver_reason, clause_text (the chapter's words).

Safe to open in a spreadsheet: a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with an apostrophe, so it is shown as
text and never run as a formula.
"""
from __future__ import annotations

import csv
import io
from typing import Iterator

from ..api import Report
from ..policy import load_chapter
from ..summary import group_not_checked
from .rows import iter_finding_rows

COLUMNS = ("kind", "response_id", "group_id", "response_status", "identified_on", "local_authority", "severity",
           "status", "delta", "section", "clause", "rule", "title", "message", "missing", "evidence", "waived",
           "waiver_expires_on", "waiver_expired", "waiver_approved_by", "waiver_reason", "clause_text",
           # effective dating (issue 11): the date the rule version was chosen by, and that version
           "judged_on", "rule_version", "chapter_version")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralise(value: str) -> str:
    """A cell a spreadsheet will show as text: formula-like values get a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_rows(report: Report, which: str | None = None) -> list[dict]:
    """The rows the CSV holds: gaps (and resolved baseline gaps), or every finding with ``which='all'``."""
    return list(iter_csv_rows(report, which))


def iter_csv_rows(report: Report, which: str | None = None) -> Iterator[dict]:
    """The rows of :func:`csv_rows`, one at a time."""
    which = which or getattr(report, "csv_rows", "gaps")
    rows = iter_finding_rows(report)
    if which == "all":
        return rows
    return (r for r in rows if r["status"] == "gap" or r["delta"] == "resolved")


CHUNK_ROWS = 500  # rows written to the file at a time


def render_csv(report: Report) -> str:
    return "".join(iter_csv(report))


def iter_csv(report: Report) -> Iterator[str]:
    """The text of :func:`render_csv` in chunks of about ``CHUNK_ROWS`` rows (streamed to a file)."""
    chapter = load_chapter(getattr(report, "policy_file", None))
    # (only what a row needs of its response: the results may be spooled, never all held at once; checker/kept.py)
    responses = {r.response_id: (r.status, r.identified_on, r.local_authority or "") for r in report.responses}
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    model = report.summary_model()
    notices = list(model.notices) + (["first night: no baseline yet, so no gap is marked new or persisting"]
                                     if model.first_night else [])
    for text in notices:  # what a reader must not miss comes first, as rows of kind "notice"
        writer.writerow([neutralise(c) for c in ["notice"] + [""] * 12 + [text] + [""] * 11])
    for g in report.groups or []:   # found without response records (detect): one row each, needing a look
        if group_not_checked(g):
            members = g.get("members") or []
            writer.writerow([neutralise(str(c)) for c in [
                "group", "", g.get("group_id", ""), "", "", ";".join(g.get("areas") or []), g.get("severity", ""),
                "not_checked", "", "1", (g.get("policy") or {}).get("clause", ""), g.get("rule", ""),
                f"Possible self-harm group ({str(g.get('basis', '')).replace('_', ' ')})",
                f"Possible group of {len(members)} children ({', '.join(members)}), {g.get('first_date', '')} to "
                f"{g.get('last_date', '')}: not checked for escalation (no response records given).",
                ";".join(members), "", "no", "", "no", "", "", "", "", "", ""]])
    written = 0
    for row in iter_csv_rows(report):
        resp_status, resp_identified_on, resp_area = responses.get(row["response_id"], ("", "", ""))
        waiver = row["waived"] or row["waiver_expired"] or {}
        cells = [row["kind"], row["response_id"], row["group"] if row["kind"] == "group" else "",
                 resp_status, resp_identified_on, resp_area, row["severity"], row["status"] or "not_checked",
                 row["delta"], row["section"], row["clause"], row["rule"], row["title"], row["message"],
                 ";".join(row["missing"]), ";".join(row["evidence"]), "yes" if row["waived"] else "no",
                 waiver.get("expires_on", ""), "yes" if row["waiver_expired"] else "no",
                 waiver.get("approved_by", ""), waiver.get("reason", ""), chapter.clause_text(row["clause"]),
                 row.get("judged_on", ""), row.get("rule_version", ""), row.get("chapter_version", "")]
        writer.writerow([neutralise(str(c)) for c in cells])
        written += 1
        if written % CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
