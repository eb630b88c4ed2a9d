"""The dated milestones of one response, for reports: no names, no free text, no child ids.

``response_timeline(record)`` lists ``{"event", "date"}`` for: the day the
concern was identified, the referral, each scoping, strategic, operational and
final meeting, and the closure, in date order (ties in that order of events).
Only dates the record holds as valid dates are used; a missing date is left
out rather than guessed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

EVENTS = ("identified", "referral", "scoping_meeting", "strategic_meeting", "operational_meeting",
          "final_meeting", "closure")
LABELS = {
    "identified": "Concern identified",
    "referral": "Child safeguarding referral",
    "scoping_meeting": "Scoping meeting",
    "strategic_meeting": "Strategic meeting",
    "operational_meeting": "Operational meeting",
    "final_meeting": "Final meeting",
    "closure": "Response closed",
}


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value).isoformat() if len(value) == 10 else None
    except ValueError:
        return None


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def response_timeline(record: dict) -> list[dict[str, str]]:
    events: list[tuple[str, str]] = []

    def add(event: str, value: Any) -> None:
        date = _date(value)
        if date:
            events.append((event, date))

    add("identified", record.get("identified_on"))
    add("referral", _get(record.get("referral"), "date"))
    for meeting in record.get("meetings") or []:
        mtype = _get(meeting, "type")
        if mtype in ("scoping", "strategic", "operational", "final"):
            add(f"{mtype}_meeting", _get(meeting, "date"))
    add("closure", _get(record.get("closure"), "date"))
    order = {e: i for i, e in enumerate(EVENTS)}
    events.sort(key=lambda e: (e[1], order[e[0]]))
    return [{"event": e, "date": d} for e, d in events]
