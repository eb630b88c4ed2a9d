"""Which gaps make a run fail (``--fail-on``), and the exit code: both read from the one summary model.

``--fail-on high | medium | low``: unwaived gaps (responses' and groups') of at
least that severity; ``never``: gaps never fail; ``new``: only unwaived gaps that
are new since ``--baseline`` (a ratchet: persisting gaps are reported, not failed).
"""
from __future__ import annotations

from .summary import FAIL_ON, summarise

__all__ = ["FAIL_ON", "exit_code", "failing_gaps"]


def failing_gaps(report, fail_on: str | None = None) -> int:
    """How many gaps fail the run under ``fail_on`` (default: the report's own)."""
    return summarise(report, fail_on).failing


def exit_code(report, fail_on: str | None = None) -> int:
    """3 for input errors; else 1 when a gap fails; else 0."""
    return summarise(report, fail_on).exit_code
