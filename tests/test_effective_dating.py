"""Effective dating (issue 11): dated parameter values, dated rule files, chapter version overlays, review dates.

Each response is judged by the rule versions in force on its identification date; a rule not in force then
is not_applicable with a reason naming the dates. The engine decides: each version's variants carry the
window as patterns on identified_on (the oracle reads the same windows in Python, and must agree)."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st, HealthCheck

from checker.api import DEFAULT_RULES, Checker, check
from checker.cli import main
from checker.errors import ConfigError
from checker.rulebook import load_rulebook
from checker.ruleset_diff import diff

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample-export"


def _write(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False) if not isinstance(doc, str) else doc, encoding="utf-8")


def _edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    _write(path, doc)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, target, ignore=shutil.ignore_patterns("versions"))
    return target


def _referral_record(identified_on: str, referral_on: str, rid: str = "X") -> dict:
    return {"response_id": rid, "status": "open", "identified_on": identified_on, "young_people": [],
            "referral": {"date": referral_on, "route": "ifd"}}


_CHECKERS: dict = {}


def _finding(rulebook, record: dict, rule: str, as_of=dt.date(2030, 1, 1), engine: str = "durable"):
    # one engine per rule book: durable-rules cannot delete a ruleset, so engines are not made per call
    key = (id(rulebook), engine)
    if key not in _CHECKERS:
        _CHECKERS[key] = (rulebook, Checker(rulebook, engine))
    return next(f for f in _CHECKERS[key][1].check_record(record, as_of) if f.rule == rule)


# -- dated parameter values ---------------------------------------------------------------------------------------

def _date_referral(rules: Path) -> Path:
    """referral_working_days: 1 working day until 2027-01-01, then 3."""
    def change(doc):
        spec = doc["parameters"]["referral_working_days"]
        del spec["value"]
        spec["values"] = [{"value": 1, "valid_from": "2026-02-01"},
                          {"value": 3, "valid_from": "2027-01-01", "reference": "a change agreed in 2026"}]
    _edit(rules / "parameters.yaml", change)
    return rules


@pytest.fixture
def dated_referral(rules: Path) -> Path:
    return _date_referral(rules)


@pytest.fixture(scope="module")
def dated_rulebook(tmp_path_factory):
    target = tmp_path_factory.mktemp("dated") / "rules"
    shutil.copytree(DEFAULT_RULES, target, ignore=shutil.ignore_patterns("versions"))
    return load_rulebook(_date_referral(target))


def test_a_dated_parameter_value_compiles_one_rule_version_per_window(dated_referral):
    rb = load_rulebook(dated_referral)
    versions = rb.versions_of("referral-timely")
    assert [(v.version, v.windows) for v in versions] == [("2026-02-01", 2), ("2027-01-01", 2)]
    assert [v.limits for v in versions] == ["referral_working_days = 1 working day (local default)",
                                           "referral_working_days = 3 working days (local default)"]
    assert len(rb.versions_of("referral-via-ifd-mash")) == 2   # it declares the parameter too
    assert len(rb.versions_of("scoping-meeting-held")) == 1
    assert rb.is_dated and rb.parameters["referral_working_days"].to_dict()["values"] == [
        {"value": 1, "valid_from": "2026-02-01", "valid_to": "2027-01-01"},
        {"value": 3, "valid_from": "2027-01-01", "reference": "a change agreed in 2026"}]


def test_the_value_in_force_on_the_identification_date_is_used(dated_rulebook):
    rb = dated_rulebook
    # Wednesday to Monday: 3 working days late under 1, in time under 3
    before = _finding(rb, _referral_record("2026-03-04", "2026-03-09"), "referral-timely")
    after = _finding(rb, _referral_record("2027-03-03", "2027-03-08"), "referral-timely")
    assert (before.status, before.rule_version, before.judged_on) == ("gap", "2026-02-01", "2026-03-04")
    assert (after.status, after.rule_version, after.judged_on) == ("met", "2027-01-01", "2027-03-03")
    assert "referral_working_days = 1 working day" in before.message
    assert after.to_dict()["rule_version"] == "2027-01-01" and after.to_dict()["judged_on"] == "2027-03-03"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(dt.date(2025, 6, 1), dt.date(2028, 6, 1)), lag=st.integers(0, 10))
def test_engine_and_oracle_agree_on_which_version_judges(dated_rulebook, day, lag):
    """Property: for any identification date (before the chapter, in either window) the engine and the
    oracle give the same finding, judged by the version whose window holds the date."""
    rb = dated_rulebook
    record = _referral_record(day.isoformat(), (day + dt.timedelta(days=lag)).isoformat())
    engine, oracle = (_finding(rb, record, "referral-timely", engine=e) for e in ("durable", "python"))
    assert (engine.status, engine.missing, engine.rule_version, engine.message) == \
        (oracle.status, oracle.missing, oracle.rule_version, oracle.message)
    expected = None if day < dt.date(2026, 2, 1) else "2026-02-01" if day < dt.date(2027, 1, 1) else "2027-01-01"
    assert engine.rule_version == expected


def test_dated_values_are_checked(rules: Path):
    cases = [
        ([{"value": 1, "valid_from": "2026-02-01"}, {"value": 2, "valid_from": "2026-02-01"}],
         "parameter 'referral_working_days' has two values valid from 2026-02-01"),
        ([{"value": 1, "valid_from": "2026-02-01", "valid_to": "2027-06-01"}, {"value": 2, "valid_from": "2027-01-01"}],
         "parameter 'referral_working_days': the value valid from 2026-02-01 overlaps the one valid from 2027-01-01"),
        ([{"value": 1, "valid_from": "2026-13-01"}],
         "parameter 'referral_working_days' values[0].valid_from must be a date YYYY-MM-DD"),
        ([{"value": 1, "valid_from": "2026-02-01", "valid_to": "2026-01-01"}],
         "parameter 'referral_working_days' values[0]: valid_to 2026-01-01 is not after valid_from 2026-02-01"),
        ([{"value": 1}], "parameter 'referral_working_days' values[0] needs value and valid_from "
                         "(and may have valid_to and reference)"),
    ]
    for values, message in cases:
        def change(doc, values=values):
            spec = doc["parameters"]["referral_working_days"]
            spec.pop("value", None)
            spec["values"] = values
        _edit(rules / "parameters.yaml", change)
        with pytest.raises(ConfigError) as err:
            load_rulebook(rules)
        assert str(err.value) == f"{rules / 'parameters.yaml'}: {message}"


def test_a_params_override_replaces_a_dated_value_on_every_date(dated_referral, tmp_path):
    override = tmp_path / "local.yaml"
    _write(override, {"parameters": {"referral_working_days": 2}})
    rb = load_rulebook(dated_referral, override)
    assert len(rb.versions_of("referral-timely")) == 1
    assert rb.parameters["referral_working_days"].dated == ()


# -- dated rule files -----------------------------------------------------------------------------------------

def test_a_rule_with_valid_from_and_valid_to_is_not_applicable_outside_naming_the_dates(rules: Path):
    _edit(rules / "3" / "referral-timely.yaml", lambda d: d.update(valid_from="2026-06-01", valid_to="2027-01-01"))
    rb = load_rulebook(rules)
    early = _finding(rb, _referral_record("2026-03-04", "2026-03-09"), "referral-timely")
    inside = _finding(rb, _referral_record("2026-07-01", "2026-07-09"), "referral-timely")
    late = _finding(rb, _referral_record("2027-03-03", "2027-03-09"), "referral-timely")
    assert early.message == ("Not applicable: identified before this rule came into force (in force from "
                             "2026-06-01).") and early.rule_version is None
    assert inside.status == "gap" and inside.rule_version == "2026-06-01"
    assert late.message == "Not applicable: identified on or after 2027-01-01, when this rule is no longer in force."
    for record in (_referral_record("2026-03-04", "2026-03-09"), _referral_record("2027-03-03", "2027-03-09")):
        assert _finding(rb, record, "referral-timely", engine="python").message == \
            _finding(rb, record, "referral-timely").message


def test_a_rule_never_in_force_is_refused(rules: Path):
    _edit(rules / "3" / "referral-timely.yaml", lambda d: d.update(valid_from="2027-01-01", valid_to="2026-06-01"))
    with pytest.raises(ConfigError) as err:
        load_rulebook(rules)
    assert "rule 'referral-timely' is never in force (valid_to is not after valid_from)" in str(err.value)


def test_the_rule_schema_accepts_the_dating_fields_and_lint_checks_them(rules: Path):
    _edit(rules / "3" / "referral-timely.yaml", lambda d: d.update(valid_from="2026-02-01", next_review="2027-02-01"))
    assert CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules)]).exit_code == 0
    _edit(rules / "3" / "referral-timely.yaml", lambda d: d.update(valid_from="1 March 2026"))
    result = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules)])
    assert result.exit_code == 1 and "/valid_from: '1 March 2026' does not match" in result.output


# -- chapter version overlays ---------------------------------------------------------------------------------

def _overlay(rules: Path, manifest: dict, files: dict[str, dict] | None = None) -> Path:
    folder = rules / "versions" / "2027-09-01"
    _write(folder / "version.yaml", {"version": "2027", "inherits": "../..", "valid_from": "2027-09-01",
                                     **manifest})
    for name, doc in (files or {}).items():
        _write(folder / name, doc)
    return folder


def test_an_overlay_that_removes_a_rule(rules: Path):
    folder = _overlay(rules, {"removes": ["referral-timely"]})
    rb = load_rulebook(folder)
    assert load_rulebook(rules).digest != rb.digest
    before = _finding(rb, _referral_record("2026-03-04", "2026-03-09"), "referral-timely")
    after = _finding(rb, _referral_record("2027-09-06", "2027-09-13"), "referral-timely")
    assert before.status == "gap" and before.chapter_version == "2026"
    assert after.message == ("Not applicable: identified on or after 2027-09-01, when this rule is no longer in "
                             "force (withdrawn by chapter version 2027).")
    changes = {(c.kind, c.change, c.id) for c in diff(load_rulebook(rules), rb)}
    assert ("rule", "removed", "referral-timely") in changes


def test_overlay_manifest_problems_are_reported(rules: Path):
    timely = yaml.safe_load((rules / "3" / "referral-timely.yaml").read_text(encoding="utf-8"))
    folder = _overlay(rules, {"adds": ["ghost"], "removes": ["no-such-rule"]}, {"referral-timely.yaml": timely})
    with pytest.raises(ConfigError) as err:
        load_rulebook(folder)
    where = folder / "version.yaml"
    assert str(err.value).splitlines() == [
        "invalid chapter version:",
        f"  {where}: removes 'no-such-rule', which the version it inherits does not have in force",
        f"  {folder / 'referral-timely.yaml'}: rule 'referral-timely' changes an inherited rule: list it under "
        f"'changes' in {where}",
        f"  {where}: adds 'ghost', but no rule file in {folder} has that id"]


@pytest.mark.parametrize("manifest, message", [
    ({"valid_from": None}, "valid_from must be a date YYYY-MM-DD"),
    ({"colour": "red"}, "unknown field(s) 'colour'"),
    ({"valid_from": "2026-01-01"}, "valid_from 2026-01-01 is not after the version it inherits (2026-02-01)"),
    ({"inherits": "."}, "'inherits' goes round in a circle"),
])
def test_overlay_manifest_errors(rules: Path, manifest, message):
    folder = _overlay(rules, manifest)
    with pytest.raises(ConfigError) as err:
        load_rulebook(folder)
    assert message in str(err.value)


def test_the_first_version_takes_its_date_from_chapter_in_force_from(rules: Path):
    _write(rules / "version.yaml", {"version": "2026", "valid_from": "2026-02-01"})
    with pytest.raises(ConfigError) as err:
        load_rulebook(rules)
    assert "the first chapter version is in force from the parameter chapter_in_force_from" in str(err.value)


def test_overlay_parameter_changes_need_value(rules: Path):
    folder = _overlay(rules, {})
    _write(folder / "parameters.yaml", {"parameters": {"referral_working_days": 3}})
    with pytest.raises(ConfigError) as err:
        load_rulebook(folder)
    assert "a version changes a value with {value, reference?}" in str(err.value)


# -- review dates and versions in every report --------------------------------------------------------------------

def test_every_format_names_the_versions_and_warns_past_the_review_date(tmp_path):
    from checker.reporting import RENDERERS

    report = check([SAMPLE], dt.date(2028, 3, 1))
    model = report.summary_model()
    notice = ("Chapter version 2026 is past its review date (2028-02-01): check that the rules still say what "
              "the chapter says.")
    assert notice in model.notices and model.versions.startswith("chapter version 2026 (in force from 2026-02-01")
    for fmt, render in RENDERERS.items():
        text = render(report)
        assert "past its review date (2028-02-01)" in text, fmt
        assert "chapter version 2026" in text or fmt == "csv", fmt
    on_time = check([SAMPLE], dt.date(2028, 2, 1)).summary_model()
    assert not any("review date" in n for n in on_time.notices)


def test_a_rule_past_its_own_review_date_is_named(rules: Path):
    _edit(rules / "3" / "referral-timely.yaml", lambda d: d.update(next_review="2026-06-01"))
    model = check([SAMPLE], dt.date(2026, 11, 27), rules_dir=rules).summary_model()
    assert "Rule referral-timely is past its review date 2026-06-01." in model.notices


def test_json_report_names_versions_and_is_valid_under_the_report_schema():
    schema = json.loads(resources.files("checker").joinpath("schemas/report.schema.json").read_text())
    doc = check([SAMPLE], dt.date(2026, 11, 27)).to_dict()
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["ruleset"]["chapter_versions"] == [{"name": "2026", "valid_from": "2026-02-01",
                                                   "next_review": "2028-02-01",
                                                   "title": "Self-harm groups chapter, as added in February 2026"}]
    first = doc["responses"][1]["findings"][0]
    assert (first["judged_on"], first["rule_version"], first["chapter_version"]) == ("2026-03-02", "2026-02-01", "2026")
    before = doc["responses"][0]
    assert before["identified_on"] == "2025-11-10"
    assert all("rule_version" not in f and f["judged_on"] == "2025-11-10" for f in before["findings"])


# -- vocabularies in rules diff -------------------------------------------------------------------------------

def test_rules_diff_reports_vocabulary_changes(rules: Path, tmp_path: Path):
    new = tmp_path / "new"
    shutil.copytree(rules, new)
    _write(rules / "vocabularies.yaml", {"agencies": {"police": {"label": "Police", "synonyms": ["constabulary"]},
                                                      "probation": {"label": "Probation"}}})
    _write(new / "vocabularies.yaml", {"agencies": {"police": {"label": "Police force", "synonyms": ["constabulary",
                                                                                                    "cops"]},
                                                    "youth_justice": {"label": "Youth justice service"}}})
    words = {c.id: c.words for c in diff(load_rulebook(rules), load_rulebook(new)) if c.kind == "vocabulary"}
    assert words == {"agencies.youth_justice": "agencies: youth_justice added (Youth justice service)",
                     "agencies.probation": "agencies: probation removed (was Probation)",
                     "agencies.police": "agencies: police label 'Police' -> 'Police force'; synonyms added cops"}
