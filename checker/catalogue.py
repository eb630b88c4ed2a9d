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

from typing import Any

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


# -- field names as authors write them ------------------------------------------------
# The facts keep short internal names (``mtype``, ``yp``, ...). Rule authors write the plain names
# of the exchange format; the short names are deprecated aliases that old rule files may still use.
# fact -> {plain name: internal name}
PLAIN_NAMES: dict[str, dict[str, str]] = {
    "young_person": {"young_person_id": "yp", "previous_setting_id": "previous_setting"},
    "episode": {"young_person_id": "yp"},
    "connection": {"young_person_id": "yp"},
    "school_meeting": {"young_person_id": "yp"},
    "safety_plan_agency": {"young_person_id": "yp"},
    "meeting": {"meeting_id": "ref", "meeting_type": "mtype"},
    "attendee": {"meeting_id": "mref", "meeting_type": "mtype", "meeting_date": "mdate"},
    "covered": {"meeting_id": "mref", "meeting_type": "mtype", "meeting_date": "mdate"},
}
# fact -> {internal name: plain name}
DEPRECATED: dict[str, dict[str, str]] = {f: {v: k for k, v in names.items()} for f, names in PLAIN_NAMES.items()}


def internal_field(fact: str, name: str) -> str:
    """The fact's field an author's name stands for (plain names and deprecated aliases both work)."""
    return PLAIN_NAMES.get(fact, {}).get(name, name)


def plain_field(fact: str, name: str) -> str:
    """The name authors write for a fact's field."""
    return DEPRECATED.get(fact, {}).get(name, name)


def canonical_field(name: str) -> str:
    """A field name without its fact: only the names that mean the same in every fact."""
    return {"meeting_type": "mtype"}.get(name, name)


def canonical_doc(doc: dict) -> dict:
    """A schema-valid rule document with every field name in its internal form (``meeting_type`` ->
    ``mtype``): what the normaliser, the rule digest and ``Rule.raw`` see, so a rule written with plain
    names and the same rule written with the old aliases are the same rule (same digest)."""
    import copy

    out = {k: (v if k == "examples" else copy.deepcopy(v)) for k, v in doc.items()}
    subject = out.get("subject") if isinstance(out.get("subject"), dict) else {}
    sfact = subject.get("fact", "response")

    def ref(text: Any) -> Any:
        if isinstance(text, str) and "." in text:
            who, name = text.split(".", 1)
            return f"{who}.{internal_field('response' if who == 'response' else sfact, name)}"
        return text

    def values(node: Any) -> Any:  # operands: {ref: subject.x}, within_working_days: {of: {ref: ...}}
        if isinstance(node, dict):
            return {k: ref(v) if k == "ref" else values(v) for k, v in node.items()}
        if isinstance(node, list):
            return [values(v) for v in node]
        return node

    def tests(fact: str, spec: Any) -> Any:
        if not isinstance(spec, dict):
            return spec
        return {internal_field(fact, k): values(v) for k, v in spec.items()}

    def related(spec: Any) -> Any:
        if isinstance(spec, dict) and "where" in spec:
            spec["where"] = tests(spec.get("fact", ""), spec["where"])
        return spec

    def condition(spec: Any) -> Any:
        if isinstance(spec, dict):
            for kind, body in spec.items():
                if kind == "subject":
                    spec[kind] = tests(sfact, body)
                elif kind == "response":
                    spec[kind] = tests("response", body)
                else:
                    related(body)
        return spec

    def due(spec: Any) -> Any:
        if isinstance(spec, dict):
            if "once" in spec:
                related(spec["once"])
            if "after" in spec:
                spec["after"] = ref(spec["after"])
        return spec

    if "where" in subject:
        subject["where"] = tests(sfact, subject["where"])
    inone = subject.get("if_none")
    if isinstance(inone, dict) and "due" in inone:
        due(inone["due"])
    for c in out.get("applies") or []:
        condition(c)
    if "due" in out:
        due(out["due"])
    for req in out.get("requires") or []:
        if not isinstance(req, dict):
            continue
        if isinstance(req.get("code"), dict) and "field" in req["code"]:
            req["code"]["field"] = internal_field(sfact, req["code"]["field"])
        if "test" in req:
            req["test"] = tests(sfact, req["test"])
        if isinstance(req.get("needs"), list):
            req["needs"] = [internal_field(sfact, n) for n in req["needs"]]
        for c in req.get("when") or []:
            condition(c)
        for key in ("exists", "unknown_if"):
            related(req.get(key))
        due(req.get("due"))
    return out
