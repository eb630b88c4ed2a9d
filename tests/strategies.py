"""Hypothesis strategies for valid v1 and v1.1 response records that exercise every rule's branches:
fields present, null or absent; roles and items in any subset; dates around the timescales."""
from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from checker.vocab import AGENCIES, ITEMS, ROLES

ABSENT = object()
BASE = dt.date(2026, 1, 20)
SETTINGS = ["URN-1", "URN-2", "URN-3"]
AREAS = ["LA-1", "LA-2"]


def dates(lo: int = 0, hi: int = 120):
    return st.integers(lo, hi).map(lambda n: (BASE + dt.timedelta(days=n)).isoformat())


def maybe(strategy, null=True):
    """A value, an explicit null, or an absent key (ABSENT)."""
    options = [strategy, st.just(ABSENT)]
    if null:
        options.append(st.none())
    return st.one_of(*options)


def put(target: dict, key: str, value) -> None:
    if value is not ABSENT:
        target[key] = value


@st.composite
def young_person(draw, index: int):
    yp = {"id": f"YP-{index}"}
    put(yp, "age", draw(maybe(st.integers(10, 19), null=False)))
    for key in ("looked_after", "ehe", "cme", "inpatient", "individual_procedure_followed", "prior_suicidality"):
        put(yp, key, draw(maybe(st.booleans(), null=False)))
    put(yp, "setting_id", draw(maybe(st.sampled_from(SETTINGS))))
    put(yp, "previous_setting_id", draw(maybe(st.sampled_from(SETTINGS))))
    put(yp, "setting_changed_on", draw(maybe(st.integers(-800, 60).map(
        lambda n: (BASE + dt.timedelta(days=n)).isoformat()))))
    put(yp, "home_area", draw(maybe(st.sampled_from(AREAS), null=False)))
    put(yp, "self_harm_episodes", draw(maybe(st.lists(st.fixed_dictionaries(
        {"date": dates(-30, 10)}, optional={"online_influence": st.booleans(),
                                            "setting_id": st.sampled_from(SETTINGS)}), max_size=2), null=False)))
    put(yp, "risk_assessment", draw(maybe(st.fixed_dictionaries(
        {}, optional={"date": dates(), "agency": st.sampled_from(sorted(AGENCIES)),
                      "level": st.sampled_from(["low", "medium", "high"])}))))
    put(yp, "individual_response_plan_on", draw(maybe(dates())))
    put(yp, "safety_plan", draw(maybe(st.fixed_dictionaries(
        {}, optional={"agreed_on": dates(), "supporting_agencies": st.lists(
            st.sampled_from(sorted(AGENCIES)), max_size=2, unique=True)}))))
    put(yp, "exit_plan_agreed_on", draw(maybe(dates())))
    put(yp, "s47", draw(maybe(st.fixed_dictionaries({}, optional={
        "considered_on": dates(), "enquiry_started": st.booleans()}))))
    put(yp, "parents_carers_informed_on", draw(maybe(dates())))
    # v1.1 fields (issue 8): involvement, dated looked-after and in-patient status
    put(yp, "involvement", draw(maybe(st.sampled_from(["self_harmed", "at_risk", "considered_no_concern"]))))
    put(yp, "looked_after_from", draw(maybe(dates(-10, 40))))
    put(yp, "inpatient_from", draw(maybe(dates(-10, 40))))
    put(yp, "inpatient_to", draw(maybe(dates(0, 60))))
    put(yp, "connections", draw(maybe(st.lists(st.fixed_dictionaries(
        {"to": st.sampled_from(["YP-0", "YP-1", "YP-2", "YP-9"])},
        optional={"kind": st.sampled_from(["in_person", "online"])}), max_size=2), null=False)))
    if yp.get("connections"):
        yp["connections"] = [c for c in yp["connections"] if c["to"] != yp["id"]]
    return yp


@st.composite
def meeting(draw, index: int):
    m = {"id": f"m{index}", "type": draw(st.sampled_from(["scoping", "scoping", "strategic", "operational", "final"])),
         "date": draw(st.one_of(dates(0, 40), dates(270, 310)))}  # late ones: recent on AS_OF (cadence)
    put(m, "chair", draw(maybe(st.fixed_dictionaries(
        {}, optional={"role": st.sampled_from(["cs_head_of_safeguarding", "police", "cs_service_manager"]),
                      "delegate": st.booleans()}), null=False)))
    roles = sorted(ROLES)
    put(m, "attendees", draw(maybe(st.lists(st.one_of(
        st.fixed_dictionaries({"role": st.sampled_from(roles)}, optional={
            "senior": st.booleans(), "agency": st.sampled_from(sorted(AGENCIES))}),
        st.fixed_dictionaries({"role": st.just("education_setting"), "setting_id": st.sampled_from(SETTINGS)})),
        max_size=16), null=False)))
    put(m, "covered", draw(maybe(st.lists(st.sampled_from(sorted(ITEMS)), max_size=20, unique=True), null=False)))
    put(m, "decisions", draw(maybe(st.fixed_dictionaries({}, optional={
        "group_identified": st.booleans(),
        "full_response": st.one_of(st.none(), st.sampled_from(["none", "strategic", "strategic_and_operational"])),
        "review_date": st.one_of(st.none(), dates()),
        "focus": st.sampled_from(["online", "in_person", "both"])}), null=False)))
    put(m, "staff_selection_considered_needs", draw(maybe(st.booleans(), null=False)))
    put(m, "staff_selected", draw(maybe(st.booleans(), null=False)))
    return m


