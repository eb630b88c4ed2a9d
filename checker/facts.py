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
from .vocab import active
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


# v1.1 ``young_people[].involvement``: how the child is involved in the response.
SELF_HARMED, AT_RISK, NO_CONCERN = "self_harmed", "at_risk", "considered_no_concern"
# v1 dates of status: absent means "throughout the response" (the v1 meaning of the flags).
THROUGHOUT_FROM, THROUGHOUT_TO = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
# 7-P3 "each agency": the agencies the chapter makes members of every response (4-P2), and any
# other agency that attended a meeting of the response.
CORE_AGENCIES = ("childrens_services", "police", "health", "education")
# Covered items that show a meeting selected or allocated staff (4.1-P4, 4.1-P5-B4, 4.1-P5-B9).
STAFF_ITEMS = {"intelligence_staff_identified", "tasks_allocated"}


def involvement(yp: dict) -> tuple[Any, Any]:
    """(self_harmed, involved) for a child: involved means self-harmed or at risk (2-P1, 3-P5, 7-P1),
    not a network contact considered and found of no concern. v1 records have no ``involvement``:
    a child with a recorded episode self-harmed; otherwise both are unknown."""
    value = _get(yp, "involvement")
    episodes = yp.get("self_harm_episodes")
    harmed_on_record = isinstance(episodes, list) and len(episodes) > 0
    if value == SELF_HARMED or harmed_on_record:
        return True, True
    if value == AT_RISK:
        return False, True
    if value == NO_CONCERN:
        return False, False
    return ..., ...


def _status_dates(yp: dict, flag: str) -> tuple[Any, Any]:
    """(from, to) of a status (looked after, in-patient), so that one test on ``from`` tells a rule
    whether the status held on a meeting's date: recorded dates, else the whole response when the
    flag is true; null (not in that status) when it is false; ``from`` absent (unknown) when the
    flag was not exported (``to`` is then left open so that only ``from`` decides)."""
    flag_value = yp.get(flag)
    if flag_value is False:
        return None, None
    if flag_value is not True:
        return ..., THROUGHOUT_TO
    start = _get(yp, f"{flag}_from")
    end = _get(yp, f"{flag}_to")
    return (THROUGHOUT_FROM if start in (..., None) else start,
            THROUGHOUT_TO if end in (..., None) else end)


def _moved_on(yp: dict) -> Any:
    """When the child changed setting (4-P2-B10): null when ``previous_setting_id`` is null (no
    move), absent when the move or its date was not exported."""
    previous = _get(yp, "previous_setting_id")
    if previous is None:
        return None
    changed = _get(yp, "setting_changed_on")
    return changed if isinstance(previous, str) and isinstance(changed, str) else ...


def _latest(meetings: list, pick) -> int | None:
    """Index of the latest meeting (by date, then position) for which ``pick`` holds."""
    best = None
    for i, m in enumerate(meetings):
        if isinstance(m, dict) and pick(m) and (best is None or m["date"] >= meetings[best]["date"]):
            best = i
    return best


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
    # 2-P2 / 3-P2: the IFD convenes scoping once it has the referral; a late referral is the
    # referral's gap, so the scoping timescale runs from the later of the concern and the referral.
    clock = identified
    if isinstance(referral, dict) and isinstance(referral.get("date"), str):
        clock = max(clock, _date(referral["date"]))
    closure = record.get("closure")
    mlist = meeting_list if isinstance(meeting_list, list) else []
    last = {t: max((m["date"] for m in mlist if m.get("type") == t), default=...)
            for t in ("strategic", "operational")}
    facts[0].update(_fact("response", "", scoping_clock_from=clock,
                          closed_on=_get(closure, "date") if isinstance(closure, dict) else ...,
                          last_strategic_on=last["strategic"], last_operational_on=last["operational"]))
    facts[0]["ptr"] = ""
    if isinstance(referral, dict):
        facts.append(_fact("referral", "/referral", **{
            f: _get(referral, f) for f in (
                "date", "route", "kind", "group_dynamic_described",
                "scoping_meeting_requested", "referring_agency")}))
    for i, yp in enumerate(young_people):
        facts.extend(_young_person_facts(i, yp, identified))
    meetings = record.get("meetings") or []
    current_review = _latest(meetings, lambda m: isinstance(_sub(m, "decisions", "review_date"), str))
    latest_scoping = _latest(meetings, lambda m: m.get("type") == "scoping"
                             and isinstance(_sub(m, "decisions", "full_response"), str))
    for i, meeting in enumerate(meetings):
        facts.extend(_meeting_facts(i, meeting, current_review, latest_scoping))
    facts.extend(_involved_agency_facts(meetings))
    facts.extend(_information_sharing_facts(_get(record, "information_sharing")))
    facts.extend(_cross_boundary_facts(_get(record, "cross_boundary")))
    facts.extend(_closure_facts(_get(record, "closure")))
    return facts


