"""Hypothesis strategies for valid v1 response records that exercise every rule's branches:
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
    return yp


@st.composite
def meeting(draw, index: int):
    m = {"id": f"m{index}", "type": draw(st.sampled_from(["scoping", "scoping", "strategic", "operational", "final"])),
         "date": draw(dates(0, 40))}
    put(m, "chair", draw(maybe(st.fixed_dictionaries(
        {}, optional={"role": st.sampled_from(["cs_head_of_safeguarding", "police", "cs_service_manager"]),
                      "delegate": st.booleans()}), null=False)))
    roles = sorted(ROLES)
    put(m, "attendees", draw(maybe(st.lists(st.one_of(
        st.fixed_dictionaries({"role": st.sampled_from(roles)}, optional={"senior": st.booleans()}),
        st.fixed_dictionaries({"role": st.just("education_setting"), "setting_id": st.sampled_from(SETTINGS)})),
        max_size=16), null=False)))
    put(m, "covered", draw(maybe(st.lists(st.sampled_from(sorted(ITEMS)), max_size=20, unique=True), null=False)))
    put(m, "decisions", draw(maybe(st.fixed_dictionaries({}, optional={
        "group_identified": st.booleans(),
        "full_response": st.one_of(st.none(), st.sampled_from(["none", "strategic", "strategic_and_operational"])),
        "review_date": st.one_of(st.none(), dates()),
        "focus": st.sampled_from(["online", "in_person", "both"])}), null=False)))
    put(m, "staff_selection_considered_needs", draw(maybe(st.booleans(), null=False)))
    return m


@st.composite
def response_records(draw, response_id: str = "R-P"):
    status = draw(st.sampled_from(["open", "closed"]))
    rec = {"response_id": response_id, "status": status, "identified_on": draw(dates(0, 30))}
    people = draw(st.integers(0, 3))
    rec["young_people"] = [draw(young_person(i)) for i in range(people)]
    put(rec, "referral", draw(maybe(st.fixed_dictionaries({}, optional={
        "date": dates(0, 40), "route": st.sampled_from(["ifd", "mash", "other"]),
        "kind": st.sampled_from(["child_safeguarding_referral", "other"]),
        "group_dynamic_described": st.booleans(), "scoping_meeting_requested": st.booleans()}))))
    count = draw(st.integers(0, 3))
    meetings = [draw(meeting(i)) for i in range(count)]
    put(rec, "meetings", draw(st.one_of(st.just(meetings), st.just(ABSENT))))
    if status == "closed":
        rec["closure"] = {"date": draw(dates(40, 120))}
    return rec
