"""Nightly delta against a previous JSON report: new, persisting and resolved gaps, in every format."""
from __future__ import annotations

import csv
import io
import json

import pytest

from checker.api import check
from checker.baseline import apply_baseline, baseline_gaps, group_identity, load_baseline
from checker.errors import ConfigError
from checker.reporting import RENDERERS

from nightly_helpers import (AS_OF, AS_OF_TEXT, SAMPLE, SAMPLE_GAPS, copy_sample, fix_r2026_002, gaps_of, run_cli,
                             sample_report)


@pytest.fixture
def baseline_file(tmp_path):
    path = tmp_path / "last-night.json"
    path.write_text(RENDERERS["json"](sample_report()), encoding="utf-8")
    return path


def test_rerun_against_itself_marks_every_gap_persisting(baseline_file):
    report = check([SAMPLE], AS_OF, baseline_file=baseline_file)
    doc = json.loads(RENDERERS["json"](report))
    assert {k: f["delta"] for k, f in gaps_of(doc).items()} == {k: "persisting" for k in SAMPLE_GAPS}
    assert doc["delta"] == {"baseline": {"source": str(baseline_file), "as_of": AS_OF_TEXT,
                                         "ruleset_digest": report.rulebook.digest, "same_ruleset": True},
                            "resolved": []}
    gap_count = sum(f["status"] == "gap" for r in doc["responses"] for f in r["findings"])
    assert gap_count == len(SAMPLE_GAPS) == 14
    assert (doc["summary"]["gaps_new"], doc["summary"]["gaps_persisting"], doc["summary"]["gaps_resolved"]) == (
        0, gap_count, 0)
    non_gaps = [f for r in doc["responses"] for f in r["findings"] if f["status"] != "gap"]
    assert all("delta" not in f for f in non_gaps)


def test_a_fixed_record_s_gap_is_resolved_in_every_format(tmp_path, baseline_file):
    export = copy_sample(tmp_path)
    fix_r2026_002(export)
    report = check([export], AS_OF, baseline_file=baseline_file)
    doc = json.loads(RENDERERS["json"](report))
    assert set(gaps_of(doc)) == SAMPLE_GAPS - {("R-2026-002", "scoping-required-roles")}
    assert doc["delta"]["resolved"] == [{
        "response_id": "R-2026-002", "rule": "scoping-required-roles", "severity": "high", "section": "4",
        "clause": "4-P2", "title": "Every required agency attends the scoping meeting",
        "message": "The scoping meeting lacked required agencies. Missing: Children in Care Specialist Nurse "
                   "(cic_specialist_nurse), Police representative (police). The scoping meeting on 2026-10-07. "
                   "Next: Invite the agencies listed as Missing to the next meeting, and record their attendance.",
        "now": "met"}]
    finding = next(f for r in doc["responses"] if r["response_id"] == "R-2026-002" for f in r["findings"]
                   if f["rule"] == "scoping-required-roles")
    assert (finding["status"], finding["delta"]) == ("met", "resolved")
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](report).lstrip("\ufeff"))))
    assert [(r["response_id"], r["rule"], r["status"]) for r in rows if r["delta"] == "resolved"] == [
        ("R-2026-002", "scoping-required-roles", "met")]
    still_gaps = [r["delta"] for r in rows if r["status"] == "gap"]
    assert len(still_gaps) == len(SAMPLE_GAPS) - 1 == 13
    assert still_gaps == ["persisting"] * 13
    assert "## Resolved since 2026-11-27\n\n- R-2026-002 `scoping-required-roles` (section 4): now met" in \
        RENDERERS["markdown"](report)
    assert "Resolved since 2026-11-27\n" + "-" * 25 + "\n  R-2026-002 scoping-required-roles: now met" in \
        RENDERERS["text"](report)
    assert "PERSISTING" in RENDERERS["text"](report)
    html = RENDERERS["html"](report)
    assert "Resolved since 2026-11-27" in html and "scoping-required-roles" in html
    assert "[persisting]" in RENDERERS["junit"](report)


def test_new_gap_and_a_response_no_longer_checked(tmp_path, baseline_file):
    export = copy_sample(tmp_path)
    records = json.loads((export / "responses-2026.json").read_text(encoding="utf-8"))
    # R-2026-003 leaves the export; R-2026-002 now also misses its referral
    records = [r for r in records if r["response_id"] != "R-2026-003"]
    records[0]["referral"]["route"] = "other"
    (export / "responses-2026.json").write_text(json.dumps(records), encoding="utf-8")
    report = check([export], AS_OF, baseline_file=baseline_file)
    doc = json.loads(RENDERERS["json"](report))
    assert records[0]["response_id"] == "R-2026-002"
    untouched = {k for k in SAMPLE_GAPS if k[0] != "R-2026-003"}
    assert len(untouched) == 11
    assert {k: f["delta"] for k, f in gaps_of(doc).items()} == {
        **{k: "persisting" for k in untouched}, ("R-2026-002", "referral-via-ifd-mash"): "new"}
    assert (doc["summary"]["gaps_new"], doc["summary"]["gaps_persisting"], doc["summary"]["gaps_resolved"]) == (
        1, 11, 3)
    assert [(r["response_id"], r["rule"], r["now"]) for r in doc["delta"]["resolved"]] == [
        ("R-2026-003", "referral-content", "not_checked"), ("R-2026-003", "referral-via-ifd-mash", "not_checked"),
        ("R-2026-003", "scoping-meeting-timely", "not_checked")]
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](report).lstrip("\ufeff"))))
    gone = [r for r in rows if r["response_id"] == "R-2026-003"]
    assert [(r["status"], r["delta"]) for r in gone] == [("not_checked", "resolved")] * 3
    assert "this response or rule was not checked in this run" in gone[0]["message"]
    assert "not checked in this run" in RENDERERS["html"](report)


