"""Hypothesis strategies for valid v1 and v1.1 response records that exercise every rule's branches:
fields present, null or absent; roles and items in any subset; dates around the timescales."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from hypothesis import strategies as st

from checker.vocab import AGENCIES, ITEMS, ROLES

ABSENT = object()
BASE = dt.date(2026, 1, 20)
SETTINGS = ["URN-1", "URN-2", "URN-3"]
AREAS = ["LA-1", "LA-2"]


# Each strategy below is built once and drawn many times: hypothesis validates every new strategy object
# (emptiness, labels), which took most of the time of the property tests when built inside each draw.
@lru_cache(maxsize=None)
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


_YP_FIELDS = [
    ("age", maybe(st.integers(10, 19), null=False)),
    *((key, maybe(st.booleans(), null=False)) for key in (
        "looked_after", "ehe", "cme", "inpatient", "individual_procedure_followed", "prior_suicidality")),
    ("setting_id", maybe(st.sampled_from(SETTINGS))),
    ("previous_setting_id", maybe(st.sampled_from(SETTINGS))),
    ("setting_changed_on", maybe(st.integers(-800, 60).map(
        lambda n: (BASE + dt.timedelta(days=n)).isoformat()))),
    ("home_area", maybe(st.sampled_from(AREAS), null=False)),
    ("self_harm_episodes", maybe(st.lists(st.fixed_dictionaries(
        {"date": dates(-30, 10)}, optional={"online_influence": st.booleans(),
                                            "setting_id": st.sampled_from(SETTINGS)}), max_size=2), null=False)),
    ("risk_assessment", maybe(st.fixed_dictionaries(
        {}, optional={"date": dates(), "agency": st.sampled_from(sorted(AGENCIES)),
                      "level": st.sampled_from(["low", "medium", "high"])}))),
    ("individual_response_plan_on", maybe(dates())),
    ("safety_plan", maybe(st.fixed_dictionaries(
        {}, optional={"agreed_on": dates(), "supporting_agencies": st.lists(
            st.sampled_from(sorted(AGENCIES)), max_size=2, unique=True)}))),
    ("exit_plan_agreed_on", maybe(dates())),
    ("s47", maybe(st.fixed_dictionaries({}, optional={
        "considered_on": dates(), "enquiry_started": st.booleans()}))),
    ("parents_carers_informed_on", maybe(dates())),
    # v1.1 fields (issue 8): involvement, dated looked-after and in-patient status
    ("involvement", maybe(st.sampled_from(["self_harmed", "at_risk", "considered_no_concern"]))),
    ("looked_after_from", maybe(dates(-10, 40))),
    ("inpatient_from", maybe(dates(-10, 40))),
    ("inpatient_to", maybe(dates(0, 60))),
    ("connections", maybe(st.lists(st.fixed_dictionaries(
        {"to": st.sampled_from(["YP-0", "YP-1", "YP-2", "YP-9"])},
        optional={"kind": st.sampled_from(["in_person", "online"])}), max_size=2), null=False)),
]


@st.composite
def young_person(draw, index: int):
    yp = {"id": f"YP-{index}"}
    for key, strategy in _YP_FIELDS:
        put(yp, key, draw(strategy))
    if yp.get("connections"):
        yp["connections"] = [c for c in yp["connections"] if c["to"] != yp["id"]]
    return yp


young_person = lru_cache(maxsize=None)(young_person)  # one strategy per index


_MEETING_TYPE = st.sampled_from(["scoping", "scoping", "strategic", "operational", "final"])
_MEETING_DATE = st.one_of(dates(0, 40), dates(270, 310))  # late ones: recent on AS_OF (cadence)
_MEETING_FIELDS = [
    ("chair", maybe(st.fixed_dictionaries(
        {}, optional={"role": st.sampled_from(["cs_head_of_safeguarding", "police", "cs_service_manager"]),
                      "delegate": st.booleans()}), null=False)),
    ("attendees", maybe(st.lists(st.one_of(
        st.fixed_dictionaries({"role": st.sampled_from(sorted(ROLES))}, optional={
            "senior": st.booleans(), "agency": st.sampled_from(sorted(AGENCIES))}),
        st.fixed_dictionaries({"role": st.just("education_setting"), "setting_id": st.sampled_from(SETTINGS)})),
        max_size=16), null=False)),
    ("covered", maybe(st.lists(st.sampled_from(sorted(ITEMS)), max_size=20, unique=True), null=False)),
    ("decisions", maybe(st.fixed_dictionaries({}, optional={
        "group_identified": st.booleans(),
        "full_response": st.one_of(st.none(), st.sampled_from(["none", "strategic", "strategic_and_operational"])),
        "review_date": st.one_of(st.none(), dates()),
        "focus": st.sampled_from(["online", "in_person", "both"])}), null=False)),
    ("staff_selection_considered_needs", maybe(st.booleans(), null=False)),
    ("staff_selected", maybe(st.booleans(), null=False)),
]


@st.composite
def meeting(draw, index: int):
    m = {"id": f"m{index}", "type": draw(_MEETING_TYPE), "date": draw(_MEETING_DATE)}
    for key, strategy in _MEETING_FIELDS:
        put(m, key, draw(strategy))
    return m


meeting = lru_cache(maxsize=None)(meeting)  # one strategy per index


@lru_cache(maxsize=None)
def information_sharing(people: int):
    children = [f"YP-{i}" for i in range(max(people, 1))]
    return maybe(st.fixed_dictionaries({}, optional={
        "school_meetings": st.lists(st.fixed_dictionaries(
            {"young_person": st.sampled_from(children)},
            optional={"date": dates(), "parents_informed_on": st.one_of(st.none(), dates())}), max_size=2),
        "drop_in_sessions": st.lists(st.fixed_dictionaries(
            {"setting_id": st.sampled_from(SETTINGS)},
            optional={"first_session_on": dates(), "parents_informed_on": st.one_of(st.none(), dates())}),
            max_size=2)}), null=False)


@lru_cache(maxsize=None)
def closure(final_ids: tuple[str, ...]):
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


_REFERRAL = maybe(st.fixed_dictionaries({}, optional={
    "date": dates(0, 40), "route": st.sampled_from(["ifd", "mash", "other"]),
    "kind": st.sampled_from(["child_safeguarding_referral", "other"]),
    "group_dynamic_described": st.booleans(), "scoping_meeting_requested": st.booleans()}))
_CROSS_BOUNDARY = maybe(st.fixed_dictionaries({}, optional={
    "areas": st.lists(st.sampled_from(AREAS), max_size=2, unique=True),
    "responsibility_agreed_on": st.one_of(st.none(), dates()),
    "agreed_by": st.lists(st.sampled_from(sorted(AGENCIES)), max_size=3, unique=True)}))
_STAFF_SUPPORT = maybe(st.fixed_dictionaries({}, optional={
    "debrief_arrangements": st.booleans(), "wellbeing_support": st.booleans()}))


@st.composite
def response_records(draw, response_id: str = "R-P"):
    status = draw(st.sampled_from(["open", "closed"]))
    rec = {"response_id": response_id, "status": status, "identified_on": draw(dates(8, 40))}
    people = draw(st.integers(0, 3))
    rec["young_people"] = [draw(young_person(i)) for i in range(people)]
    put(rec, "referral", draw(_REFERRAL))
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
    put(rec, "information_sharing", draw(information_sharing(people)))
    put(rec, "cross_boundary", draw(_CROSS_BOUNDARY))
    put(rec, "staff_support", draw(_STAFF_SUPPORT))
    if status == "closed":
        finals = [m["id"] for m in rec.get("meetings", []) if m["type"] == "final"]
        rec["closure"] = draw(closure(tuple(finals)))
    elif draw(st.booleans()):
        rec["closure"] = None
    return rec
