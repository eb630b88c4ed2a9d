"""Build the synthetic sample export in fixtures/ (all data invented; ids are pseudonymous).

Run: python scripts/make_fixtures.py   (the output is committed; tests read the files)
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "sample-export"

SCOPING_ROLES = ["childrens_social_care", "camhs", "police", "icb_head_of_safeguarding",
                 "public_health_consultant", "acute_safeguarding", "la_education_lead",
                 "la_communications_lead", "adult_mental_health", "district_council"]
STRATEGIC_ROLES = SCOPING_ROLES
OPERATIONAL_ROLES = ["cs_service_manager", "childrens_social_care", "camhs", "police", "acute_safeguarding",
                     "la_education_lead", "adult_mental_health"]
SCOPING_ITEMS = ["info_assessed", "further_info_decided", "info_gathering_arranged", "mapping_done",
                 "contagion_considered", "protective_action_considered", "s47_considered",
                 "response_plan_agreed", "review_mechanism_agreed", "outcome_fed_back", "review_date_agreed",
                 "communication_agreed", "parents_carers_communication", "full_response_decided"]
STRATEGIC_ITEMS = ["scale_decided", "focus_decided", "cross_boundary_planned", "intelligence_staff_identified",
                   "staff_support_planned", "expert_advice_available", "liaison_arrangements", "timescales_set",
                   "tasks_allocated", "media_managed", "political_managed", "confidentiality_agreed",
                   "exit_strategy_planned", "risk_protocol_considered"]
REGULAR_STRATEGIC = ["progress_monitored", "governance_aligned", "risk_indicators_reviewed", "resources_considered",
                     "termination_considered", "debrief_planned", "lessons_actioned"]
REGULAR_OPERATIONAL = ["young_people_scoped", "individual_plans", "parental_responses", "progress_monitored",
                       "governance_aligned", "risk_indicators_reviewed", "resources_considered",
                       "termination_considered", "debrief_planned", "staff_support_in_place",
                       "fed_back_to_strategic"]


def attendees(roles, settings=(), senior=False):
    out = [{"role": r, **({"senior": True} if senior else {})} for r in roles]
    out += [{"role": "education_setting", "setting_id": s, **({"senior": True} if senior else {})} for s in settings]
    return out


def child(cid, setting, dob, area="LA-E06", **extra):
    base = {
        "id": cid, "date_of_birth": dob, "setting_id": setting, "previous_setting_id": None,
        "setting_changed_on": None, "home_area": area, "looked_after": False, "ehe": False, "cme": False,
        "inpatient": False, "prior_suicidality": False, "individual_procedure_followed": True,
        "self_harm_episodes": [{"date": "2026-03-02", "setting_id": setting, "online_influence": False}],
        "connections": [],
        "risk_assessment": {"date": "2026-03-06", "agency": "education", "level": "medium"},
        "s47": {"considered_on": "2026-03-04", "enquiry_started": False},
        "individual_response_plan_on": "2026-03-11", "parents_carers_informed_on": "2026-03-04",
        "safety_plan": {"agreed_on": "2026-05-20", "supporting_agencies": ["health", "education"]},
        "exit_plan_agreed_on": "2026-05-20",
    }
    base.update(extra)
    return base


def complete_closed():
    """R-2026-001: a closed response that does everything the chapter asks."""
    kids = [
        child("YP-A01", "URN-100001", "2011-05-14", connections=[{"to": "YP-A02", "kind": "in_person"}]),
        child("YP-A02", "URN-100001", "2010-11-02", connections=[{"to": "YP-A01", "kind": "in_person"},
                                                               {"to": "YP-A03", "kind": "online"}],
              looked_after=True),
        child("YP-A03", "URN-100002", "2011-01-20", area="LA-E07", previous_setting_id="URN-100001",
              setting_changed_on="2025-09-03",
              self_harm_episodes=[{"date": "2026-03-01", "setting_id": "URN-100002", "online_influence": True}]),
    ]
    settings = ["URN-100001", "URN-100002"]
    scoping_att = attendees(SCOPING_ROLES + ["cic_specialist_nurse", "digital_safety_team"], settings)
    return {
        "schema_version": "1.0", "response_id": "R-2026-001", "local_authority": "LA-E06", "status": "closed",
        "identified_on": "2026-03-02",
        "referral": {"date": "2026-03-02", "route": "ifd", "kind": "child_safeguarding_referral",
                     "group_dynamic_described": True, "scoping_meeting_requested": True,
                     "referring_agency": "education"},
        "young_people": kids,
        "meetings": [
            {"id": "M1", "type": "scoping", "date": "2026-03-04",
             "chair": {"role": "cs_head_of_safeguarding", "delegate": False},
             "attendees": scoping_att, "covered": SCOPING_ITEMS,
             "decisions": {"group_identified": True, "full_response": "strategic_and_operational",
                           "review_date": "2026-03-18", "focus": "both"},
             "staff_selection_considered_needs": True, "feeds_back_to": None},
            {"id": "M2", "type": "strategic", "date": "2026-03-09",
             "chair": {"role": "cs_head_of_safeguarding", "delegate": True},
             "attendees": attendees(STRATEGIC_ROLES + ["cic_specialist_nurse", "digital_safety_team"], settings,
                                    senior=True),
             "covered": STRATEGIC_ITEMS + REGULAR_STRATEGIC[:4],
             "decisions": {"focus": "both"}, "staff_selection_considered_needs": True, "feeds_back_to": None},
            {"id": "M3", "type": "operational", "date": "2026-03-11",
             "chair": {"role": "cs_service_manager", "delegate": False},
             "attendees": attendees(OPERATIONAL_ROLES + ["cic_specialist_nurse", "digital_safety_team"], settings),
             "covered": REGULAR_OPERATIONAL, "staff_selection_considered_needs": True, "feeds_back_to": "M2"},
            {"id": "M6", "type": "operational", "date": "2026-04-08",
             "chair": {"role": "cs_service_manager", "delegate": False},
             "attendees": attendees(OPERATIONAL_ROLES + ["cic_specialist_nurse", "digital_safety_team"], settings),
             "covered": ["progress_monitored", "risk_indicators_reviewed", "individual_plans", "fed_back_to_strategic"],
             "staff_selection_considered_needs": True, "feeds_back_to": "M4"},
            {"id": "M4", "type": "strategic", "date": "2026-04-15",
             "chair": {"role": "cs_head_of_safeguarding", "delegate": False},
             "attendees": attendees(STRATEGIC_ROLES + ["cic_specialist_nurse", "digital_safety_team"], settings,
                                    senior=True),
             "covered": REGULAR_STRATEGIC, "staff_selection_considered_needs": True, "feeds_back_to": None},
            {"id": "M5", "type": "final", "date": "2026-05-27",
             "chair": {"role": "cs_head_of_safeguarding", "delegate": False},
             "attendees": attendees(STRATEGIC_ROLES, settings), "covered": ["debrief_planned", "lessons_actioned"],
             "feeds_back_to": None},
        ],
        "information_sharing": {
            "school_meetings": [{"young_person": "YP-A01", "date": "2026-03-10", "parents_informed_on": "2026-03-09"}],
            "drop_in_sessions": [{"setting_id": "URN-100001", "first_session_on": "2026-03-12",
                                  "parents_informed_on": "2026-03-10"}],
        },
        "cross_boundary": {"areas": ["LA-E06", "LA-E07"], "responsibility_agreed_on": "2026-03-05",
                           "agreed_by": ["childrens_services", "police"]},
        "staff_support": {"debrief_arrangements": True, "wellbeing_support": True},
        "closure": {
            "date": "2026-05-29", "exit_strategy_on": "2026-05-20", "staff_debriefed_on": "2026-05-27",
            "agency_reviews": [{"agency": a, "completed_on": "2026-06-10", "actions_recorded": True}
                               for a in ("childrens_services", "police", "health", "education", "district_council")],
            "final_meeting": "M5", "overview_report_presented_on": "2026-07-01",
            "lessons_actions": [{"action": "Synthetic action text", "owner": "education", "status": "open"}],
        },
    }


def missing_police():
    """R-2026-002: open and part-way through (strategic and operational groups running, not closed);
    the scoping meeting had no police and no Children in Care nurse for a looked after child."""
    r = complete_closed()
    r["response_id"] = "R-2026-002"
    r["status"] = "open"
    r["identified_on"] = "2026-10-05"
    r["referral"]["date"] = "2026-10-05"
    for yp in r["young_people"]:
        yp["id"] = yp["id"].replace("YP-A", "YP-B")
        yp["connections"] = [{**c, "to": c["to"].replace("YP-A", "YP-B")} for c in yp["connections"]]
        yp["self_harm_episodes"] = [{**e, "date": "2026-10-02"} for e in yp["self_harm_episodes"]]
        yp["risk_assessment"]["date"] = "2026-10-09"
        yp["s47"]["considered_on"] = "2026-10-07"
        yp["individual_response_plan_on"] = "2026-10-14"
        yp["parents_carers_informed_on"] = "2026-10-07"
        yp["safety_plan"] = None
        yp["exit_plan_agreed_on"] = None
    scoping, strategic, operational = (copy.deepcopy(r["meetings"][i]) for i in (0, 1, 2))
    scoping["date"] = "2026-10-07"
    scoping["decisions"]["review_date"] = "2026-10-21"
    scoping["attendees"] = [a for a in scoping["attendees"] if a["role"] not in ("police", "cic_specialist_nurse")]
    strategic["date"] = "2026-10-12"
    operational["date"] = "2026-10-14"
    # the groups keep convening (4.1-P7, 4.2-P6): each met again in November
    strategic2 = {**copy.deepcopy(strategic), "id": "M4", "date": "2026-11-16", "covered": ["progress_monitored"]}
    operational2 = {**copy.deepcopy(operational), "id": "M6", "date": "2026-11-18", "feeds_back_to": "M4",
                    "covered": ["progress_monitored", "fed_back_to_strategic"]}
    r["meetings"] = [scoping, strategic, operational, strategic2, operational2]
    r["information_sharing"] = {"school_meetings": [], "drop_in_sessions": []}
    r["cross_boundary"]["responsibility_agreed_on"] = "2026-10-08"
    r["closure"] = None
    return r


def poor_referral():
    """R-2026-003: closed; referral via another route, no group dynamic named; scoping meeting late."""
    r = complete_closed()
    r["response_id"] = "R-2026-003"
    r["referral"].update(route="other", group_dynamic_described=False)
    r["meetings"][0]["date"] = "2026-03-20"
    for yp in r["young_people"]:
        yp["id"] = yp["id"].replace("YP-A", "YP-C")
        yp["connections"] = [{**c, "to": c["to"].replace("YP-A", "YP-C")} for c in yp["connections"]]
    r["information_sharing"]["school_meetings"][0]["young_person"] = "YP-C01"
    return r


def before_chapter():
    """R-2025-009: identified before the chapter came into force."""
    return {
        "schema_version": "1.0", "response_id": "R-2025-009", "local_authority": "LA-E06", "status": "closed",
        "identified_on": "2025-11-10", "referral": None,
        "young_people": [child("YP-D01", "URN-100009", "2010-02-02"), child("YP-D02", "URN-100009", "2010-06-06")],
        "meetings": [], "closure": {"date": "2025-12-19"},
    }


def open_early():
    """R-2026-004: open, identified two days before the as-of date; only the referral so far."""
    return {
        "schema_version": "1.0", "response_id": "R-2026-004", "local_authority": "LA-E07", "status": "open",
        "identified_on": "2026-11-25",
        "referral": {"date": "2026-11-25", "route": "mash", "kind": "child_safeguarding_referral",
                     "group_dynamic_described": True, "scoping_meeting_requested": True,
                     "referring_agency": "health"},
        "young_people": [child("YP-E01", "URN-100010", "2012-01-09", area="LA-E07"),
                         child("YP-E02", "URN-100010", "2011-09-30", area="LA-E07")],
        "meetings": [],
    }


def variant(response_id: str, letter: str) -> dict:
    """A copy of the complete closed response under a new id, its children renamed YP-<letter>nn."""
    r = complete_closed()
    r["response_id"] = response_id

    def rename(cid: str) -> str:
        return cid.replace("YP-A", f"YP-{letter}")

    for yp in r["young_people"]:
        yp["id"] = rename(yp["id"])
        yp["connections"] = [{**c, "to": rename(c["to"])} for c in yp["connections"]]
    for sm in r["information_sharing"]["school_meetings"]:
        sm["young_person"] = rename(sm["young_person"])
    return r


def meeting(r: dict, meeting_id: str) -> dict:
    return next(m for m in r["meetings"] if m["id"] == meeting_id)


def section1_adult():
    """R-2026-005: closed; one of the young people was already 18 when the group was identified (1-P1)."""
    r = variant("R-2026-005", "P")
    r["young_people"][2]["date_of_birth"] = "2008-01-15"
    return r


def section2_procedure_and_delay():
    """R-2026-006: closed; the referral came a week late (2-P2) and the ordinary self-harm procedure
    was not followed for one child (2-P3)."""
    r = variant("R-2026-006", "Q")
    r["referral"]["date"] = "2026-03-09"
    r["young_people"][1]["individual_procedure_followed"] = False
    return r


def section4x_groups():
    """R-2026-007: closed; the police attendee at the strategic group could not commit resources and
    the plan left out media handling (4.1); an operational meeting fed back to no one (4.2)."""
    r = variant("R-2026-007", "S")
    m2 = meeting(r, "M2")
    for a in m2["attendees"]:
        if a["role"] == "police":
            a["senior"] = False
    m2["covered"] = [c for c in m2["covered"] if c != "media_managed"]
    meeting(r, "M6")["feeds_back_to"] = None
    return r


def section5_6_sharing_and_boundaries():
    """R-2026-008: closed; parents were told only after a school meeting with their child (5-P3) and
    responsibility across the two areas was agreed by Children's Services without the Police (6-P1)."""
    r = variant("R-2026-008", "T")
    r["information_sharing"]["school_meetings"][0]["parents_informed_on"] = "2026-03-11"
    r["cross_boundary"]["agreed_by"] = ["childrens_services"]
    return r


def section7_closure():
    """R-2026-009: closed; one child left without a safety plan, the police review recorded no actions,
    and no overview report went to the partnership (7)."""
    r = variant("R-2026-009", "U")
    r["young_people"][1]["safety_plan"] = None
    r["closure"]["agency_reviews"][1]["actions_recorded"] = False
    r["closure"]["overview_report_presented_on"] = None
    return r


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "R-2026-001-complete.json").write_text(json.dumps(complete_closed(), indent=2) + "\n")
    (OUT / "responses-2026.json").write_text(json.dumps([missing_police(), poor_referral()], indent=2) + "\n")
    (OUT / "responses-section-gaps.json").write_text(json.dumps(
        [section1_adult(), section2_procedure_and_delay(), section4x_groups(), section5_6_sharing_and_boundaries(),
         section7_closure()], indent=2) + "\n")
    (OUT / "responses-recent.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in (before_chapter(), open_early())))


if __name__ == "__main__":
    main()