@st.composite
def information_sharing(draw, people: int):
    children = [f"YP-{i}" for i in range(max(people, 1))]
    return draw(st.fixed_dictionaries({}, optional={
        "school_meetings": st.lists(st.fixed_dictionaries(
            {"young_person": st.sampled_from(children)},
            optional={"date": dates(), "parents_informed_on": st.one_of(st.none(), dates())}), max_size=2),
        "drop_in_sessions": st.lists(st.fixed_dictionaries(
            {"setting_id": st.sampled_from(SETTINGS)},
            optional={"first_session_on": dates(), "parents_informed_on": st.one_of(st.none(), dates())}),
            max_size=2)}))


def closure(final_ids: list[str]):
    # up to late November 2026, so that some closures are still within post_closure_working_days
    return st.fixed_dictionaries({"date": dates(40, 310)}, optional={
        "exit_strategy_on": st.one_of(st.none(), dates(30, 120)),
        "staff_debriefed_on": st.one_of(st.none(), dates(30, 120)),
        "agency_reviews": st.lists(st.fixed_dictionaries(
            {"agency": st.sampled_from(sorted(AGENCIES))},
            optional={"completed_on": st.one_of(st.none(), dates(40, 150)), "actions_recorded": st.booleans()}),
            max_size=4),
        "final_meeting": st.sampled_from(final_ids) if final_ids else st.none(),
        "overview_report_presented_on": st.one_of(st.none(), dates(40, 160)),
        "lessons_actions": st.lists(st.fixed_dictionaries({"action": st.just("a")}, optional={
            "owner": st.one_of(st.none(), st.sampled_from(sorted(AGENCIES))),
            "status": st.sampled_from(["open", "done"])}), max_size=2),
    })


@st.composite
def response_records(draw, response_id: str = "R-P"):
    status = draw(st.sampled_from(["open", "closed"]))
    rec = {"response_id": response_id, "status": status, "identified_on": draw(dates(8, 40))}
    people = draw(st.integers(0, 3))
    rec["young_people"] = [draw(young_person(i)) for i in range(people)]
    put(rec, "referral", draw(maybe(st.fixed_dictionaries({}, optional={
        "date": dates(0, 40), "route": st.sampled_from(["ifd", "mash", "other"]),
        "kind": st.sampled_from(["child_safeguarding_referral", "other"]),
        "group_dynamic_described": st.booleans(), "scoping_meeting_requested": st.booleans()}))))
    count = draw(st.integers(0, 3))
    meetings = [draw(meeting(i)) for i in range(count)]
    if meetings and draw(st.booleans()):  # operational groups feed back to a strategic meeting
        strategic = [m["id"] for m in meetings if m["type"] == "strategic"]
        for m in meetings:
            if m["type"] == "operational":
                m["feeds_back_to"] = draw(st.sampled_from(strategic)) if strategic else None
    include_meetings = draw(st.booleans()) or draw(st.booleans())
    if include_meetings:
        rec["meetings"] = meetings
    put(rec, "information_sharing", draw(maybe(information_sharing(people), null=False)))
    put(rec, "cross_boundary", draw(maybe(st.fixed_dictionaries({}, optional={
        "areas": st.lists(st.sampled_from(AREAS), max_size=2, unique=True),
        "responsibility_agreed_on": st.one_of(st.none(), dates()),
        "agreed_by": st.lists(st.sampled_from(sorted(AGENCIES)), max_size=3, unique=True)}))))
    put(rec, "staff_support", draw(maybe(st.fixed_dictionaries({}, optional={
        "debrief_arrangements": st.booleans(), "wellbeing_support": st.booleans()}))))
    if status == "closed":
        finals = [m["id"] for m in rec.get("meetings", []) if m["type"] == "final"]
        rec["closure"] = draw(closure(finals))
    elif draw(st.booleans()):
        rec["closure"] = None
    return rec
