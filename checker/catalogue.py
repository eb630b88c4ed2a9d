"""The facts a response record becomes, and the fields each fact type has.

Rules may only name fact types and fields listed here (``shg-check rules lint``
checks it). Field types: ``str``, ``bool``, ``int``, ``date``. A field is
*absent* from a fact when the export did not include it (unknown), and
*null* when the export recorded it as null (recorded as not done); the
engine sees a null field ``f`` as the marker ``f__null``.

A ``date`` field ``f`` reaches the engine as two whole numbers: ``f_d`` (epoch
day) and ``f_w`` (working-day index, England and Wales), see workdays.py.
"""
from __future__ import annotations

FACTS: dict[str, dict[str, str]] = {
    "response": {
        "status": "str", "identified_on": "date", "as_of": "date", "local_authority": "str",
        "referral_recorded": "bool", "meetings_recorded": "bool",
        "information_sharing_recorded": "bool", "cross_boundary_recorded": "bool",
        "closure_recorded": "bool", "staff_support_recorded": "bool",
        "young_people_count": "int", "home_areas_count": "int",
        "debrief_arrangements": "bool", "wellbeing_support": "bool",
        "scoping_meetings_count": "int", "strategic_meetings_count": "int",
        "operational_meetings_count": "int", "final_meetings_count": "int",
        "scoping_clock_from": "date", "closed_on": "date", "last_strategic_on": "date",
        "last_operational_on": "date",
    },
    "referral": {
        "date": "date", "route": "str", "kind": "str", "group_dynamic_described": "bool",
        "scoping_meeting_requested": "bool", "referring_agency": "str",
    },
    "young_person": {
        "yp": "str", "age": "int", "setting": "str", "previous_setting": "str",
        "setting_changed_on": "date", "home_area": "str", "looked_after": "bool",
        "ehe": "bool", "cme": "bool", "inpatient": "bool", "prior_suicidality": "bool",
        "individual_procedure_followed": "bool", "risk_assessed_on": "date",
        "risk_level": "str", "risk_agency": "str", "s47_considered_on": "date",
        "s47_enquiry_started": "bool", "individual_response_plan_on": "date",
        "parents_carers_informed_on": "date", "safety_plan_agreed_on": "date",
        "safety_plan_agencies_count": "int", "exit_plan_agreed_on": "date",
        "episodes_count": "int", "online_influence": "bool", "connections_count": "int",
        "self_harmed": "bool", "involved": "bool", "looked_after_from": "date", "moved_on": "date",
        "inpatient_from": "date", "inpatient_to": "date",
    },
    "episode": {"yp": "str", "date": "date", "setting": "str", "online_influence": "bool"},
    "connection": {"yp": "str", "to": "str", "kind": "str"},
    "meeting": {
        "ref": "str", "mtype": "str", "date": "date", "chair_role": "str",
        "chair_delegate": "bool", "attendees_recorded": "bool", "covered_recorded": "bool",
        "group_identified": "bool", "full_response": "str", "review_date": "date",
        "focus": "str", "staff_selection_considered_needs": "bool", "feeds_back_to": "str",
        "staff_selected": "bool", "review_date_agreed": "bool", "review_current": "bool",
        "latest_scoping_decision": "bool",
    },
    "attendee": {
        "mref": "str", "mtype": "str", "mdate": "date", "role": "str", "agency": "str",
        "setting": "str", "senior": "bool",
    },
    "covered": {"mref": "str", "mtype": "str", "mdate": "date", "item": "str"},
    "school_meeting": {"yp": "str", "date": "date", "parents_informed_on": "date"},
    "drop_in": {"setting": "str", "first_session_on": "date", "parents_informed_on": "date"},
    "cross_boundary": {"areas_count": "int", "responsibility_agreed_on": "date", "agreed_by_count": "int"},
    "boundary_agreement": {"agency": "str"},
    "closure": {
        "date": "date", "exit_strategy_on": "date", "staff_debriefed_on": "date",
        "final_meeting": "str", "overview_report_presented_on": "date",
        "agency_reviews_recorded": "bool",
    },
    "agency_review": {"agency": "str", "completed_on": "date", "actions_recorded": "bool"},
    "lessons_action": {"owner": "str", "status": "str"},
    "safety_plan_agency": {"yp": "str", "agency": "str"},
    "involved_agency": {"agency": "str"},
}

SINGLETONS = {"response", "referral", "cross_boundary", "closure"}

