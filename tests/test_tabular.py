"""Tabular inputs (issue 12): the tracker template, mappings, CSV / .xlsx reading, hostile workbooks."""
from __future__ import annotations

import copy
import shutil
import subprocess
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from checker.api import check
from checker.cli import main
from checker.errors import ConfigError, InputError
from checker.tabular.layout import build_layout, layout
from checker.tabular.mapping import default_document, resolve
from checker.tabular.reader import open_input
from checker.tabular.template import write_workbook
from checker.validation import load_responses, schema
from checker.vocab import ROLES

from helpers import AS_OF, FIXTURES, SAMPLE
from nightly_helpers import sample_report
from strategies import response_records

SAMPLE_BOOK = FIXTURES / "sample-workbook" / "responses-2026.xlsx"
SSD = FIXTURES / "tabular" / "ssd-extract"
LOCAL = FIXTURES / "tabular" / "local-tracker"


def write(path: Path, records: list[dict]) -> Path:
    write_workbook(path, records, clauses={}, formatted_rows=0)
    return path


def read(path, mapping=None) -> tuple[list[dict], list[InputError]]:
    """Records and errors of one tabular input, read and validated as `check` does."""
    loaded = load_responses([path], mapping)
    return [r.data for r in loaded.records], loaded.errors


def record(rid="R-1", **fields) -> dict:
    out = {"schema_version": "1.0", "response_id": rid, "status": "open", "identified_on": "2026-03-02",
           "young_people": [{"id": "YP-A"}]}
    out.update(fields)
    return out


MEETING = {"id": "m1", "type": "scoping", "date": "2026-03-04", "attendees": [{"role": "police"}],
           "covered": ["info_assessed"]}


def edit(path: Path, change) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


# -- the template ------------------------------------------------------------------------------------------------


def _schema_fields(node, defs, prefix=()):
    """Every leaf field path of the schema (arrays of objects recursed), as the layout should show it."""
    out = set()
    for name, sub in node.get("properties", {}).items():
        if "$ref" in sub:
            sub = {**defs[sub["$ref"].rsplit("/", 1)[1]], **sub}
        types = sub.get("type", [])
        types = types if isinstance(types, list) else [types]
        if "array" in types:
            items = sub.get("items", {})
            if "$ref" in items:
                items = defs[items["$ref"].rsplit("/", 1)[1]]
            if items.get("type") == "object":
                out |= _schema_fields(items, defs, (*prefix, name))
            else:
                out.add(".".join((*prefix, name)))
        elif "object" in types:
            out |= _schema_fields(sub, defs, (*prefix, name))
        else:
            out.add(".".join((*prefix, name)))
    return out


def test_every_schema_field_is_a_column_of_the_template():
    s = schema("response-record")
    columns = {".".join((*t.path, *c.path)) for t in layout().tables() for c in t.columns if c.kind != "state"}
    assert _schema_fields(s, s["$defs"]) == columns


def test_template_sheets_dropdowns_dates_and_notes(tmp_path):
    path = tmp_path / "tracker.xlsx"
    write_workbook(path, [], formatted_rows=10)
    book = load_workbook(path)
    assert book.sheetnames == ["README", "Responses", "Young people", "Self-harm episodes", "Connections", "Meetings",
                               "Attendees", "Items covered", "School meetings", "Drop-in sessions", "Closure",
                               "Agency reviews", "Lessons actions", "Codes"]
    attendees = book["Attendees"]
    assert [c.value for c in attendees[1]] == ["Response ID", "Meeting ID", "Role", "Agency", "Setting ID", "Senior"]
    assert attendees["C1"].comment.text.startswith("Field: meetings.attendees.role\ncode (drop-down)")
    lists = {str(dv.sqref): dv.formula1 for dv in attendees.data_validations.dataValidation}
    assert lists["C2:C11"].startswith("Codes!$")
    assert lists["F2:F11"] == '"Yes,No"'
    meetings = book["Meetings"]
    date_col = [c.value for c in meetings[1]].index("Meeting date") + 1
    assert meetings.cell(2, date_col).number_format == "DD/MM/YYYY"
    first, last = lists["C2:C11"].split("$A$")[1].rstrip(":"), lists["C2:C11"].split("$A$")[2]
    codes = [book["Codes"].cell(i, 1).value for i in range(int(first), int(last) + 1)]
    assert codes == list(ROLES)   # the drop-down lists exactly the role codes
    assert book["Codes"].cell(int(first) - 1, 1).value == "role_code"
    readme = [r for r in book["README"].iter_rows(values_only=True)]
    role_row = next(r for r in readme if r[:3] == ("Attendees", "Role", "meetings.attendees.role"))
    assert "4-P2" in role_row[5]     # the clause the column serves, from the rules


