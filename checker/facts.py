"""From one validated response record to the flat facts the rules are matched against.

Python only prepares: it flattens the record, turns dates into whole numbers
(epoch day ``f_d`` and working-day index ``f_w``), marks explicit nulls
(``f__null``) and counts. It decides nothing: every judgement is a rule's.
Each fact carries ``t`` (its type) and ``ptr`` (the JSON pointer of what it
came from), so every finding can point at the evidence. No free text and no
name is ever copied into a fact.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from .catalogue import FACTS
from .workdays import epoch_day, working_index

Fact = dict[str, Any]


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _put(fact: Fact, field: str, value: Any) -> None:
    """Store one catalogue field, encoded for the engine; ``...`` means absent."""
    if value is ...:
        return
    if value is None:
        fact[f"{field}__null"] = True
        return
    kind = FACTS[fact["t"]][field]
    if kind == "date":
        d = _date(value) if isinstance(value, str) else value
        fact[f"{field}_d"] = epoch_day(d)
        fact[f"{field}_w"] = working_index(d)
    elif kind == "bool":
        fact[field] = bool(value)
    elif kind == "int":
        fact[field] = int(value)
    else:
        fact[field] = str(value)


def _fact(t: str, ptr: str, **fields: Any) -> Fact:
    fact: Fact = {"t": t, "ptr": ptr}
    for name, value in fields.items():
        _put(fact, name, value)
    return fact


def _get(obj: Any, key: str) -> Any:
    """The value at ``key``, ``None`` for an explicit null, ``...`` when absent."""
    if not isinstance(obj, dict) or key not in obj:
        return ...
    return obj[key]


def _sub(obj: Any, key: str, sub: str) -> Any:
    """``obj[key][sub]`` with null/absent carried through from ``obj[key]``."""
    outer = _get(obj, key)
    if outer is ... or outer is None:
        return outer
    return _get(outer, sub)


def _recorded(record: dict, key: str) -> Any:
    return True if key in record else ...


def age_at(yp: dict, on: dt.date) -> Any:
    """Age in whole years on ``on`` from the date of birth, else the recorded age."""
    dob = yp.get("date_of_birth")
    if isinstance(dob, str):
        born = _date(dob)
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return _get(yp, "age") if _get(yp, "age") is not None else ...


def _count(value: Any) -> Any:
    return len(value) if isinstance(value, list) else (... if value is ... else None)


def response_facts(record: dict, as_of: dt.date) -> list[Fact]:
    """All facts of one response record, ``response`` first."""
    identified = _date(record["identified_on"])
    young_people = record.get("young_people") or []
    areas = {yp["home_area"] for yp in young_people if isinstance(yp.get("home_area"), str)}
    meeting_list = record.get("meetings")
    counts = {f"{t}_meetings_count": (sum(1 for m in meeting_list if m.get("type") == t)
                                      if isinstance(meeting_list, list) else ...)
              for t in ("scoping", "strategic", "operational", "final")}
    facts: list[Fact] = [_fact(
        "response", "",
        status=record["status"], identified_on=identified, as_of=as_of,
        local_authority=_get(record, "local_authority"),
        referral_recorded=_recorded(record, "referral"),
        meetings_recorded=_recorded(record, "meetings"),
        information_sharing_recorded=_recorded(record, "information_sharing"),
        cross_boundary_recorded=_recorded(record, "cross_boundary"),
        closure_recorded=_recorded(record, "closure"),
        staff_support_recorded=_recorded(record, "staff_support"),
        young_people_count=len(young_people),
        home_areas_count=len(areas) if areas else ...,
        debrief_arrangements=_sub(record, "staff_support", "debrief_arrangements"),
        wellbeing_support=_sub(record, "staff_support", "wellbeing_support"),
        **counts,
    )]
    referral = record.get("referral")
    if isinstance(referral, dict):
        facts.append(_fact("referral", "/referral", **{
            f: _get(referral, f) for f in (
                "date", "route", "kind", "group_dynamic_described",
                "scoping_meeting_requested", "referring_agency")}))
    for i, yp in enumerate(young_people):
        facts.extend(_young_person_facts(i, yp, identified))
    meetings = record.get("meetings") or []
    for i, meeting in enumerate(meetings):
        facts.extend(_meeting_facts(i, meeting))
    facts.extend(_information_sharing_facts(_get(record, "information_sharing")))
    facts.extend(_cross_boundary_facts(_get(record, "cross_boundary")))
    facts.extend(_closure_facts(_get(record, "closure")))
    return facts


def _young_person_facts(i: int, yp: dict, identified: dt.date) -> Iterable[Fact]:
    ptr = f"/young_people/{i}"
    yid = yp["id"]
    episodes = _get(yp, "self_harm_episodes")
    connections = _get(yp, "connections")
    online = ...
    if isinstance(episodes, list):
        flags = [e.get("online_influence") for e in episodes if "online_influence" in e]
        online = any(flags) if flags else ...
    safety = _get(yp, "safety_plan")
    yield _fact(
        "young_person", ptr, yp=yid, age=age_at(yp, identified),
        setting=_get(yp, "setting_id"), previous_setting=_get(yp, "previous_setting_id"),
        setting_changed_on=_get(yp, "setting_changed_on"), home_area=_get(yp, "home_area"),
        looked_after=_get(yp, "looked_after"), ehe=_get(yp, "ehe"), cme=_get(yp, "cme"),
        inpatient=_get(yp, "inpatient"), prior_suicidality=_get(yp, "prior_suicidality"),
        individual_procedure_followed=_get(yp, "individual_procedure_followed"),
        risk_assessed_on=_sub(yp, "risk_assessment", "date"),
        risk_level=_sub(yp, "risk_assessment", "level"),
        risk_agency=_sub(yp, "risk_assessment", "agency"),
        s47_considered_on=_sub(yp, "s47", "considered_on"),
        s47_enquiry_started=_sub(yp, "s47", "enquiry_started"),
        individual_response_plan_on=_get(yp, "individual_response_plan_on"),
        parents_carers_informed_on=_get(yp, "parents_carers_informed_on"),
        safety_plan_agreed_on=_sub(yp, "safety_plan", "agreed_on"),
        safety_plan_agencies_count=_count(_sub(yp, "safety_plan", "supporting_agencies")),
        exit_plan_agreed_on=_get(yp, "exit_plan_agreed_on"),
        episodes_count=_count(episodes), online_influence=online,
        connections_count=_count(connections),
    )
    for j, ep in enumerate(episodes if isinstance(episodes, list) else []):
        yield _fact("episode", f"{ptr}/self_harm_episodes/{j}", yp=yid, date=_get(ep, "date"),
                    setting=_get(ep, "setting_id"), online_influence=_get(ep, "online_influence"))
    for j, conn in enumerate(connections if isinstance(connections, list) else []):
        yield _fact("connection", f"{ptr}/connections/{j}", yp=yid, to=_get(conn, "to"),
                    kind=_get(conn, "kind"))
    if isinstance(safety, dict):
        for j, agency in enumerate(safety.get("supporting_agencies") or []):
            yield _fact("safety_plan_agency", f"{ptr}/safety_plan/supporting_agencies/{j}",
                        yp=yid, agency=agency)


def _meeting_facts(i: int, meeting: dict) -> Iterable[Fact]:
    ptr = f"/meetings/{i}"
    ref, mtype, mdate = meeting["id"], meeting["type"], meeting["date"]
    decisions = _get(meeting, "decisions")
    attendees = _get(meeting, "attendees")
    covered = _get(meeting, "covered")
    yield _fact(
        "meeting", ptr, ref=ref, mtype=mtype, date=mdate,
        chair_role=_sub(meeting, "chair", "role"), chair_delegate=_sub(meeting, "chair", "delegate"),
        attendees_recorded=True if isinstance(attendees, list) else ...,
        covered_recorded=True if isinstance(covered, list) else ...,
        group_identified=_get(decisions, "group_identified"),
        full_response=_get(decisions, "full_response"),
        review_date=_get(decisions, "review_date"), focus=_get(decisions, "focus"),
        staff_selection_considered_needs=_get(meeting, "staff_selection_considered_needs"),
        feeds_back_to=_get(meeting, "feeds_back_to"),
    )
    for j, att in enumerate(attendees if isinstance(attendees, list) else []):
        yield _fact("attendee", f"{ptr}/attendees/{j}", mref=ref, mtype=mtype, mdate=mdate,
                    role=_get(att, "role"), agency=_get(att, "agency"),
                    setting=_get(att, "setting_id"), senior=_get(att, "senior"))
    for j, item in enumerate(covered if isinstance(covered, list) else []):
        yield _fact("covered", f"{ptr}/covered/{j}", mref=ref, mtype=mtype, mdate=mdate, item=item)


def _information_sharing_facts(info: Any) -> Iterable[Fact]:
    if not isinstance(info, dict):
        return
    for i, sm in enumerate(info.get("school_meetings") or []):
        yield _fact("school_meeting", f"/information_sharing/school_meetings/{i}",
                    yp=_get(sm, "young_person"), date=_get(sm, "date"),
                    parents_informed_on=_get(sm, "parents_informed_on"))
    for i, di in enumerate(info.get("drop_in_sessions") or []):
        yield _fact("drop_in", f"/information_sharing/drop_in_sessions/{i}",
                    setting=_get(di, "setting_id"), first_session_on=_get(di, "first_session_on"),
                    parents_informed_on=_get(di, "parents_informed_on"))


def _cross_boundary_facts(cb: Any) -> Iterable[Fact]:
    if not isinstance(cb, dict):
        return
    yield _fact("cross_boundary", "/cross_boundary", areas_count=_count(_get(cb, "areas")),
                responsibility_agreed_on=_get(cb, "responsibility_agreed_on"),
                agreed_by_count=_count(_get(cb, "agreed_by")))
    for i, agency in enumerate(cb.get("agreed_by") or []):
        yield _fact("boundary_agreement", f"/cross_boundary/agreed_by/{i}", agency=agency)


def _closure_facts(closure: Any) -> Iterable[Fact]:
    if not isinstance(closure, dict):
        return
    reviews = _get(closure, "agency_reviews")
    yield _fact(
        "closure", "/closure", date=_get(closure, "date"),
        exit_strategy_on=_get(closure, "exit_strategy_on"),
        staff_debriefed_on=_get(closure, "staff_debriefed_on"),
        final_meeting=_get(closure, "final_meeting"),
        overview_report_presented_on=_get(closure, "overview_report_presented_on"),
        agency_reviews_recorded=True if isinstance(reviews, list) else ...,
    )
    for i, rv in enumerate(reviews if isinstance(reviews, list) else []):
        yield _fact("agency_review", f"/closure/agency_reviews/{i}", agency=_get(rv, "agency"),
                    completed_on=_get(rv, "completed_on"),
                    actions_recorded=_get(rv, "actions_recorded"))
    for i, la in enumerate(closure.get("lessons_actions") or []):
        yield _fact("lessons_action", f"/closure/lessons_actions/{i}", owner=_get(la, "owner"),
                    status=_get(la, "status"))
