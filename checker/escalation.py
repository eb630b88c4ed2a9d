"""Was each possible group escalated? Checking the groups found in incident feeds against the response records.

A response record *covers* a group when its ``young_people`` include at least
the group's qualifying number of its children (``min_children`` of the rule
that found it: 2 for a pair in one setting, 3 for a group) and it had not
closed before the group's first episode. A covering response that records a
``referral`` (an object) has *escalated* the group: the chapter asks agencies
to raise the concern through a child safeguarding referral that requests a
scoping meeting (3-P3). When several responses cover a group, the one with the
earliest referral date is reported.

Each group gets two findings, shaped like the findings of a response:

* ``group-escalated`` (section 3, also section 1): met when escalated; gap when
  no covering response records a referral and the referral is overdue;
  pending while the referral is not yet due (``group_escalation_working_days``
  working days after ``met_definition_on``) or while the children are in an
  open response still within its own referral timescale
  (``referral_working_days`` after its ``identified_on``); insufficient_data
  when a covering response does not say whether a referral was made (the key
  is absent: missing data is never a gap). ``missing`` lists the children in no
  response record at all.
* ``group-members-in-response`` (section 3, 3-P5; only for an escalated group
  with a child in no response record): gap once the escalation is due, pending
  before; ``missing`` lists those children, so no child of a detected group is
  left out of every finding.
* ``group-escalated-in-time`` (section 2): met or gap by the working days from
  ``met_definition_on`` to the referral date (a referral made before the group
  met the definition is in time); insufficient_data when the referral has no
  date; not_applicable while the group is not escalated (that is the first
  finding's gap, not counted twice).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Sequence

from .detection import Group
from .params import Parameter
from .workdays import add_working_days, working_index

ESCALATED = "group-escalated"
IN_TIME = "group-escalated-in-time"
MEMBERS = "group-members-in-response"


def _finding(rule: str, status: str, group: Group, section: str, clause: str, also: list[str], title: str,
             message: str, missing: list[str] | None = None, evidence: list[str] | None = None) -> dict[str, Any]:
    return {"rule": rule, "status": status, "severity": group.severity,
            "policy": {"section": section, "clause": clause, "also": also},
            "title": title, "message": message, "missing": missing or [], "evidence": evidence or []}


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


CHILD_SEPARATOR = "\x1f"  # between the children's ids in an escalation view (checker/parallel.py); never in an id


def children(record: dict) -> list[str]:
    """The ids of a record's children, or of an escalation view's (one string)."""
    value = record.get("young_people", [])
    if isinstance(value, str):
        return value.split(CHILD_SEPARATOR) if value else []
    return [yp["id"] for yp in value]


class EscalationChecker:
    """Holds the response records, indexed by child id, and the parameters; checks groups one by one."""

    def __init__(self, responses: Sequence[dict], params: dict[str, Parameter], as_of: dt.date,
                 members: set[str] | None = None):
        """``members``: every child of the groups to be checked, when known; only those children are indexed
        (the only ones a group looks up), so the index is as large as the groups, not as the export."""
        self.responses = list(responses)
        self.as_of = as_of
        self.group_days = params["group_escalation_working_days"].engine_value()
        self.referral_days = params["referral_working_days"].engine_value()
        self.where: dict[str, list[tuple[int, int]]] = defaultdict(list)  # child id -> (response, index)
        for r, record in enumerate(self.responses):
            for i, child in enumerate(children(record)):
                if members is None or child in members:
                    self.where[child].append((r, i))

    def covering(self, group: Group) -> list[tuple[dict, list[int]]]:
        """Responses that include at least the group's qualifying number of its children, with their indexes."""
        found: dict[int, list[int]] = defaultdict(list)
        for member in group.members:
            for r, i in self.where.get(member, ()):
                found[r].append(i)
        out = []
        for r in sorted(found):
            record, indexes = self.responses[r], sorted(found[r])
            closure = record.get("closure")
            closed_on = _date(closure.get("date")) if isinstance(closure, dict) else None
            if record.get("status") == "closed" and closed_on and closed_on < group.first_date:
                continue
            if len(indexes) >= group.min_children:
                out.append((record, indexes))
        return out

    def check(self, group: Group) -> dict[str, Any]:
        met = group.met_definition_on
        due = add_working_days(met, self.group_days)
        overdue = working_index(self.as_of) > working_index(met) + self.group_days
        outside = [m for m in group.members if m not in self.where]
        cover = self.covering(group)
        referred = [(rec, ix) for rec, ix in cover if isinstance(rec.get("referral"), dict)]
        unknown = [(rec, ix) for rec, ix in cover if "referral" not in rec]
        out: dict[str, Any] = {"escalated": False, "response_id": None, "referral_date": None,
                               "escalation_due_by": due.isoformat(),
                               "responses": [rec["response_id"] for rec, _ in cover],
                               "members_not_in_responses": outside}
        sec3 = ("3", "3-P3", [group.clause, "3-P1"], "A possible self-harm group is escalated by a child "
                "safeguarding referral asking for a scoping meeting")
        sec2 = ("2", "2-P2", ["3-P3"], "A possible self-harm group is escalated time-critically")
        na_in_time = _finding(IN_TIME, "not_applicable", group, *sec2,
                              "Not applicable: the group has not been escalated (see group-escalated).")
        if referred:
            rec, ix = min(referred, key=lambda p: (_date(p[0]["referral"].get("date")) or dt.date.max,
                                                   p[0]["response_id"]))
            ref_date = _date(rec["referral"].get("date"))
            rid = rec["response_id"]
            evidence = ["/referral"] + [f"/young_people/{i}/id" for i in ix]
            out.update(escalated=True, escalation="escalated", response_id=rid,
                       referral_date=ref_date.isoformat() if ref_date else None)
            first = _finding(ESCALATED, "met", group, *sec3,
                             f"Escalated: response {rid} includes {len(ix)} of the group's {len(group.members)} "
                             f"children and records a child safeguarding referral.", evidence=evidence)
            if ref_date is None:
                second = _finding(IN_TIME, "insufficient_data", group, *sec2,
                                  f"Response {rid} records a referral without its date, so its timeliness "
                                  f"cannot be judged.", evidence=["/referral"])
            else:
                late_by = working_index(ref_date) - working_index(met)
                if late_by <= self.group_days:
                    second = _finding(IN_TIME, "met", group, *sec2,
                                      f"Escalated in time: referral on {ref_date.isoformat()}, the group met the "
                                      f"definition on {met.isoformat()} (timescale {self.group_days} working days).",
                                      evidence=["/referral/date"])
                else:
                    out["escalation"] = "escalated_late"
                    second = _finding(IN_TIME, "gap", group, *sec2,
                                      f"Escalated late: referral on {ref_date.isoformat()}, {late_by} working days "
                                      f"after the group met the definition on {met.isoformat()}; the timescale is "
                                      f"{self.group_days} working days.", missing=["referral_in_time"],
                                      evidence=["/referral/date"])
            out["findings"] = [first, second]
            if outside:
                # 2-P1 / 3-P5: the response is to identify and assess the group's young people; an escalated
                # group whose child is in no response record leaves that child out of every finding otherwise.
                status = "gap" if overdue else "pending"
                out["findings"].append(_finding(
                    MEMBERS, status, group, "3", "3-P5", ["2-P1", group.clause],
                    "Every child of a possible self-harm group is identified in a response",
                    f"Response {rid} was escalated for this group, but {len(outside)} of the group's "
                    f"{len(group.members)} children {'is' if len(outside) == 1 else 'are'} in no response record. "
                    + ("" if overdue else f"Not yet due: due by {due.isoformat()}. ")
                    + f"Next: add them to response {rid}, or record that they were considered and found "
                    f"of no concern (v1.1 involvement: considered_no_concern).",
                    missing=outside, evidence=["/young_people"]))
            return out
        if unknown:
            rec, ix = unknown[0]
            out["escalation"] = "insufficient_data"
            first = _finding(ESCALATED, "insufficient_data", group, *sec3,
                             f"Response {rec['response_id']} includes {len(ix)} of the group's children but does "
                             f"not record whether a referral was made.",
                             evidence=[f"/young_people/{i}/id" for i in ix])
            out.update(response_id=rec["response_id"], findings=[first, na_in_time])
            return out
        open_in_time = [rec for rec, _ in cover if rec.get("status") == "open"
                        and working_index(self.as_of) <= working_index(_date(rec["identified_on"])) + self.referral_days]
        if not overdue:
            out["escalation"] = "pending"
            first = _finding(ESCALATED, "pending", group, *sec3,
                             f"Not yet due: a child safeguarding referral is due by {due.isoformat()} "
                             f"({self.group_days} working days after the group met the definition on "
                             f"{met.isoformat()}).")
        elif open_in_time:
            rec = open_in_time[0]
            until = add_working_days(_date(rec["identified_on"]), self.referral_days)
            out.update(escalation="pending", response_id=rec["response_id"])
            first = _finding(ESCALATED, "pending", group, *sec3,
                             f"Its children are in open response {rec['response_id']}, which records no referral "
                             f"yet and is within its referral timescale (due by {until.isoformat()}).",
                             evidence=["/referral"])
        else:
            out["escalation"] = "not_escalated"
            known = f" (in response {', '.join(out['responses'])}, which records no referral)" if cover else ""
            first = _finding(ESCALATED, "gap", group, *sec3,
                             f"Possible self-harm group not escalated: no response record with a child "
                             f"safeguarding referral includes {group.min_children} or more of its "
                             f"children{known}; a referral asking for a scoping meeting was due by "
                             f"{due.isoformat()}.", missing=outside)
        out["findings"] = [first, na_in_time]
        return out


def check_escalation(groups: Sequence[Group], responses: Sequence[dict], params: dict[str, Parameter],
                     as_of: dt.date) -> None:
    """Set ``escalation`` on every group (see the module docstring)."""
    checker = EscalationChecker(responses, params, as_of, {m for g in groups for m in g.members})
    for group in groups:
        group.escalation = checker.check(group)
