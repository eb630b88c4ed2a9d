"""CSV: one row per finding, for a spreadsheet.

Columns: response_id, group, rule, status, severity, section, clause, title,
message, missing (codes joined with ';'), evidence (JSON pointers joined with
';'), waived (yes/no), waiver_reason, waiver_approved_by, waiver_expires_on,
waiver_expired (yes/no), delta (new | persisting | resolved, with --baseline).

Safe to open in a spreadsheet: a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with an apostrophe, so it is shown as
text and never run as a formula.
"""
from __future__ import annotations

import csv
import io

from ..api import Report
from .rows import finding_rows

COLUMNS = ("response_id", "group", "rule", "status", "severity", "section", "clause", "title", "message",
           "missing", "evidence", "waived", "waiver_reason", "waiver_approved_by", "waiver_expires_on",
           "waiver_expired", "delta")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet will show as text: formula-like values get a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in finding_rows(report):
        waiver = row["waived"] or row["waiver_expired"] or {}
        cells = [row["response_id"], row["group"], row["rule"], row["status"], row["severity"], row["section"],
                 row["clause"], row["title"], row["message"], ";".join(row["missing"]), ";".join(row["evidence"]),
                 "yes" if row["waived"] else "no", waiver.get("reason", ""), waiver.get("approved_by", ""),
                 waiver.get("expires_on", ""), "yes" if row["waiver_expired"] else "no", row["delta"]]
        writer.writerow([neutralise(str(c)) for c in cells])
    return out.getvalue()