def test_a_field_added_to_the_schema_becomes_a_column_and_reads_back(tmp_path):
    s = copy.deepcopy(schema("response-record"))
    s["$defs"]["meeting"]["properties"]["minutes_approved_on"] = {"$ref": "#/$defs/date_or_null",
                                                                   "description": "v1.1: minutes approved"}
    s["$defs"]["meeting"]["properties"]["actions"] = {"type": "array", "items": {
        "type": "object", "properties": {"owner": {"$ref": "#/$defs/agency_code"}}}}
    lay = build_layout(s)
    meetings = lay.table("meetings")
    assert "Minutes approved on" in [c.heading for c in meetings.columns]
    assert lay.table("meetings.actions").keys() == [("response_id", "Response ID"), ("meetings", "Meeting ID")]
    rec = record(meetings=[{**MEETING, "minutes_approved_on": "2026-03-09", "actions": [{"owner": "police"}]}])
    path = tmp_path / "t.xlsx"
    write_workbook(path, [rec], lay, clauses={}, formatted_rows=0)
    assert read(path, resolve(default_document(lay), lay)) == ([rec], [])


# -- round trip --------------------------------------------------------------------------------------------------


@st.composite
def record_lists(draw):
    n = draw(st.integers(1, 4))
    return [draw(response_records(f"R-{i}")) for i in range(n)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(records=record_lists())
def test_any_v1_record_written_to_the_template_reads_back_the_same(tmp_path_factory, records):
    path = write(tmp_path_factory.mktemp("rt") / "t.xlsx", records)
    assert read(path) == (records, [])


def test_null_empty_and_absent_read_back_apart(tmp_path):
    records = [record("R-1", referral=None, meetings=[], cross_boundary={}, staff_support={"wellbeing_support": False},
                      young_people=[{"id": "YP-A", "connections": [], "risk_assessment": None,
                                     "setting_changed_on": None}]),
               record("R-2", information_sharing={"school_meetings": []}, closure=None)]
    path = write(tmp_path / "t.xlsx", records)
    assert read(path) == (records, [])


def _sample_records() -> list[dict]:
    out = []
    for path in sorted(SAMPLE.iterdir()):
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            out.extend(data if isinstance(data, list) else [data])
        elif path.suffix == ".jsonl":
            out.extend(json.loads(x) for x in path.read_text().splitlines() if x.strip())
    return out


def test_the_sample_workbook_holds_the_sample_export():
    assert read(SAMPLE_BOOK) == (_sample_records(), [])


def _findings(report) -> dict:
    return {r.response_id: [f.to_dict() for f in r.findings] for r in report.responses}


def test_check_on_the_sample_workbook_gives_the_findings_of_the_json():
    on_json = sample_report()
    on_book = check([SAMPLE_BOOK], AS_OF)
    assert on_book.input_errors == [] and on_json.input_errors == []
    assert len(on_book.responses) == 10
    assert _findings(on_book) == _findings(on_json)


# -- the SSD-shaped extract --------------------------------------------------------------------------------------

SSD_R1 = {
    "response_id": "SSD-R1", "schema_version": "1.0", "local_authority": "LA-1", "status": "open",
    "identified_on": "2026-03-02",
    # route etc. from the tracker; date and referring agency from the earliest SSD referral of its children
    # on or after the concern (1001's 2025 referral is older: left out); kind set by the mapping
    "referral": {"route": "ifd", "group_dynamic_described": True, "scoping_meeting_requested": True,
                 "date": "2026-03-03", "referring_agency": "education", "kind": "child_safeguarding_referral"},
    "young_people": [
        # 1001: in care since 2025 (episode not ended); S47 of 2026-03-05 (the 2024 one is before the concern)
        {"id": "YP-S1", "setting_id": "URN-100", "home_area": "LA-1", "ehe": False, "cme": False,
         "date_of_birth": "2011-05-14", "looked_after": True, "s47": {"considered_on": "2026-03-05",
                                                                        "enquiry_started": True}},
        # 1002: care episode ended in 2025, before the concern: not looked after
        {"id": "YP-S2", "setting_id": "URN-100", "home_area": "LA-1", "ehe": False, "cme": False,
         "date_of_birth": "2012-01-20", "looked_after": False},
        {"id": "YP-S3", "setting_id": "URN-100", "home_area": "LA-1", "ehe": False, "cme": False,
         "date_of_birth": "2011-11-02", "looked_after": False}],
    "meetings": [{"id": "M1", "type": "scoping", "date": "2026-03-04", "chair": {"role": "cs_head_of_safeguarding"},
                  "decisions": {"group_identified": True, "full_response": "strategic_and_operational",
                                "review_date": "2026-03-20", "focus": "in_person"},
                  "attendees": [{"role": r, "senior": r != "education_setting"} for r in (
                      "childrens_social_care", "camhs", "police", "icb_head_of_safeguarding",
                      "public_health_consultant", "acute_safeguarding", "la_education_lead", "education_setting",
                      "la_communications_lead", "adult_mental_health")],
                  "covered": ["info_assessed", "further_info_decided", "info_gathering_arranged", "mapping_done",
                              "contagion_considered", "protective_action_considered", "s47_considered",
                              "response_plan_agreed", "review_mechanism_agreed", "communication_agreed",
                              "parents_carers_communication", "outcome_fed_back", "review_date_agreed",
                              "full_response_decided"]}],
}
SSD_R2 = {
    "response_id": "SSD-R2", "schema_version": "1.0", "local_authority": "LA-1", "status": "closed",
    "identified_on": "2026-03-09",
    "referral": {"route": "mash", "group_dynamic_described": False, "scoping_meeting_requested": True,
                 "date": "2026-03-10", "referring_agency": "childrens_services", "kind": "child_safeguarding_referral"},
    "closure": {"date": "2026-05-20"},
    "young_people": [
        {"id": "YP-S4", "setting_id": "URN-200", "home_area": "LA-1", "ehe": False, "cme": True,
         "date_of_birth": "2010-09-30", "looked_after": False, "s47": {"considered_on": "2026-03-12",
                                                                         "enquiry_started": True}},
        # not linked to an SSD person: date of birth and looked_after stay unknown (absent), never false
        {"id": "YP-S5", "setting_id": "URN-200", "home_area": "LA-2", "ehe": False, "cme": False}],
    "meetings": [
        {"id": "M1", "type": "scoping", "date": "2026-03-11", "chair": {"role": "cs_head_of_safeguarding"},
         "decisions": {"group_identified": True, "full_response": "none", "review_date": "2026-03-25",
                       "focus": "online"},
         "attendees": [{"role": "childrens_social_care", "senior": True}, {"role": "police", "senior": True},
                       {"role": "education_setting", "senior": False}],
         "covered": ["info_assessed", "mapping_done"]},
        {"id": "M2", "type": "final", "date": "2026-05-15", "chair": {"role": "cs_head_of_safeguarding"}}],
}


def test_ssd_extract_gives_these_records_exactly():
    loaded = load_responses([SSD])
    assert loaded.errors == []
    assert [r.data for r in loaded.records] == [SSD_R1, SSD_R2]


def test_ssd_extract_findings(tmp_path):
    report = check([SSD], AS_OF)
    status = {r.response_id: {f.rule: (f.status, f.missing) for f in r.findings} for r in report.responses}
    r1, r2 = status["SSD-R1"], status["SSD-R2"]
    # YP-S1 is looked after (from ssd_cla_episodes): the scoping meeting lacked the Children in Care nurse
    assert r1["scoping-required-roles"] == ("gap", ["cic_specialist_nurse"])
    assert r1["scoping-required-outputs"] == ("met", [])
    assert r1["referral-via-ifd-mash"][0] == "met"
    # YP-S4 is missing education: no EHE / CME lead; most roles absent
    assert r2["scoping-required-roles"] == ("gap", ["acute_safeguarding", "adult_mental_health", "camhs",
                                                    "ehe_cme_lead", "icb_head_of_safeguarding",
                                                    "la_communications_lead", "la_education_lead",
                                                    "public_health_consultant"])
    # online focus: the digital safety team "may be required" (4-P2-B14): advice, never a gap
    assert r2["scoping-additional-members"] == ("advisory", ["digital_safety_team"])
    # the same findings as the equivalent JSON records
    as_json = tmp_path / "records.json"
    as_json.write_text(json.dumps([SSD_R1, SSD_R2]))
    assert _findings(report) == _findings(check([as_json], AS_OF))


def test_local_tracker_with_its_own_names():
    records, errors = read(LOCAL / "tracker.xlsx", LOCAL / "mapping.yaml")
    assert errors == []
    assert [r["identified_on"] for r in records] == ["2026-05-04", "2026-05-11", "2026-05-15"]  # cell, text, serial
    first = records[0]
    assert first["young_people"][0] == {"id": "P-101", "setting_id": "100001", "looked_after": True, "ehe": False}
    assert first["meetings"][0]["chair"] == {"role": "cs_head_of_safeguarding"}
    assert len(first["meetings"][0]["covered"]) == 12
    report = check([LOCAL / "tracker.xlsx"], AS_OF, mapping=LOCAL / "mapping.yaml")
    status = {r.response_id: {f.rule: (f.status, f.missing) for f in r.findings} for r in report.responses}
    # the tracker records home education but not missing education: whether the EHE / CME lead was
    # required is unknown, so insufficient data (never met)
    assert status["LT-01"]["scoping-required-roles"] == ("insufficient_data", [])
    assert status["LT-02"]["scoping-chair"][0] == "gap"
    assert status["LT-02"]["scoping-required-roles"][0] == "gap"
    assert "ehe_cme_lead" in status["LT-02"]["scoping-required-roles"][1]
    assert status["LT-03"]["scoping-meeting-held"][0] == "insufficient_data"   # meetings not recorded: unknown


# -- errors a person can fix ---------------------------------------------------------------------------------------

SECRET = "Jane Smith"   # stands for a child's name typed into the wrong cell: never printed


def _two_records(tmp_path) -> Path:
    return write(tmp_path / "tracker.xlsx", [record("R-1", meetings=[MEETING]), record("R-2", meetings=[MEETING])])


def test_text_in_a_date_column_names_file_sheet_row_column_and_loses_only_its_record(tmp_path):
    path = edit(_two_records(tmp_path), lambda b: b["Meetings"].cell(3, 4, SECRET))
    records, errors = read(path)
    assert [r["response_id"] for r in records] == ["R-1"]
    assert [e.to_dict() for e in errors] == [{
        "source": str(path), "record": "R-2", "path": "/meetings/0/date", "line": 3,
        "message": 'sheet Meetings, row 3, column "Meeting date": must be a date (dd/mm/yyyy, yyyy-mm-dd, '
                   "or a date cell)"}]


def test_a_wrong_code_is_traced_back_to_its_cell(tmp_path):
    path = edit(_two_records(tmp_path), lambda b: b["Attendees"].cell(2, 3, SECRET))
    records, errors = read(path)
    assert [r["response_id"] for r in records] == ["R-2"]
    assert errors[0].path == "/meetings/0/attendees/0/role"
    assert errors[0].message.startswith('sheet Attendees, row 2, column "Role": must be a role code')
    assert SECRET not in json.dumps([e.to_dict() for e in errors])


def test_formula_cells_are_input_errors(tmp_path):
    path = edit(_two_records(tmp_path), lambda b: b["Responses"].cell(3, 5, "=TODAY()"))
    records, errors = read(path)
    assert [r["response_id"] for r in records] == ["R-1"]
    assert errors[0].message == ('sheet Responses, row 3, column "Identified on": holds a formula: the checker reads '
                                 "values only (copy the column and paste it as values)")


def test_merged_cells_are_input_errors(tmp_path):
    path = edit(_two_records(tmp_path), lambda b: b["Meetings"].merge_cells("C2:C3"))
    records, errors = read(path)
    assert records == []
    assert {e.message for e in errors} == {
        'sheet Meetings, row 2, column "Meeting type": is part of merged cells: unmerge them and give each row its '
        "own value",
        'sheet Meetings, row 3, column "Meeting type": is part of merged cells: unmerge them and give each row its '
        "own value"}


def test_a_hidden_sheet_that_is_read_is_reported(tmp_path):
    def hide(book):
        book["Meetings"].sheet_state = "hidden"
    path = edit(_two_records(tmp_path), hide)
    records, errors = read(path)
    assert len(records) == 2
    assert [e.to_dict() for e in errors] == [{
        "source": str(path), "record": "", "path": "",
        "message": "sheet Meetings is hidden: its rows were read; unhide it so that what is checked is what the "
                   "tracker shows"}]


def test_a_row_for_an_unknown_response_or_meeting(tmp_path):
    def change(book):
        book["Attendees"].cell(2, 1, "R-9")
        book["Items covered"].cell(3, 2, "m7")
    records, errors = read(edit(_two_records(tmp_path), change))
    assert [r["response_id"] for r in records] == ["R-1"]
    assert [e.message for e in errors] == [
        'sheet Attendees, row 2, column "Response ID": no response with this Response ID in the responses table; '
        "the row is not read",
        'sheet Items covered, row 3, column "Meeting ID": no meetings row with this Meeting ID for the response '
        "(sheet or table Meetings)"]


def test_none_contradicted_by_rows(tmp_path):
    path = _two_records(tmp_path)
    book = load_workbook(path)
    heading = [c.value for c in book["Responses"][1]].index("Meetings (recorded / none)") + 1
    book["Responses"].cell(2, heading, "none")
    book.save(path)
    records, errors = read(path)
    assert [e.message for e in errors] == [
        'sheet Responses, row 2, column "Meetings (recorded / none)": says none, but details are recorded for it']


def test_not_a_zip_and_a_damaged_zip(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"Name,Date\n" + SECRET.encode() + b",01/01/2026\n")
    assert [e.to_dict() for e in read(fake)[1]] == [{
        "source": str(fake), "record": "", "path": "",
        "message": "not an Excel workbook (.xlsx): the file is not a zip archive"}]
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert [e.message for e in read(other)[1]] == [
        "not a readable Excel workbook (.xlsx): the file is damaged or of another kind"]


def test_a_zip_bomb_is_refused_without_unpacking(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))   # 50 MB of zeros: about 50 KB zipped
    assert bomb.stat().st_size < 200_000
    assert [e.message for e in read(bomb)[1]] == [
        "refused: a part of the workbook expands more than 200 times (a zip bomb?); save it again from Excel"]


