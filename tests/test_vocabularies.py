"""Vocabularies as data: rules/vocabularies.yaml, partnership overrides (--vocab), and a new code with no Python."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from checker import vocab
from checker.api import DEFAULT_RULES, check
from checker.authoring import lint
from checker.cli import main
from checker.errors import ConfigError
from checker.fastvalidate import compiled
from checker.policy import load_policy
from checker.rulebook import load_rulebook
from checker.tabular.template import write_workbook
from checker.validation import load_responses, record_schema, schema, validate_response, validator
from checker.vocab import (BUNDLED, VOCAB_FILE, Vocabularies, load_vocabularies, local_names, using, v1_codes)

from helpers import AS_OF, RULES, SAMPLE

NEW_ROLE = "youth_justice_service"
OVERRIDE = {"roles": {NEW_ROLE: {"label": "Youth Justice Service", "synonyms": ["YJS", "Youth Offending Team"]}}}

RECORD = {"schema_version": "1.0", "response_id": "R-YJS", "status": "open", "identified_on": "2026-03-02",
          "young_people": [{"id": "YP-1"}],
          "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-04",
                        "attendees": [{"role": NEW_ROLE}, {"role": "police"}]}]}

# A brand-new duty, written by a policy author: the youth justice service attends the scoping meeting.
NEW_RULE = {
    "id": "scoping-youth-justice",
    "title": "The youth justice service attends the scoping meeting",
    "policy": {"section": "4", "clause": "4-P2"},
    "severity": "medium",
    "strength": "must",
    "message": "The youth justice service did not attend the scoping meeting.",
    "subject": {"fact": "meeting", "where": {"mtype": "scoping"}, "label": "scoping meeting",
                "if_none": {"status": "not_applicable", "reason": "no scoping meeting in the record"}},
    "requires": [{"code": NEW_ROLE, "needs": ["attendees_recorded"], "evidence": "/attendees",
                  "exists": {"fact": "attendee", "where": {"mref": {"eq": {"ref": "subject.ref"}}, "role": NEW_ROLE}}}],
    "examples": {
        "pass": [{"name": "the youth justice service attended",
                  "record": {"response_id": "X1", "status": "open", "identified_on": "2026-03-02", "young_people": [],
                             "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-04",
                                           "attendees": [{"role": NEW_ROLE}]}]}}],
        "fail": [{"name": "only the police attended",
                  "record": {"response_id": "X2", "status": "open", "identified_on": "2026-03-02", "young_people": [],
                             "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-04",
                                           "attendees": [{"role": "police"}]}]},
                  "expect": {"status": "gap", "missing": [NEW_ROLE]}}],
    },
}


def write_yaml(path: Path, doc) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def override(tmp_path) -> Path:
    return write_yaml(tmp_path / "local-vocab.yaml", OVERRIDE)


@pytest.fixture
def new_rules(tmp_path) -> Path:
    """A temporary rules directory: the bundled parameters and one new rule only."""
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES / "parameters.yaml", rules / "parameters.yaml")
    write_yaml(rules / "scoping-youth-justice.yaml", NEW_RULE)
    return rules


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# -- the bundled vocabularies ---------------------------------------------------------------------------------------


def test_the_bundled_vocabularies_are_the_module_defaults_and_hold_every_v1_code():
    assert vocab.ROLES == BUNDLED.roles and vocab.AGENCIES == BUNDLED.agencies and vocab.ITEMS == BUNDLED.items
    assert vocab.LABELS == {**BUNDLED.agencies, **BUNDLED.items, **BUNDLED.roles}
    for kind, codes in v1_codes().items():
        assert list(BUNDLED.codes(kind)) == list(codes)  # same codes, in the exchange format's order
    assert vocab.label_of("camhs") == "CAMHS (Suicide Prevention lead or manager) (camhs)"
    assert vocab.label_of("YP-1") == "YP-1"
    assert BUNDLED.front_door == "IFD / MASH"
    assert BUNDLED.sources == (str(RULES / VOCAB_FILE),)


def test_the_bundled_file_passes_its_own_schema():
    from checker.vocab import _validator

    doc = yaml.safe_load((RULES / VOCAB_FILE).read_text(encoding="utf-8"))
    assert list(_validator().iter_errors(doc)) == []
    assert set(doc) == {"settings", "roles", "agencies", "items"}


def test_synonyms_labels_and_codes_are_looked_up_ignoring_case():
    assert BUNDLED.lookup("roles", "csc") == "childrens_social_care"
    assert BUNDLED.lookup("roles", " Children's Social Care ") == "childrens_social_care"
    assert BUNDLED.lookup("roles", "CAMHS") == "camhs"
    assert BUNDLED.lookup("agencies", "NHS") == "health"
    assert BUNDLED.lookup("items", "arrange for its gathering") == "info_gathering_arranged"
    assert BUNDLED.lookup("roles", "nobody") is None
    assert BUNDLED.synonyms("roles")["camhs"] == ("CAMHS", "Child and Adolescent Mental Health Services")


# -- overrides ------------------------------------------------------------------------------------------------------


def test_an_override_adds_a_role_code_and_records_using_it_validate(override):
    assert validate_response(RECORD) == [(
        "/meetings/0/attendees/0/role",
        "must be a role code of exchange format section 3 (e.g. police, camhs, education_setting)")]
    v = load_vocabularies(RULES, [override])
    assert v.roles[NEW_ROLE] == "Youth Justice Service" and v.lookup("roles", "yjs") == NEW_ROLE
    assert list(v.roles)[:-1] == list(BUNDLED.roles)  # every v1 code kept
    assert validate_response(RECORD, v) == []
    with using(v):
        assert validate_response(RECORD) == []
        assert vocab.label_of(NEW_ROLE) == f"Youth Justice Service ({NEW_ROLE})"
    # both validators take the codes from the vocabularies, and agree
    assert compiled("response-record", v)(RECORD) is not None
    assert list(validator("response-record", v).iter_errors(RECORD)) == []
    with pytest.raises(Exception):
        compiled("response-record", BUNDLED)(RECORD)
    # the schema files themselves stay exchange format v1
    assert NEW_ROLE not in schema("response-record")["$defs"]["role_code"]["enum"]
    assert NEW_ROLE in record_schema("response-record", v)["$defs"]["role_code"]["enum"]


def test_an_added_agency_is_allowed_wherever_an_agency_code_is(tmp_path):
    v = load_vocabularies(RULES, [write_yaml(tmp_path / "v.yaml", {"agencies": {"ambulance": {"label": "Ambulance"}}})])
    enriched = record_schema("response-record", v)
    referring = enriched["properties"]["referral"]["properties"]["referring_agency"]["enum"]
    assert referring == [*v1_codes()["agencies"], "ambulance", None]
    assert enriched["$defs"]["agency_code"]["enum"] == [*v1_codes()["agencies"], "ambulance"]
    assert "ambulance" in record_schema("incident", v)["properties"]["reported_by"]["enum"]
    rec = {**RECORD, "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-04",
                                   "attendees": [{"role": "other", "agency": "ambulance"}]}],
           "referral": {"date": "2026-03-02", "referring_agency": "ambulance"}}
    assert validate_response(rec, v) == []
    assert [p for p, _ in validate_response(rec)] == ["/meetings/0/attendees/0/agency", "/referral/referring_agency"]


def test_v1_records_stay_valid_with_an_override(override):
    v = load_vocabularies(RULES, [override])
    loaded_default = load_responses([SAMPLE])
    with using(v):
        loaded = load_responses([SAMPLE])
    assert len(loaded.records) == len(loaded_default.records) > 0
    assert loaded.errors == loaded_default.errors


def test_later_overrides_win_and_may_change_labels_and_synonyms(tmp_path, override):
    second = write_yaml(tmp_path / "second.yaml", {
        "roles": {NEW_ROLE: {"synonyms": ["YJ"]}, "police": {"label": "Police (local)"}},
        "settings": {"front_door_names": ["SPOA"]}})
    v = load_vocabularies(RULES, [override, second])
    assert v.roles[NEW_ROLE] == "Youth Justice Service"  # label kept, synonyms replaced
    assert v.synonyms("roles")[NEW_ROLE] == ("YJ",) and v.lookup("roles", "YJS") is None
    assert v.roles["police"] == "Police (local)"
    assert v.front_door == "SPOA"
    assert v.sources == (str(RULES / VOCAB_FILE), str(override), str(second))


@pytest.mark.parametrize("doc, message", [
    ({"roles": {"police": None}},
     "/roles/police: removing role code 'police' is refused: it is a code of exchange format v1 and every v1 "
     "record must stay valid"),
    ({"items": {"info_assessed": None}},
     "/items/info_assessed: removing item code 'info_assessed' is refused: it is a code of exchange format v1 "
     "and every v1 record must stay valid"),
    ({"agencies": {"ambulance": {"synonyms": ["999"]}}}, "/agencies/ambulance: a new agency code needs a label"),
    ({"roles": {"Bad Code": {"label": "x"}}},
     "/roles/Bad Code: a code is lower-case letters, digits and _ (starting with a letter, at most 64 characters)"),
    ({"role": {}}, "/: unknown field(s) 'role' (allowed: settings, roles, agencies, items)"),
    ({"roles": {"camhs": {"label": ""}}}, "/roles/camhs/label: must not be empty"),
    ({"roles": {"camhs": ["CAMHS"]}}, "/roles/camhs: must be a mapping or empty"),
    ({"settings": {"front_door_names": []}}, "/settings/front_door_names: must name at least one"),
    ({"settings": {"front_door": "SPOA"}}, "/settings: unknown field(s) 'front_door' (allowed: front_door_names)"),
    ({"roles": {"police": {"synonyms": ["CSC"]}}},
     "/roles/police: synonym 'CSC' also names role code 'childrens_social_care' (a synonym names one code)"),
    (["roles"], "/: must be a mapping"),
])
def test_a_bad_override_is_a_one_line_config_error(tmp_path, doc, message):
    path = write_yaml(tmp_path / "bad.yaml", doc)
    with pytest.raises(ConfigError) as info:
        load_vocabularies(RULES, [path])
    text = str(info.value)
    assert "\n" not in text
    assert text.endswith(message)
    assert str(path) in text


def test_removing_a_v1_code_is_refused_by_the_cli_in_one_line(tmp_path):
    path = write_yaml(tmp_path / "bad.yaml", {"roles": {"police": None}})
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--vocab", path)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path}: /roles/police: removing role code 'police' is refused: it is a code "
                             f"of exchange format v1 and every v1 record must stay valid\n")


def test_a_code_added_by_an_override_may_be_removed_by_a_later_one(tmp_path, override):
    later = write_yaml(tmp_path / "later.yaml", {"roles": {NEW_ROLE: None}})
    v = load_vocabularies(RULES, [override, later])
    assert NEW_ROLE not in v.roles and NEW_ROLE not in v.synonyms("roles")


def test_a_rules_directory_carries_its_own_vocabularies(tmp_path, new_rules):
    assert load_vocabularies(new_rules).sources == (str(RULES / VOCAB_FILE),)  # none of its own: the bundled
    doc = yaml.safe_load((RULES / VOCAB_FILE).read_text(encoding="utf-8"))
    doc["roles"][NEW_ROLE] = {"label": "Youth Justice Service"}
    write_yaml(new_rules / VOCAB_FILE, doc)
    v = load_vocabularies(new_rules)
    assert v.sources == (str(new_rules / VOCAB_FILE),) and NEW_ROLE in v.roles
    del doc["roles"]["police"]
    write_yaml(new_rules / VOCAB_FILE, doc)
    with pytest.raises(ConfigError, match=r"vocabularies.yaml: role code\(s\) police of exchange format v1 missing "
                                          r"\(a v1 code cannot be removed: every v1 record must stay valid\)$"):
        load_vocabularies(new_rules)


# -- the journey: a new role code with no Python ----------------------------------------------------------------------


def test_a_new_role_by_an_override_file_needs_no_python(tmp_path, override, new_rules):
    """Add a role by a vocabulary override; a record using it validates; a new rule requiring it lints
    clean, passes its examples and is checked."""
    records = tmp_path / "records"
    records.mkdir()
    (records / "yjs.json").write_text(json.dumps(RECORD), encoding="utf-8")
    without_yjs = {**RECORD, "response_id": "R-NO-YJS",
                   "meetings": [{**RECORD["meetings"][0], "attendees": [{"role": "police"}]}]}
    (records / "no-yjs.json").write_text(json.dumps(without_yjs), encoding="utf-8")

    # without the override: the record is invalid and lint rejects the rule's code
    result = run("validate", records)
    assert result.exit_code == 3 and "/meetings/0/attendees/0/role: must be a role code" in result.output
    result = run("rules", "lint", "--rules", new_rules)
    assert result.exit_code == 1
    assert re.search(re.escape(f"{new_rules / 'scoping-youth-justice.yaml'}:") + r"\d+:\d+: "
                     + re.escape(f"unknown role code {NEW_ROLE!r} (see vocabularies.yaml, or add it with --vocab)"),
                     result.output)

    # with it: valid, lint clean, examples pass, and the rule finds the gap and the met duty
    result = run("validate", records, "--vocab", override)
    assert result.exit_code == 0, result.output
    result = run("rules", "lint", "--rules", new_rules, "--vocab", override)
    assert (result.exit_code, result.output) == (0, "rules lint: no problems\n")
    result = run("rules", "test", "--rules", new_rules, "--vocab", override)
    assert result.exit_code == 0, result.output
    result = run("check", records, "--rules", new_rules, "--vocab", override, "--as-of", "2026-11-27",
                 "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    found = {r["response_id"]: [(f["rule"], f["status"], f.get("missing")) for f in r["findings"]]
             for r in doc["responses"]}
    assert found == {"R-YJS": [("scoping-youth-justice", "met", [])],
                     "R-NO-YJS": [("scoping-youth-justice", "gap", [NEW_ROLE])]}
    assert "Youth Justice Service (youth_justice_service)" in json.dumps(doc["responses"][0]["findings"])

    # the library API: the same, with vocab_files
    report = check([records], AS_OF, new_rules, vocab_files=[override])
    assert [(r.response_id, [f.status for f in r.findings]) for r in report.responses] == [
        ("R-NO-YJS", ["gap"]), ("R-YJS", ["met"])]
    assert lint(new_rules, load_policy(), vocab_files=[override]) == []


def test_a_workbook_may_name_a_code_by_its_label_or_a_synonym(tmp_path, override):
    path = tmp_path / "tracker.xlsx"
    rec = {**RECORD, "meetings": [{**RECORD["meetings"][0], "attendees": [{"role": "police"}, {"role": "camhs"}],
                                   "covered": ["info_assessed", "mapping_done"]}]}
    write_workbook(path, [rec], clauses={}, formatted_rows=0)
    book = load_workbook(path)
    replaced = {"police": "YJS", "camhs": "Child and Adolescent Mental Health Services",
                "info_assessed; mapping_done": "Assess the information known to date; mapping_done"}
    for ws in book.worksheets:
        if ws.title == "Codes":
            continue
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in replaced:
                    cell.value = replaced[cell.value]
    book.save(path)

    loaded = load_responses([path])  # a synonym of a role the bundled vocabularies do not have: invalid
    assert not loaded.records and loaded.errors
    with using(load_vocabularies(RULES, [override])):
        loaded = load_responses([path])
    assert loaded.errors == []
    meeting = loaded.records[0].data["meetings"][0]
    assert [a["role"] for a in meeting["attendees"]] == [NEW_ROLE, "camhs"]
    assert meeting["covered"] == ["info_assessed", "mapping_done"]


# -- settings: the front door's local names --------------------------------------------------------------------------


def test_the_front_door_is_named_as_the_partnership_names_it(tmp_path):
    default = run("check", SAMPLE, "--as-of", "2026-11-27")
    assert "did not go through the IFD / MASH. Missing: referral sent to the IFD or MASH" in default.output
    spoa = write_yaml(tmp_path / "spoa.yaml", {"settings": {"front_door_names": ["SPOA"]}})
    local = run("check", SAMPLE, "--as-of", "2026-11-27", "--vocab", spoa)
    assert local.exit_code == default.exit_code == 1
    assert "did not go through the SPOA. Missing: referral sent to the SPOA (ifd_mash_route)" in local.output
    assert "through the Local Authority's SPOA (referral.route)" in local.output
    assert "IFD / MASH" not in local.output
    # nothing else changes, but the ruleset digest (of the texts as reports show them)
    local_lines = local.output.replace("SPOA", "IFD / MASH").replace(
        "referral sent to the IFD / MASH", "referral sent to the IFD or MASH").splitlines()
    default_lines = default.output.splitlines()
    assert local_lines[1] != default_lines[1] and local_lines[1].startswith("Rules: 48 rules, sha256 ")
    assert local_lines[2] != default_lines[2] and local_lines[2].startswith("Versions: chapter version 2026")
    assert local_lines[:1] + local_lines[3:] == default_lines[:1] + default_lines[3:]


def test_local_names_fill_rule_texts_but_not_examples():
    doc = {"message": "via the {front_door}", "requires": [{"label": "sent to the {front_door_or}"}],
           "examples": {"pass": [{"name": "{front_door}"}]}}
    three = Vocabularies({}, {}, {}, {}, {"front_door_names": ["IFD", "MASH", "SPOA"]})
    assert local_names(doc, three) == {"message": "via the IFD / MASH / SPOA",
                                       "requires": [{"label": "sent to the IFD or MASH or SPOA"}],
                                       "examples": {"pass": [{"name": "{front_door}"}]}}
    assert load_rulebook(RULES).by_id("referral-via-ifd-mash").message == (
        "The request for a scoping meeting did not go through the IFD / MASH.")


def test_template_lists_added_codes_in_the_drop_down_codes(tmp_path, override):
    result = run("template", tmp_path / "t", "--vocab", override)
    assert result.exit_code == 0, result.output
    codes = load_workbook(tmp_path / "t" / "tracker.xlsx")["Codes"]
    rows = {r[0]: r[1] for r in codes.iter_rows(values_only=True) if r[0]}
    assert rows[NEW_ROLE] == "Youth Justice Service"
    assert rows["police"] == "Police representative"


def test_the_ruleset_digest_is_of_the_texts_as_reports_show_them():
    """The placeholders do not change the digest of the bundled rules (baselines stay comparable); local
    front-door names, which change every message naming it, do."""
    default = load_rulebook(RULES).digest
    with using(Vocabularies(BUNDLED.roles, BUNDLED.agencies, BUNDLED.items, {}, {"front_door_names": ["IFD", "MASH"]})):
        assert load_rulebook(RULES).digest == default
    with using(Vocabularies(BUNDLED.roles, BUNDLED.agencies, BUNDLED.items, {}, {"front_door_names": ["SPOA"]})):
        assert load_rulebook(RULES).digest != default


# -- a role's agency is data ------------------------------------------------------------------------------------------


def test_a_roles_agency_is_data_and_must_name_a_known_agency(tmp_path):
    """7-P3 "each agency": an attendee recorded without an agency counts for its role's agency, which the
    vocabularies give (roles: {code: {agency: ...}}); a new role can name a new agency, with no Python."""
    from checker.facts import response_facts
    from checker.vocab import load_vocabularies, using

    assert BUNDLED.role_agencies["camhs"] == "health" and "other" not in BUNDLED.role_agencies
    override = write_yaml(tmp_path / "yjs.yaml", {
        "agencies": {"youth_justice": {"label": "Youth Justice"}},
        "roles": {"youth_justice_service": {"label": "Youth Justice Service", "agency": "youth_justice"}}})
    record = {"response_id": "R-1", "status": "open", "identified_on": "2026-03-02", "young_people": [],
              "meetings": [{"id": "m1", "type": "scoping", "date": "2026-03-03",
                            "attendees": [{"role": "youth_justice_service"}]}]}

    def agencies(vocabularies):
        with using(vocabularies):
            return sorted(f["agency"] for f in response_facts(record, dt.date(2026, 11, 27))
                          if f["t"] == "involved_agency")

    with_role = agencies(load_vocabularies(DEFAULT_RULES, [override]))
    assert "youth_justice" in with_role and "youth_justice" not in agencies(BUNDLED)
    bad = write_yaml(tmp_path / "bad.yaml", {"roles": {"youth_justice_service": {"label": "YJS", "agency": "nope"}}})
    with pytest.raises(ConfigError) as err:
        load_vocabularies(DEFAULT_RULES, [bad])
    assert str(err.value) == f"{bad}: /roles/youth_justice_service/agency: 'nope' is not an agency code of the vocabularies in use"
