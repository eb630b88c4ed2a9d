"""Issue 11, the review-date journey: a new timescale, a new (required) agency and a new duty, each valid
from a future date (the worked example rules/versions/2028-03-01). Past cases are unchanged; `rules impact`
lists exactly the responses whose findings change, with reasons; `rules diff` lists the changes."""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.api import DEFAULT_RULES, check
from checker.cli import main
from checker.impact import impact
from checker.rulebook import load_rulebook
from checker.ruleset_diff import diff

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample-export"
V2028 = DEFAULT_RULES / "versions" / "2028-03-01"
AS_OF = "2028-12-31"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shift(value, days: int):
    if isinstance(value, str) and _DATE.match(value):
        return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def _scoping(record: dict) -> dict:
    return next(m for m in record["meetings"] if m["type"] == "scoping")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A past case (2026, met in full) and four copies identified on Monday 2028-03-06 (735 days, 105 weeks
    later: the same weekdays), after the 2028 version's valid_from."""
    out = tmp_path_factory.mktemp("journey")
    past = json.loads((SAMPLE / "R-2026-001-complete.json").read_text(encoding="utf-8"))
    future = _shift(past, 735)
    ok = copy.deepcopy(future)
    ok["response_id"] = "R-2028-OK"   # does everything the 2028 version asks
    _scoping(ok)["attendees"].append({"role": "youth_justice_service", "agency": "youth_justice"})  # new codes
    ok["closure"]["agency_reviews"].append({"agency": "youth_justice", "completed_on": "2028-06-14",
                                            "actions_recorded": True})
    timescale = copy.deepcopy(ok)
    timescale["response_id"] = "R-2028-TIME"   # scoping 4 working days after the concern: 5 allowed, then 3
    _scoping(timescale)["date"] = "2028-03-10"
    agency = copy.deepcopy(future)
    agency["response_id"] = "R-2028-AGENCY"   # no Youth Justice Service at scoping
    duty = copy.deepcopy(ok)
    duty["response_id"] = "R-2028-DUTY"   # one child's parents told 5 working days after the concern
    duty["young_people"][0]["parents_carers_informed_on"] = "2028-03-13"
    for record in (past, ok, timescale, agency, duty):
        (out / f"{record['response_id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return out


def _findings(report) -> dict[tuple[str, str], tuple[str, list[str]]]:
    return {(r.response_id, f.rule): (f.status, f.missing) for r in report.responses for f in r.findings}


def test_the_2028_version_is_out_of_the_default_set():
    assert [v.name for v in load_rulebook(DEFAULT_RULES).chapter_versions] == ["2026"]
    rb = load_rulebook(V2028)
    assert [(v.name, v.valid_from, v.valid_to, v.next_review) for v in rb.chapter_versions] == [
        ("2026", "2026-02-01", "2028-03-01", "2028-02-01"), ("2028", "2028-03-01", None, "2030-03-01")]


def test_past_cases_are_unchanged_by_the_2028_version():
    """The whole sample export (2025 and 2026 cases) keeps every finding: the new duty is not applicable,
    naming its date; nothing else differs."""
    old = check([SAMPLE], dt.date(2026, 11, 27))
    new = check([SAMPLE], dt.date(2026, 11, 27), rules_dir=V2028)
    a, b = _findings(old), _findings(new)
    assert {k: v for k, v in b.items() if k[1] != "parents-informed-timely"} == a
    assert sum(1 for s, _ in a.values() if s == "gap") == 14
    added = [f for r in new.responses for f in r.findings if f.rule == "parents-informed-timely"]
    assert len(added) == len(new.responses) and {f.status for f in added} == {"not_applicable"}
    assert {f.message for f in added if f.judged_on >= "2026-02-01"} == {
        "Not applicable: identified before this rule came into force (in force from 2028-03-01)."}


def test_each_future_obligation_is_judged_by_the_version_in_force_on_the_identification_date(export):
    report = check([export], dt.date.fromisoformat(AS_OF), rules_dir=V2028)
    got = _findings(report)
    assert got[("R-2028-TIME", "scoping-meeting-timely")] == ("gap", ["scoping_meeting_in_time"])
    assert got[("R-2028-AGENCY", "scoping-required-roles")] == ("gap", ["youth_justice_service"])
    assert got[("R-2028-DUTY", "parents-informed-timely")] == ("gap", ["YP-A01"])
    assert {k: v for k, v in got.items() if k[0] == "R-2028-OK" and v[0] != "met"} == {}
    by_rule = {(r.response_id, f.rule): f for r in report.responses for f in r.findings}
    f = by_rule[("R-2028-TIME", "scoping-meeting-timely")]
    assert (f.judged_on, f.rule_version, f.chapter_version) == ("2028-03-06", "2028-03-01", "2028")
    assert "scoping_meeting_working_days = 3 working days" in f.message
    f = by_rule[("R-2026-001", "scoping-meeting-timely")]
    assert (f.judged_on, f.rule_version, f.chapter_version) == ("2026-03-02", "2026-02-01", "2026")
    # the oracle agrees with the engine on every finding
    oracle = check([export], dt.date.fromisoformat(AS_OF), rules_dir=V2028, engine="python")
    assert _findings(oracle) == got


def test_rules_impact_lists_exactly_the_changed_responses_with_reasons(export):
    result = impact([export], DEFAULT_RULES, V2028, dt.date.fromisoformat(AS_OF))
    changes = {(c.response_id, c.rule): (c.old_status, c.new_status, c.reasons) for c in result.changes}
    gaps = {k: v for k, v in changes.items() if v[1] == "gap"}
    assert gaps == {
        ("R-2028-TIME", "scoping-meeting-timely"): ("met", "gap", [
            "parameter scoping_meeting_working_days changed: 5 working days -> 3 working days (on 2028-03-06)"]),
        ("R-2028-AGENCY", "scoping-required-roles"): ("met", "gap", [
            "rule scoping-required-roles changed (version from 2028-03-01, chapter version 2028): now also requires "
            "Youth Justice Service (youth_justice_service)"]),
        ("R-2028-DUTY", "parents-informed-timely"): ("not_applicable", "gap", [
            "rule parents-informed-timely added (in force from 2028-03-01)"]),
    }
    # the new duty is now judged (met) for the other future cases; the past case changes in nothing
    assert {k for k, v in changes.items() if v[1] != "gap"} == {
        ("R-2028-OK", "parents-informed-timely"), ("R-2028-TIME", "parents-informed-timely"),
        ("R-2028-AGENCY", "parents-informed-timely")}
    assert result.responses_changed == ["R-2028-AGENCY", "R-2028-DUTY", "R-2028-OK", "R-2028-TIME"]
    assert "R-2026-001" not in result.responses_changed and result.responses_checked == 5
    summary = {row["rule"]: row for row in result.by_rule()}
    assert summary["scoping-meeting-timely"]["transitions"] == {"met -> gap": 1}
    assert summary["parents-informed-timely"]["transitions"] == {"not_applicable -> gap": 1,
                                                                 "not_applicable -> met": 3}


def test_rules_impact_on_the_sample_export_changes_nothing():
    result = impact([SAMPLE], DEFAULT_RULES, V2028, dt.date(2026, 11, 27))
    assert result.changes == [] and result.responses_checked == 10


def test_rules_impact_cli_text_json_html(export, tmp_path):
    runner = CliRunner()
    base = ["rules", "impact", "--from", str(DEFAULT_RULES), "--to", str(V2028), str(export), "--as-of", AS_OF]
    text = runner.invoke(main, base)
    assert text.exit_code == 1, text.output
    assert "Responses checked: 5; whose findings change: 4; findings that change: 6; input errors: 0" in text.output
    assert "  scoping-meeting-timely: 1 response(s) (met -> gap: 1)" in text.output
    assert "    scoping-required-roles: met -> gap (missing youth_justice_service)" in text.output
    assert "R-2026-001" not in text.output
    js = runner.invoke(main, [*base, "--format", "json"])
    doc = json.loads(js.output)
    assert doc["responses_changed"] == ["R-2028-AGENCY", "R-2028-DUTY", "R-2028-OK", "R-2028-TIME"]
    assert doc["to"]["versions"].startswith("chapter version 2026 (in force from 2026-02-01 to 2028-03-01")
    out = tmp_path / "impact.html"
    html = runner.invoke(main, [*base, "--format", "html", "--output", str(out)])
    assert html.exit_code == 1, html.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Summary by rule</h2>" in page
    assert "R-2028-DUTY" in page and "R-2026-001" not in page
    # the export uses the 2028 version's new codes, so it is compared with that version itself
    same = runner.invoke(main, ["rules", "impact", "--from", str(V2028), "--to", str(V2028),
                                str(export), "--as-of", AS_OF])
    assert same.exit_code == 0 and "No finding changes" in same.output


def test_rules_impact_never_prints_names_or_free_text(export, tmp_path):
    record = json.loads((export / "R-2028-DUTY.json").read_text(encoding="utf-8"))
    record["response_id"] = "R-2028-NAMED"
    record["young_people"][0]["notes"] = "SECRET-NAME Jane Doe"
    folder = tmp_path / "named"
    folder.mkdir()
    (folder / "r.json").write_text(json.dumps(record), encoding="utf-8")
    for fmt in ("text", "json", "html"):
        out = CliRunner().invoke(main, ["rules", "impact", "--from", str(DEFAULT_RULES), "--to", str(V2028),
                                        str(folder), "--as-of", AS_OF, "--format", fmt])
        assert "SECRET-NAME" not in out.output and "Jane" not in out.output


def test_rules_diff_lists_the_changes():
    changes = diff(load_rulebook(DEFAULT_RULES), load_rulebook(V2028))
    got = {(c.kind, c.change, c.id): c for c in changes}
    assert got[("parameter", "changed", "scoping_meeting_working_days")].words == (
        "parameter scoping_meeting_working_days: 3 working days from 2028-03-01 (before then: 5 working days)")
    assert got[("parameter", "changed", "scoping_meeting_working_days")].valid_from == "2028-03-01"
    assert got[("rule", "added", "parents-informed-timely")].valid_from == "2028-03-01"
    roles = got[("rule", "changed", "scoping-required-roles")]
    assert "now also requires Youth Justice Service (youth_justice_service)" in roles.words
    assert roles.valid_from == "2028-03-01"
    assert ("parameter", "added", "parents_informed_working_days") in got
    assert ("chapter_version", "added", "2028") in got
    assert ("clause", "changed", "4-P3-B9") in got
    # the new codes of the version's vocabularies.yaml (a new agency needs no Python)
    assert ("vocabulary", "added", "roles.youth_justice_service") in got
    assert ("vocabulary", "added", "agencies.youth_justice") in got
    assert len(changes) == 9


def test_rules_diff_cli():
    result = CliRunner().invoke(main, ["rules", "diff", str(DEFAULT_RULES), str(V2028)])
    assert result.exit_code == 1, result.output
    assert "9 changes: 5 added, 0 removed, 4 changed." in result.output
    assert "  ADDED    rule parents-informed-timely added: " in result.output
    same = CliRunner().invoke(main, ["rules", "diff", str(DEFAULT_RULES), str(DEFAULT_RULES)])
    assert same.exit_code == 0 and "No changes" in same.output
    js = CliRunner().invoke(main, ["rules", "diff", str(DEFAULT_RULES), str(V2028), "--format", "json"])
    assert {c["id"] for c in json.loads(js.output)["changes"]} >= {"scoping_meeting_working_days",
                                                                  "parents-informed-timely",
                                                                  "scoping-required-roles"}


def test_the_2028_version_lints_and_its_examples_pass():
    for args in (["rules", "lint", "--rules", str(V2028)], ["rules", "test", "--rules", str(V2028)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    assert "192 passed, 0 failed (192 examples of 49 rules" in result.output   # the `rules test` run's


def test_impact_subprocess_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "rules", "impact", "--from", str(tmp_path / "nope"),
                           "--to", str(V2028), str(SAMPLE)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope'}: rules directory not found"]


def test_rules_diff_backwards_lists_the_removals():
    """Going back from the 2028 version to the 2026 one: the version, the new duty and its parameter are
    removed, the changed rule's 2028 version is gone, the timescale is 5 working days on every date."""
    changes = diff(load_rulebook(V2028), load_rulebook(DEFAULT_RULES))
    got = {(c.kind, c.change, c.id): c.words for c in changes}
    assert ("chapter_version", "removed", "2028") in got
    assert ("rule", "removed", "parents-informed-timely") in got
    assert ("parameter", "removed", "parents_informed_working_days") in got
    assert got[("rule", "changed", "scoping-required-roles")] == (
        "rule scoping-required-roles: its version in force from 2028-03-01 is gone; responses identified from "
        "then on are judged by the version before it")
    assert got[("parameter", "changed", "scoping_meeting_working_days")] == (
        "parameter scoping_meeting_working_days: 5 working days from 2026-02-01 to before 2028-03-01; "
        "3 working days from 2028-03-01 -> 5 working days")
    assert got[("clause", "changed", "4-P3-B9")] == "clause 4-P3-B9: no longer checked by parents-informed-timely"
