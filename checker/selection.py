"""Which responses a run checks: ``--status``, ``--identified-from`` / ``--identified-to``, ``--local-authority``.

Applied to the valid records before any is checked. The choice, and how many
responses it left out, is shown in every report (summary ``selection``, and a
notice in each format). Possible groups from ``--incidents`` are still checked
for escalation against every response record: a group's referral may sit in a
response the selection leaves out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Selection:
    status: str | None = None                # open | closed
    identified_from: dt.date | None = None   # inclusive
    identified_to: dt.date | None = None     # inclusive
    local_authority: tuple[str, ...] = ()    # any of these (exact, case-insensitive)

    def __bool__(self) -> bool:
        return bool(self.status or self.identified_from or self.identified_to or self.local_authority)

    def keeps(self, record: dict) -> bool:
        if self.status and record.get("status") != self.status:
            return False
        if self.identified_from or self.identified_to:
            try:
                day = dt.date.fromisoformat(str(record.get("identified_on")))
            except ValueError:
                return False
            if self.identified_from and day < self.identified_from:
                return False
            if self.identified_to and day > self.identified_to:
                return False
        if self.local_authority:
            la = record.get("local_authority")
            wanted = {a.casefold() for a in self.local_authority}
            if not isinstance(la, str) or la.casefold() not in wanted:
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.status:
            out["status"] = self.status
        if self.identified_from:
            out["identified_from"] = self.identified_from.isoformat()
        if self.identified_to:
            out["identified_to"] = self.identified_to.isoformat()
        if self.local_authority:
            out["local_authority"] = list(self.local_authority)
        return out


def select(records: Sequence, selection: Selection | None) -> tuple[list, dict | None]:
    """The records the selection keeps (``.data`` of each), and what the report says about the choice."""
    records = list(records)
    if not selection:
        return records, None
    kept = [r for r in records if selection.keeps(r.data)]
    return kept, {**selection.to_dict(), "left_out": len(records) - len(kept)}