def test_a_workbook_with_a_sheet_of_100000_rows_is_refused_before_parsing(tmp_path):
    small = write(tmp_path / "small.xlsx", [record("R-1", meetings=[MEETING])])
    path = tmp_path / "big.xlsx"
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>R-1</t></is></c></row>'
                   for i in range(2, 100_002))
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet7.xml":   # Attendees (after README and five sheets)
                data = data.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
            dst.writestr(info, data)
    records, errors = read(path)
    assert records == []
    assert [e.to_dict() for e in errors] == [{
        "source": str(path), "record": "", "path": "",
        "message": "sheet Attendees: more than 50000 rows; the workbook is not read (split it, or export CSV tables)"}]


def test_a_mapping_naming_a_missing_column_is_a_configuration_error(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("mapping: 1\ntables:\n  - sheet: Cases\n    table: ''\n    columns:\n"
                       "      Case no.: response_id\n      Opened on: identified_on\n")
    with pytest.raises(ConfigError) as err:
        open_input(LOCAL / "tracker.xlsx", mapping)
    assert str(err.value) == (f'{LOCAL / "tracker.xlsx"}, sheet Cases: the mapping ({mapping}, tables[0]) names '
                              'column(s) "Opened on", not in the header row (row 1)')
    result = CliRunner().invoke(main, ["check", str(LOCAL / "tracker.xlsx"), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "Opened on" in result.output


@pytest.mark.parametrize("doc, message", [
    ("mapping: 1\ntables: []\n", "/tables: [] should be non-empty"),
    ("mapping: 1\ntables:\n  - {sheet: X, table: pupils}\n", 'unknown table "pupils"'),
    ("mapping: 1\ntables:\n  - {sheet: X, table: '', columns: {A: response_id, B: colour}}\n",
     'no field "colour" in table "(response)"'),
    ("mapping: 1\ntables:\n  - {sheet: X, table: meetings, columns: {A: id}}\n",
     "keys must be response_id (the columns joining a row to its parent)"),
])
def test_bad_mappings(tmp_path, doc, message):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(doc)
    with pytest.raises(ConfigError) as err:
        open_input(LOCAL / "tracker.xlsx", mapping)
    assert message in str(err.value)


def test_a_folder_of_csv_tables_with_the_default_mapping(tmp_path):
    (tmp_path / "responses.csv").write_text(
        "Response ID,Status,Identified on,Colour,Young people (recorded / none)\n"
        "R-1,open,02/03/2026,blue,\nR-2,open,2026-03-05,red,none\nR-3,open,2026-03-05,,\n")
    (tmp_path / "Young people.csv").write_text("Response ID,Young person ID,Looked after\nR-1,YP-A,Y\n")
    (tmp_path / "meetings.csv").write_text("Response ID,Meeting ID,Meeting type,Meeting date\n"
                                           "R-2,m1,scoping,46087\n")
    records = [r.data for r in load_responses([tmp_path]).records]
    assert records == [
        {"response_id": "R-1", "status": "open", "identified_on": "2026-03-02",
         "young_people": [{"id": "YP-A", "looked_after": True}]},
        {"response_id": "R-2", "status": "open", "identified_on": "2026-03-05",
         "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-06"}], "young_people": []}]
    # R-3 has no young people and does not say none: the record lacks a required field
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f'{tmp_path / "responses.csv"}:4: record R-3: /young_people: row 4, column "Young people (recorded / none)": '
        'required property "young_people" is missing',
        f'note: {tmp_path / "responses.csv"}: ignored column(s) not in the mapping: "Colour"',
        "2 valid, 1 errors"]


