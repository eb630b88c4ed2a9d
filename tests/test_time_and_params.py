"""Time as an auditor needs it (--as-of, bank holidays, the chapter's start) and parameters with provenance."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.api import check
from checker.cli import main
from checker.workdays import add_working_days

from nightly_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "fixtures" / "sample-export"


def status_of(tmp_path: Path, record: dict, as_of: str, rule: str, params: Path | None = None) -> str:
    path = tmp_path / f"{record['response_id']}.json"
    path.write_text(json.dumps(record))
    report = check([path], dt.date.fromisoformat(as_of), params_file=params)
    return next(f.status for f in report.responses[0].findings if f.rule == rule)


def christmas_record() -> dict:
    # Monday 21 December 2026: Christmas Day (Fri 25) and the Boxing Day substitute (Mon 28) are bank holidays.
    return {"response_id": "R-X", "status": "open", "identified_on": "2026-12-21", "young_people": [],
            "meetings": []}


def test_working_days_skip_england_and_wales_bank_holidays():
    assert add_working_days(dt.date(2026, 12, 21), 5) == dt.date(2026, 12, 30)


@pytest.mark.parametrize("as_of, expected", [("2026-12-24", "pending"), ("2026-12-29", "pending"),
                                             ("2026-12-30", "pending"), ("2026-12-31", "gap")])
def test_as_of_decides_what_is_due_over_christmas(tmp_path, as_of, expected):
    assert status_of(tmp_path, christmas_record(), as_of, "scoping-meeting-held") == expected


def test_closure_obligations_on_an_open_response_are_pending_whatever_the_date(tmp_path):
    record = {"response_id": "R-O", "status": "open", "identified_on": "2026-03-02", "young_people": [{"id": "YP-1"}],
              "closure": None}
    for rule in ("closure-exit-strategy", "closure-agency-reviews", "closure-overview-report",
                 "closure-final-meeting", "closure-staff-debriefed"):
        assert status_of(tmp_path, record, "2027-06-01", rule) == "pending", rule


def test_identified_before_the_chapter_is_not_applicable(tmp_path):
    record = {"response_id": "R-E", "status": "open", "identified_on": "2026-01-31", "young_people": [],
              "referral": None, "meetings": []}
    path = tmp_path / "early.json"
    path.write_text(json.dumps(record))
    report = check([path], dt.date(2026, 11, 27))
    assert {f.status for f in report.responses[0].findings} == {"not_applicable"}
    for f in report.responses[0].findings:
        assert "identified before the chapter came into force (2026-02-01)" in f.message, f.rule
    record["identified_on"] = "2026-02-02"
    path.write_text(json.dumps(record))
    report = check([path], dt.date(2026, 11, 27))
    assert "gap" in {f.status for f in report.responses[0].findings}


@pytest.fixture
def override(tmp_path) -> Path:
    path = tmp_path / "partnership.yaml"
    path.write_text(yaml.safe_dump({"parameters": {
        "scoping_meeting_working_days": {"value": 3, "reason": "Partnership decision, May 2026"},
        "adult_age": 19}}))
    return path


def test_override_changes_what_is_due(tmp_path, override):
    record = christmas_record()
    assert status_of(tmp_path, record, "2026-12-29", "scoping-meeting-held") == "pending"
    assert status_of(tmp_path, record, "2026-12-29", "scoping-meeting-held", override) == "gap"


def test_text_report_lists_parameters_with_values_and_sources(override):
    result = CliRunner().invoke(main, ["check", str(EXPORT), "--as-of", "2026-11-27", "--params", str(override)])
    assert result.exit_code == 1
    lines = result.output.split("Parameters used\n---------------\n")[1].splitlines()
    assert "  scoping_meeting_working_days = 3 working days  [override (partnership.yaml)]" in lines
    assert "  adult_age = 19 years  [override (partnership.yaml)]" in lines
    assert "  referral_working_days = 1 working day  [local default]" in lines
    assert "  group_min_young_people = 2 young people  [chapter]" in lines
    assert "  chapter_in_force_from = 2026-02-01  [chapter]" in lines


def test_json_report_lists_parameters_with_provenance(tmp_path, override):
    out = tmp_path / "report.json"
    proc = run_cli("check", str(EXPORT), "--as-of", "2026-11-27", "--format", "json", "--output", str(out),
                   "--params", str(override))
    assert proc.returncode == 1, proc.stderr
    report = json.loads(out.read_text())
    params = {p["name"]: p for p in report["parameters"]}
    assert params["scoping_meeting_working_days"]["value"] == 3
    assert params["scoping_meeting_working_days"]["source"] == "override (partnership.yaml)"
    assert params["scoping_meeting_working_days"]["reason"] == "Partnership decision, May 2026"
    assert params["cross_boundary_working_days"] == {
        "name": "cross_boundary_working_days", "value": 10, "unit": "working days", "source": "local default",
        "description": params["cross_boundary_working_days"]["description"],
        "reference": "6-P1: responsibility 'should be agreed by Children's Services and Police'"}
    assert report["as_of"] == "2026-11-27"


def test_policy_metadata_matches_the_published_chapter():
    doc = yaml.safe_load((ROOT / "policy" / "chapter.yaml").read_text(encoding="utf-8"))
    source = (ROOT / doc["chapter"]["source"]).read_text(encoding="utf-8") if (ROOT / doc["chapter"]["source"]).exists() \
        else None
    assert doc["chapter"]["title"] == "Self-harm groups"
    assert doc["chapter"]["added"] == "2026-02" and doc["chapter"]["next_review"] == "2028-02"
    assert doc["chapter"]["in_force_from"] == "2026-02-01"
    if source is not None:
        assert "This chapter was added in February 2026." in source
        assert "Date of next review: February 2028." in " ".join(source.replace("\xa0", " ").split())
    params = yaml.safe_load((ROOT / "rules" / "parameters.yaml").read_text())["parameters"]
    assert params["chapter_in_force_from"]["value"] == doc["chapter"]["in_force_from"]
