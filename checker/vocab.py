"""Plain-English labels for the codes of the exchange format (section 3), for messages."""
from __future__ import annotations

ROLES = {
    "cs_head_of_safeguarding": "Children's Services Head of Children's Safeguarding (or delegate)",
    "cs_service_manager": "Children's Services Service Manager",
    "childrens_social_care": "Children's Social Care",
    "camhs": "CAMHS (Suicide Prevention lead or manager)",
    "police": "Police representative",
    "icb_head_of_safeguarding": "Head of Safeguarding, ICB",
    "public_health_consultant": "Public health consultant",
    "acute_safeguarding": "Head of Safeguarding or Named Nurse, acute provider",
    "cic_specialist_nurse": "Children in Care Specialist Nurse",
    "la_education_lead": "Local authority education lead / Educational Psychologist / Wellbeing lead",
    "ehe_cme_lead": "Elective Home Education / Children Missing Education lead",
    "education_setting": "Education (the children's school or college)",
    "la_communications_lead": "Local authority communications lead",
    "district_council": "District / Borough Council representative",
    "adult_mental_health": "Mental Health Adults Services",
    "digital_safety_team": "Digital safety team",
    "inpatient_ward": "In-patient clinical ward representative",
    "early_help": "Early Help",
    "third_sector": "Third sector organisation",
    "other": "Other",
}

ITEMS = {
    "info_assessed": "assess the information known to date",
    "further_info_decided": "decide what further information is required",
    "info_gathering_arranged": "arrange for its gathering",
    "mapping_done": "initial mapping exercise (scale, young people needing support)",
    "contagion_considered": "consider risks relating to contagion",
    "protective_action_considered": "consider immediate protective action",
    "s47_considered": "consider a separate S47 enquiry for individual children",
    "response_plan_agreed": "identify a response plan",
    "review_mechanism_agreed": "include a review mechanism in the plan",
    "outcome_fed_back": "feed back the outcome, including resource implications",
    "review_date_agreed": "agree a review date to ensure all children identified are assessed",
    "communication_agreed": "agree communication",
    "parents_carers_communication": "communication with parents / carers",
    "full_response_decided": "decide whether a full multi-agency response is required",
    "scale_decided": "decide the scale of the response and additional representation",
    "focus_decided": "decide the focus (online harm / in person)",
    "cross_boundary_planned": "plan cross-boundary liaison and sharing of resources",
    "intelligence_staff_identified": "identify staff to manage social media intelligence",
    "staff_support_planned": "plan support, supervision and debriefing of staff",
    "expert_advice_available": "make expert advice available",
    "liaison_arrangements": "liaison arrangements for inter-agency working",
    "timescales_set": "set timescales for the stages of the response",
    "tasks_allocated": "allocate tasks with line management responsibilities",
    "media_managed": "manage public relations and media interest",
    "political_managed": "manage the political arena",
    "confidentiality_agreed": "agree confidentiality / need-to-know arrangements",
    "exit_strategy_planned": "plan the exit strategy",
    "risk_protocol_considered": "consider a risk management protocol",
    "progress_monitored": "monitor the progress of the response",
    "governance_aligned": "align with other governance structures",
    "risk_indicators_reviewed": "review risk indicators for the children",
    "resources_considered": "consider resource requirements",
    "termination_considered": "consider the timing of termination",
    "debrief_planned": "plan a debrief meeting to identify lessons learnt",
    "lessons_actioned": "take forward actions from lessons learnt",
    "young_people_scoped": "scope the young people at risk",
    "individual_plans": "identify individual response plans",
    "parental_responses": "identify parental responses needed",
    "staff_support_in_place": "ensure staff support structures are in place and used",
    "fed_back_to_strategic": "feed back to the strategic group",
}

AGENCIES = {
    "childrens_services": "Children's Services", "police": "Police", "health": "Health",
    "education": "Education", "local_authority": "Local authority",
    "district_council": "District / Borough Council", "early_help": "Early Help",
    "third_sector": "Third sector", "other": "Other",
}

LABELS = {**AGENCIES, **ITEMS, **ROLES}


def label_of(code: str) -> str:
    """The label for a known code; anything else (a child's pseudonymous id, a rule's own code) as it is."""
    return f"{LABELS[code]} ({code})" if code in LABELS else code
