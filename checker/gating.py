"""Which gaps make a run fail (``--fail-on``): unwaived gaps of at least a given severity."""
from __future__ import annotations

from .api import SEVERITIES, Report

FAIL_ON = ("high", "medium", "low", "never")


def failing_gaps(report: Report, fail_on: str = "low") -> int:
    """How many unwaived gaps (responses' and groups') are at least as severe as ``fail_on``."""
    if fail_on == "never":
        return 0
    allowed = set(SEVERITIES[: SEVERITIES.index(fail_on) + 1])
    n = sum(1 for r in report.responses for f in r.findings
            if f.status == "gap" and not f.waived and f.severity in allowed)
    n += sum(1 for g in report.groups or [] for f in g.get("findings") or []
             if f.get("status", "gap") == "gap" and not f.get("waived") and f.get("severity", "high") in allowed)
    return n