# -- commands ----------------------------------------------------------------------------------------------------


def test_template_command_writes_workbook_mapping_and_checklists(tmp_path):
    out = tmp_path / "t"
    result = CliRunner().invoke(main, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "checklists/final-meeting.html", "checklists/final-meeting.md", "checklists/operational-meeting.html",
        "checklists/operational-meeting.md", "checklists/scoping-meeting.html", "checklists/scoping-meeting.md",
        "checklists/strategic-meeting.html", "checklists/strategic-meeting.md", "tracker-mapping.yaml",
        "tracker.xlsx"]
    scoping = (out / "checklists" / "scoping-meeting.md").read_text()
    assert ("- [ ] Children in Care Specialist Nurse (cic_specialist_nurse) **when any young person has "
            "looked_after = Yes on the meeting's date** — rule `scoping-required-roles`, clause 4-P2, high; recorded in sheet Attendees, "
            'column "Role"') in scoping
    assert ('- [ ] consider risks relating to contagion (contagion_considered) — rule `scoping-required-outputs`, '
            'clause 4-P3, high; recorded in sheet Items covered, column "Item covered"') in scoping
    assert "<h2>Who must attend</h2>" in (out / "checklists" / "strategic-meeting.html").read_text()
    # the empty template reads without a problem, but holds no record: the empty-input rule (exit 3, never a
    # clean night); its mapping file reads it the same way
    result = CliRunner().invoke(main, ["validate", str(out / "tracker.xlsx"),
                                       "--mapping", str(out / "tracker-mapping.yaml")])
    assert result.exit_code == 3
    assert "no usable response records in the input" in result.output
    assert "0 valid, 1 errors" in result.output