def _young_person_facts(i: int, yp: dict, identified: dt.date) -> Iterable[Fact]:
    ptr = f"/young_people/{i}"
    yid = yp["id"]
    episodes = _get(yp, "self_harm_episodes")
    harmed, involved = involvement(yp)
    la_from, _ = _status_dates(yp, "looked_after")
    ip_from, ip_to = _status_dates(yp, "inpatient")
    # 1-P1 is about children at the time they self-harm: the age is taken at the first episode.
    episode_dates = sorted(e["date"] for e in episodes if isinstance(e, dict) and isinstance(e.get("date"), str)) \
        if isinstance(episodes, list) else []
    age_on = _date(episode_dates[0]) if episode_dates and isinstance(yp.get("date_of_birth"), str) else identified
    connections = _get(yp, "connections")
    online = ...
    if isinstance(episodes, list):
        flags = [e.get("online_influence") for e in episodes if "online_influence" in e]
        online = any(flags) if flags else ...
    safety = _get(yp, "safety_plan")
    yield _fact(
        "young_person", ptr, yp=yid, age=age_at(yp, age_on),
        self_harmed=harmed, involved=involved, looked_after_from=la_from, moved_on=_moved_on(yp),
        inpatient_from=ip_from, inpatient_to=ip_to,
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


def _staff_selected(meeting: dict, covered: Any) -> Any:
    """v1.1 ``staff_selected``; else true where the minutes show staff identified or allocated."""
    value = _get(meeting, "staff_selected")
    if value is not ...:
        return value
    if isinstance(covered, list) and STAFF_ITEMS & set(covered):
        return True
    return ...


def _review_date_agreed(decisions: Any, covered: Any) -> Any:
    """4-P3-B8: a review date agreed, from decisions.review_date or the minutes' review_date_agreed."""
    review = _get(decisions, "review_date")
    if isinstance(review, str) or (isinstance(covered, list) and "review_date_agreed" in covered):
        return True
    if isinstance(covered, list) or review is None:
        return False
    return ...


def _meeting_facts(i: int, meeting: dict, current_review: int | None = None,
                   latest_scoping: int | None = None) -> Iterable[Fact]:
    ptr = f"/meetings/{i}"
    ref, mtype, mdate = meeting["id"], meeting["type"], meeting["date"]
    decisions = _get(meeting, "decisions")
    attendees = _get(meeting, "attendees")
    covered = _get(meeting, "covered")
    has_review = isinstance(_get(decisions, "review_date"), str)
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
        staff_selected=_staff_selected(meeting, covered),
        review_date_agreed=_review_date_agreed(decisions, covered),
        review_current=(i == current_review) if has_review else ...,
        latest_scoping_decision=True if i == latest_scoping else ...,
    )
    for j, att in enumerate(attendees if isinstance(attendees, list) else []):
        yield _fact("attendee", f"{ptr}/attendees/{j}", mref=ref, mtype=mtype, mdate=mdate,
                    role=_get(att, "role"), agency=_get(att, "agency"),
                    setting=_get(att, "setting_id"), senior=_get(att, "senior"))
    for j, item in enumerate(covered if isinstance(covered, list) else []):
        yield _fact("covered", f"{ptr}/covered/{j}", mref=ref, mtype=mtype, mdate=mdate, item=item)


def _involved_agency_facts(meetings: list) -> Iterable[Fact]:
    """One fact per agency involved in the response (7-P3 "each agency"): the core agencies, and
    every agency that attended a meeting (its ``agency``, else the agency its role belongs to)."""
    found: dict[str, str] = {a: "/meetings" for a in CORE_AGENCIES}
    role_agency = active().role_agencies  # a role's agency is data (rules/vocabularies.yaml, roles: agency:)
    for i, m in enumerate(meetings):
        attendees = m.get("attendees") if isinstance(m, dict) else None
        for j, att in enumerate(attendees if isinstance(attendees, list) else []):
            agency = att.get("agency") if isinstance(att.get("agency"), str) else role_agency.get(att.get("role"))
            if agency and agency not in found:
                found[agency] = f"/meetings/{i}/attendees/{j}"
    for agency, ptr in found.items():
        yield _fact("involved_agency", ptr, agency=agency)


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