def test_cli_baseline_round_trip(tmp_path):
    first = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format", "json", "--output",
                    str(tmp_path / "night1.json"))
    assert first.returncode == 1, first.stderr
    second = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--baseline", str(tmp_path / "night1.json"),
                     "--format", "csv")
    assert second.returncode == 1
    rows = list(csv.DictReader(io.StringIO(second.stdout.lstrip("\ufeff"))))
    assert {r["delta"] for r in rows if r["status"] == "gap"} == {"persisting"}


@pytest.mark.parametrize("content, message", [
    ("", "the baseline is not a JSON file (give a report written with --format json)"),
    ("not json", "the baseline is not a JSON file (give a report written with --format json)"),
    ('{"responses": []}', "the baseline is not a shg-check JSON report (first problem at (the whole file))"),
])
def test_a_bad_baseline_is_a_usage_error(tmp_path, content, message):
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_baseline(path)
    assert str(err.value).startswith(f"{path}: {message}")
    proc = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--baseline", str(path))
    assert proc.returncode == 2
    assert proc.stdout == "" and proc.stderr.startswith(f"Error: {path}: {message}")


def test_group_gaps_have_an_identity():
    assert group_identity({"id": "G-7", "members": ["b", "a"]}) == "group:G-7"
    assert group_identity({"members": ["YP-2", "YP-1"]}) == "group:YP-1+YP-2"
    doc = {"responses": [], "groups": [{"members": ["YP-2", "YP-1"], "findings": [
        {"rule": "group-escalated", "status": "gap", "severity": "high", "policy": {"section": "3", "clause": "3-P1"},
         "message": "m"}, {"rule": "other", "status": "met"}]}]}
    assert list(baseline_gaps(doc)) == [("group:YP-1+YP-2", "group-escalated")]


def test_group_findings_get_a_delta(baseline_file):
    report = sample_report()
    report.groups = [
        {"group_id": "G-1", "members": ["YP-1", "YP-2"], "escalated": False, "findings": [{"rule": "group-escalated", "severity": "high",
                                                                         "status": "gap", "message": "m"}]},
        {"group_id": "G-2", "members": ["YP-3", "YP-4"], "escalated": False, "findings": [{"rule": "group-escalated", "status": "met"},
                                                                        {"message": "no rule"}]},
    ]
    baseline = load_baseline(baseline_file)
    baseline.gaps[("group:G-2", "group-escalated")] = {"group": "group:G-2", "group_id": "G-2",
                                                       "rule": "group-escalated"}
    apply_baseline(report, baseline)
    assert report.groups[0]["findings"][0]["delta"] == "new"
    assert report.groups[1]["findings"][0]["delta"] == "resolved"
    assert report.summary()["gaps_new"] == 1   # the summary counts groups' gaps with the responses'
    assert report.summary()["gaps_persisting"] == 14   # the sample export's 14 gaps
    assert "**high** **NEW** m" in RENDERERS["markdown"](report)
    assert [r["rule"] for r in report.resolved] == ["group-escalated"]


def test_reports_with_waivers_and_baseline_are_valid_under_the_report_schema(tmp_path, baseline_file):
    import jsonschema
    from importlib import resources

    from checker.validation import FORMAT_CHECKER

    schema = json.loads(resources.files("checker").joinpath("schemas/report.schema.json").read_text())
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - {response_id: R-2026-003, rule: referral-content, reason: r, approved_by: q, "
                       "expires_on: 2026-12-31}\n  - {response_id: R-2026-003, rule: scoping-meeting-timely, reason: r, "
                       "approved_by: q, expires_on: 2026-01-31}\n", encoding="utf-8")
    export = copy_sample(tmp_path)
    fix_r2026_002(export)
    doc = json.loads(RENDERERS["json"](check([export], AS_OF, waivers_file=waivers, baseline_file=baseline_file)))
    jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER).validate(doc)
    gaps = gaps_of(doc)
    assert "waived" in gaps[("R-2026-003", "referral-content")]
    assert "waiver_expired" in gaps[("R-2026-003", "scoping-meeting-timely")]
    assert doc["delta"]["resolved"][0]["now"] == "met"
    assert doc["responses"][0]["timeline"][0]["event"] == "identified"


def test_a_gap_that_is_advice_now_is_resolved_and_the_report_stays_valid(baseline_file):
    """A rule re-read as advice (issue 8: may / indicative clauses): last night's gap is resolved, now 'advisory'."""
    import jsonschema
    from importlib import resources

    from checker.validation import FORMAT_CHECKER

    report = sample_report()
    r = next(x for x in report.responses if x.response_id == "R-2026-008")
    f = next(f for f in r.findings if f.rule == "cross-boundary-responsibility")
    assert f.status == "gap"
    f.status = "advisory"
    apply_baseline(report, load_baseline(baseline_file))
    doc = json.loads(RENDERERS["json"](report))
    assert [(x["response_id"], x["rule"], x["now"]) for x in doc["delta"]["resolved"]] == [
        ("R-2026-008", "cross-boundary-responsibility", "advisory")]
    schema = json.loads(resources.files("checker").joinpath("schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER).validate(doc)
