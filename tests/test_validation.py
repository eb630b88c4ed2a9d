"""Validation of response records and incident rows: exact pointers and messages, and no leaked values."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from checker import vocab
from checker.errors import InputError
from checker.validation import DATE_MESSAGE, is_date, schema, validate_incident, validate_response, validator

FAKE_NAME = "Zebedee Quux"


def response(**fields: object) -> dict:
    record = {"schema_version": "1.0", "response_id": "R-1", "status": "open", "identified_on": "2026-03-02",
              "young_people": [{"id": "YP-A"}]}
    record.update(copy.deepcopy(fields))
    return record


def full_response() -> dict:
    """A closed response that uses every field of exchange format v1."""
    return response(
        local_authority="E10000001",
        status="closed",
        referral={"date": "2026-03-03", "route": "ifd", "kind": "child_safeguarding_referral",
                  "group_dynamic_described": True, "scoping_meeting_requested": True, "referring_agency": "education"},
        young_people=[
            {"id": "YP-A", "date_of_birth": "2011-05-01", "setting_id": "100001", "previous_setting_id": None,
             "setting_changed_on": None, "home_area": "E10000001", "looked_after": False, "ehe": False, "cme": False,
             "inpatient": False, "self_harm_episodes": [{"date": "2026-02-27", "setting_id": "100001", "online_influence": True}],
             "prior_suicidality": False, "connections": [{"to": "YP-B", "kind": "online"}],
             "individual_procedure_followed": True, "risk_assessment": {"date": "2026-03-05", "agency": "education", "level": "high"},
             "s47": {"considered_on": "2026-03-04", "enquiry_started": False}, "individual_response_plan_on": "2026-03-10",
             "parents_carers_informed_on": "2026-03-04",
             "safety_plan": {"agreed_on": "2026-05-01", "supporting_agencies": ["health", "education"]},
             "exit_plan_agreed_on": "2026-05-01"},
            {"id": "YP-B", "age": 14, "risk_assessment": None, "s47": None, "safety_plan": None},
        ],
        meetings=[
            {"id": "M1", "type": "scoping", "date": "2026-03-04", "chair": {"role": "cs_head_of_safeguarding", "delegate": False},
             "attendees": [{"role": "police", "agency": "police", "senior": True},
                           {"role": "education_setting", "agency": "education", "setting_id": "100001"}],
             "covered": ["info_assessed", "mapping_done"],
             "decisions": {"group_identified": True, "full_response": "strategic", "review_date": "2026-03-18", "focus": "both"},
             "staff_selection_considered_needs": True, "feeds_back_to": None},
            {"id": "M2", "type": "operational", "date": "2026-03-11", "feeds_back_to": "M3"},
            {"id": "M3", "type": "strategic", "date": "2026-03-12"},
            {"id": "M4", "type": "final", "date": "2026-05-02"},
        ],
        information_sharing={
            "school_meetings": [{"young_person": "YP-A", "date": "2026-03-06", "parents_informed_on": "2026-03-05"}],
            "drop_in_sessions": [{"setting_id": "100001", "first_session_on": "2026-03-09", "parents_informed_on": "2026-03-06"}]},
        cross_boundary={"areas": ["E10000001", "E10000002"], "responsibility_agreed_on": "2026-03-12",
                        "agreed_by": ["childrens_services", "police"]},
        staff_support={"debrief_arrangements": True, "wellbeing_support": True},
        closure={"date": "2026-05-03", "exit_strategy_on": "2026-04-20", "staff_debriefed_on": "2026-05-02",
                 "agency_reviews": [{"agency": "police", "completed_on": "2026-05-20", "actions_recorded": True}],
                 "final_meeting": "M4", "overview_report_presented_on": "2026-06-01",
                 "lessons_actions": [{"action": "free text", "owner": "police", "status": "open"}]},
    )


# -- the schemas themselves ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["response-record", "incident", "report"])
def test_schemas_are_valid_draft_2020_12(name):
    Draft202012Validator.check_schema(schema(name))
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_validator_is_compiled_once():
    assert validator("response-record") is validator("response-record")


def test_vocabularies_match_the_checker_labels():
    defs = schema("response-record")["$defs"]
    assert defs["role_code"]["enum"] == list(vocab.ROLES)
    assert defs["agency_code"]["enum"] == list(vocab.AGENCIES)
    assert defs["item_code"]["enum"] == list(vocab.ITEMS)


def _described(node: object, where: str = "") -> list[str]:
    """Pointers of property schemas in ``node`` that lack a description."""
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{where}/{name}")
        for key, sub in node.items():
            if key in ("if", "then"):  # conditions, not field definitions
                continue
            missing.extend(_described(sub, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing.extend(_described(sub, f"{where}/{i}"))
    return missing


def test_every_input_field_is_documented():
    assert _described(schema("response-record")) == []
    assert _described(schema("incident")) == []
    assert "absent" in schema("response-record")["description"]


# -- valid records -------------------------------------------------------------------------------------------


def test_minimal_record_is_valid(make_response):
    assert validate_response(make_response()) == []


def test_record_using_every_field_is_valid():
    assert validate_response(full_response()) == []


def test_unknown_top_level_and_extension_fields_are_accepted():
    record = response(exported_at="2026-03-01", referral={"date": "2026-03-02", "x_case_ref": "abc"})
    record["young_people"][0]["x_local_flag"] = True
    record["young_people"][0]["nickname_field"] = "anything"
    assert validate_response(record) == []


# -- dates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-02-28", "2024-02-29", "2026-12-31"])
def test_real_dates_pass(value):
    assert is_date(value)
    assert validate_response(response(identified_on=value)) == []


@pytest.mark.parametrize("value", ["2026-02-30", "2025-02-29", "20260227", "2026-2-3", "2026-02-27T10:00",
                                   "27/02/2026", "2026-13-01", " 2026-02-27", "2026-W09-5", "２０２６-02-27", ""])
def test_bad_dates_fail(value):
    assert not is_date(value)
    assert validate_response(response(identified_on=value)) == [("/identified_on", DATE_MESSAGE)]


# -- schema messages -----------------------------------------------------------------------------------------


def test_missing_required_properties_point_at_the_missing_property():
    record = response(referral={"date": "2026-03-02"}, meetings=[{"id": "M1"}])
    del record["response_id"], record["young_people"]
    assert validate_response(record) == [
        ("/meetings/0/date", 'required property "date" is missing'),
        ("/meetings/0/type", 'required property "type" is missing'),
        ("/response_id", 'required property "response_id" is missing'),
        ("/young_people", 'required property "young_people" is missing'),
    ]


def test_enum_type_and_empty_messages():
    record = response(status="pending", response_id="", young_people=[{"id": "YP-A", "age": "12", "looked_after": "yes"}],
                      referral={"route": "email"})
    assert validate_response(record) == [
        ("/referral/route", "must be one of: ifd, mash, other (or null)"),
        ("/response_id", "must not be empty"),
        ("/status", "must be one of: open, closed"),
        ("/young_people/0/age", "must be of type integer or null"),
        ("/young_people/0/looked_after", "must be of type boolean"),
    ]


def test_fields_v1_does_not_name_are_ignored_not_errors():
    """Case systems export more than v1 names (notes, job titles...): the record is still checked;
    an unknown field is simply not read (a misspelt field is unknown data, never a gap)."""
    record = response(referral={"date": "2026-03-02", "scoping_meeting_requsted": True, "notes": "free text"},
                      meetings=[{"id": "M1", "type": "scoping", "date": "2026-03-03",
                                 "attendees": [{"role": "police", "name": "A. Officer", "job_title": "DS"}]}])
    assert validate_response(record) == []


def test_schema_version_must_be_version_1():
    assert validate_response(response(schema_version="1.3")) == []
    assert validate_response(response(schema_version="2.0")) == [
        ("/schema_version", 'must be a version 1 schema_version such as "1.0"')]


@pytest.mark.parametrize("closure", [None, "missing"])
def test_closure_is_required_once_closed(closure):
    record = response(status="closed")
    if closure != "missing":
        record["closure"] = closure
    assert validate_response(record) == [("/closure", 'required once status is "closed"')]


def test_closure_may_be_null_or_absent_while_open():
    assert validate_response(response(closure=None)) == []
    assert validate_response(response(status="closed", closure={})) == []


def test_every_error_is_reported_sorted_by_pointer_with_numeric_indexes():
    people = [{"id": f"YP-{i}"} for i in range(12)]
    people[2]["age"] = -1
    people[10]["age"] = -1
    people[10]["ehe"] = 1
    assert validate_response(response(young_people=people, status="x")) == [
        ("/status", "must be one of: open, closed"),
        ("/young_people/2/age", "must be at least 0"),
        ("/young_people/10/age", "must be at least 0"),
        ("/young_people/10/ehe", "must be of type boolean"),
    ]


def test_a_record_that_is_not_an_object():
    assert validate_response([]) == [("", "must be of type object")]


# -- checks beyond the schema --------------------------------------------------------------------------------


def test_duplicate_young_person_and_meeting_ids():
    record = response(young_people=[{"id": "YP-A"}, {"id": "YP-B"}, {"id": "YP-A"}],
                      meetings=[{"id": "M1", "type": "scoping", "date": "2026-03-04"},
                                {"id": "M1", "type": "strategic", "date": "2026-03-05"}])
    assert validate_response(record) == [
        ("/meetings/1/id", "duplicate meeting id: also used by /meetings/0"),
        ("/young_people/2/id", "duplicate young person id: also used by /young_people/0"),
    ]


def test_connection_to_the_child_itself():
    record = response(young_people=[{"id": "YP-A", "connections": [{"to": "YP-B"}, {"to": "YP-A", "kind": "online"}]}])
    assert validate_response(record) == [("/young_people/0/connections/1/to", "must not be the young person's own id")]


def test_meeting_references():
    record = full_response()
    record["meetings"][1]["feeds_back_to"] = "M9"
    record["meetings"][2]["feeds_back_to"] = "M3"
    record["closure"]["final_meeting"] = "M3"
    # a reference to a missing meeting, or to one of another type, is for the rules to judge
    assert validate_response(record) == [("/meetings/2/feeds_back_to", "must not be the meeting's own id")]
    record["meetings"][2]["feeds_back_to"] = "M404"
    record["closure"]["final_meeting"] = "M404"
    assert validate_response(record) == []


# -- incidents -----------------------------------------------------------------------------------------------


def incident(**fields: object) -> dict:
    row = {"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27",
           "setting_id": "100001", "area": "E10000001", "connections": ["YP-B"]}
    row.update(fields)
    return row


def test_valid_incidents():
    assert validate_incident(incident()) == []
    assert validate_incident(incident(age=None)) == [("/age", "must be of type integer")]
    row = incident(date_of_birth="2011-05-01", reported_by="health", extra_column="ignored")
    del row["age"]
    assert validate_incident(row) == []


def test_incident_needs_date_of_birth_or_age():
    row = incident()
    del row["age"]
    assert validate_incident(row) == [("/date_of_birth", 'required property "date_of_birth" (or "age") is missing')]


def test_incident_messages():
    row = incident(age="twelve", date="2026-02-30", reported_by="school", connections="YP-B")
    del row["young_person_id"]
    assert validate_incident(row) == [
        ("/age", "must be of type integer"),
        ("/connections", "must be of type array"),
        ("/date", DATE_MESSAGE),
        ("/reported_by", "must be one of: childrens_services, police, health, education, local_authority, "
                         "district_council, early_help, third_sector, other (or null)"),
        ("/young_person_id", 'required property "young_person_id" is missing'),
    ]


# -- no input value in any message ---------------------------------------------------------------------------


def _poisoned_response(value: object) -> dict:
    record = response(status=value, identified_on=value, local_authority=[value], schema_version=value,
                      referral={"route": value, "date": value, "group_dynamic_described": value},
                      young_people=[{"id": "YP-A", "age": value, "date_of_birth": value, "setting_id": [value],
                                     "connections": [{"to": [value], "kind": value}, {"to": "YP-A"}],
                                     "risk_assessment": value, "looked_after": value},
                                    {"id": "YP-A"}],
                      meetings=[{"id": "M1", "type": value, "date": value, "covered": [value],
                                 "attendees": [{"role": value}], "feeds_back_to": value}],
                      closure={"final_meeting": value, "lessons_actions": [{"action": 3, "status": value}]})
    return record


def test_no_input_value_appears_in_any_message():
    problems = validate_response(_poisoned_response(FAKE_NAME))
    assert len(problems) > 15
    for path, message in problems:
        assert FAKE_NAME not in message and FAKE_NAME not in path
    row_problems = validate_incident(incident(young_person_id=[FAKE_NAME], age=FAKE_NAME, date=FAKE_NAME,
                                              setting_id=[FAKE_NAME], reported_by=FAKE_NAME, connections=[FAKE_NAME, 5]))
    assert len(row_problems) == 6
    assert all(FAKE_NAME not in message for _, message in row_problems)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_no_arbitrary_value_appears_in_any_message(text):
    value = "\u00a7" + text  # "§" never occurs in a message of ours
    for _, message in validate_response(_poisoned_response(value)):
        assert value not in message


@pytest.mark.parametrize("keyword, expected, message", [
    ("minItems", 1, "must not be empty"),
    ("minItems", 2, "must have at least 2 items"),
    ("minLength", 3, "must be at least 3 characters long"),
    ("maximum", 25, "must be at most 25"),
    ("pattern", "^1$", "must match the pattern ^1$"),
    ("uniqueItems", True, "must not contain duplicates"),
    ("const", "closed", 'must be "closed"'),
    ("format", "email", "must be a valid email"),
    ("multipleOf", 2, 'is not valid (fails the "multipleOf" rule of the schema)'),
])
def test_messages_for_keywords_the_schemas_may_use_later(keyword, expected, message):
    from checker.validation import _message

    assert _message(keyword, expected) == message


def _report() -> dict:
    return {
        "tool": {"name": "shg-check", "version": "0.1.0"},
        "ruleset": {"version": "2026.02", "digest": "sha256:" + "0" * 64},
        "as_of": "2026-11-27",
        "parameters": [{"name": "scoping_within", "value": 5, "unit": "working_days", "source": "3-P1", "description": None}],
        "responses": [{"response_id": "R-1", "findings": [
            {"rule": "scoping-held", "status": "gap", "severity": "high", "policy": {"section": "4.1", "clause": "4.1-P2"},
             "message": "…", "missing": ["police"], "evidence": ["/meetings/0/attendees", ""], "waived": None}]}],
        "groups": [{"members": ["YP-A", "YP-B"], "basis": "same_setting", "first_date": "2026-02-27", "escalated": False}],
        "input_errors": [InputError("a.json", "#1", "/status", "must be one of: open, closed", 3).to_dict()],
        "summary": {"gap": 1},
        "delta": {"later": "fields are allowed"},
    }


def test_report_schema_accepts_a_report_and_rejects_an_unknown_status():
    report_validator = validator("report")
    assert list(report_validator.iter_errors(_report())) == []
    bad = _report()
    bad["responses"][0]["findings"][0]["status"] = "failed"
    bad["responses"][0]["findings"][0]["policy"]["section"] = "8"
    assert sorted(e.validator for e in report_validator.iter_errors(bad)) == ["enum", "pattern"]