def test_validate_lists_every_problem_with_its_cell(tmp_path):
    path = _two_records(tmp_path)

    def change(book):
        book["Meetings"].cell(3, 4, SECRET)
        book["Responses"].cell(2, 4, "maybe")
        book["Responses"].cell(1, 40, "Free notes")
    edit(path, change)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert f'{path}:2: record R-1: /status: sheet Responses, row 2, column "Status": must be one of: open, closed' \
        in lines
    assert (f'{path}:3: record R-2: /meetings/0/date: sheet Meetings, row 3, column "Meeting date": must be a date '
            "(dd/mm/yyyy, yyyy-mm-dd, or a date cell)") in lines
    assert f'note: {path}, sheet Responses: ignored column(s) not in the mapping: "Free notes"' in lines
    assert SECRET not in result.output


def test_check_accepts_xlsx_and_csv_folders_beside_json(tmp_path):
    result = CliRunner().invoke(main, ["check", str(SAMPLE_BOOK), str(SSD), "--as-of", "2026-11-27",
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["summary"]["responses_checked"] == 12
    assert report["input_errors"] == []


# -- LibreOffice -------------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: "
                    "`make test-office` installs it and runs this test")
def test_the_template_opens_in_libreoffice_and_converts_to_pdf(tmp_path):
    out = tmp_path / "t"
    assert CliRunner().invoke(main, ["template", str(out)]).exit_code == 0
    done = subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "tracker.xlsx")],
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    pdf = (tmp_path / "tracker.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 10
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "tracker.pdf"), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        for expected in ("shg-check response tracker", "meetings.attendees.role", "Children in Care Specialist Nurse",
                         "Young person ID", "Meeting date"):
            assert expected in text
