"""Plain words for the codes reports show: statuses, bases, escalation states, counts."""
from __future__ import annotations

WORDS = {
    "met": "met", "gap": "gap", "pending": "pending (not yet due)", "not_applicable": "not applicable",
    "insufficient_data": "insufficient data", "advisory": "advice", "not_checked": "not checked in this run",
    "same_setting": "same setting", "same_area": "same area", "connected": "connected children",
    "escalated": "escalated", "escalated_late": "escalated late", "not_escalated": "not escalated",
    "new": "new", "persisting": "persisting", "resolved": "resolved",
}
_PLURAL = {"gap": "gaps", "met": "met", "pending": "pending", "not_applicable": "not applicable",
           "insufficient_data": "insufficient data", "advisory": "advice"}


def plain(code: object) -> str:
    """A code in plain words (unknown codes: underscores become spaces)."""
    text = str(code)
    return WORDS.get(text, text.replace("_", " "))


def status_words(status: str, n: int) -> str:
    """``1 gap``, ``2 gaps``, ``3 insufficient data`` (the number is the caller's)."""
    if status == "gap":
        return "gap" if n == 1 else "gaps"
    return _PLURAL.get(status, plain(status))


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 working day``, ``2 working days``."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
