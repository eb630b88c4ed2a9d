"""Possible groups end to end: the bundled feed with the sample export, `check --incidents`, `detect`."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from checker.api import check, detect
from checker.cli import main
from checker.validation import schema

ROOT = Path(__file__).resolve().parent.parent
EXPORT = str(ROOT / "fixtures" / "sample-export")
FEED = str(ROOT / "fixtures" / "incidents" / "incidents-2026.csv")
AS_OF = dt.date(2026, 11, 27)
HEADER = "incident_id,young_person_id,date_of_birth,age,date,setting_id,area,connections\n"


@pytest.fixture(scope="module")
def report():
    return check([EXPORT], AS_OF, incidents=[FEED])  # durable-rules, as `make run` does


def test_durable_rules_and_the_oracle_agree_on_the_sample_export_with_groups(report):
    oracle = check([EXPORT], AS_OF, engine="python", incidents=[FEED])
    assert oracle.to_dict() == report.to_dict()


def by_members(groups: list[dict]) -> dict[tuple[str, ...], dict]:
    return {tuple(g["members"]): g for g in groups}


def test_bundled_feed_with_the_sample_export(report):
    groups = by_members(report.groups)
    assert {m: (g["basis"], g["escalation"], g["response_id"]) for m, g in groups.items()} == {
        ("YP-A01", "YP-A02", "YP-A03"): ("connected", "escalated", "R-2026-001"),
        ("YP-B01", "YP-B02", "YP-B03"): ("connected", "escalated_late", "R-2026-002"),
        ("YP-E01", "YP-E02"): ("same_setting", "escalated", "R-2026-004"),
        ("YP-F01", "YP-F02"): ("same_setting", "not_escalated", None),
        ("YP-G01", "YP-G02", "YP-G03"): ("connected", "not_escalated", None),
        ("YP-K01", "YP-K02"): ("same_setting", "pending", None),
        ("YP-L01", "YP-L02", "YP-L03"): ("same_area", "not_escalated", None),
    }
    # no group for the unconnected children far apart (H), nor for the college where one was 18 (J)
    assert not any(m.startswith(("YP-H", "YP-J")) for g in report.groups for m in g["members"])
    assert report.detection["left_out"] == {"adult_at_episode": 1, "after_as_of": 0}
    assert report.detection["episodes_counted"] == 21


def test_two_children_in_one_school_and_no_response_are_an_unescalated_group(report):
    g = by_members(report.groups)[("YP-F01", "YP-F02")]
    assert (g["rule"], g["settings"], g["first_date"], g["met_definition_on"], g["escalated"]) == (
        "same-setting-pair", ["URN-200001"], "2026-11-02", "2026-11-09", False)
    gap = g["findings"][0]
    assert (gap["rule"], gap["status"], gap["severity"], gap["policy"]["section"], gap["missing"]) == (
        "group-escalated", "gap", "high", "3", ["YP-F01", "YP-F02"])


def test_three_children_in_different_schools_linked_online(report):
    g = by_members(report.groups)[("YP-G01", "YP-G02", "YP-G03")]
    assert (g["settings"], g["areas"], g["met_definition_on"]) == (
        ["URN-300001", "URN-300002", "URN-300003"], ["LA-E11", "LA-E12", "LA-E13"], "2026-10-05")


def test_the_children_of_an_existing_response_are_an_escalated_group(report):
    g = by_members(report.groups)[("YP-A01", "YP-A02", "YP-A03")]
    assert (g["escalated"], g["referral_date"], [f["status"] for f in g["findings"]]) == (
        True, "2026-03-02", ["met", "met"])
    assert [a["members"] for a in g["also"]] == [["YP-A01", "YP-A02"]]


def test_late_escalation_is_a_section_2_gap(report):
    g = by_members(report.groups)[("YP-B01", "YP-B02", "YP-B03")]
    assert g["met_definition_on"] == "2026-09-24"  # the school pair, folded in, met the definition first
    assert [(f["status"], f["policy"]["section"]) for f in g["findings"]] == [("met", "3"), ("gap", "2")]


def test_group_gaps_count_towards_the_report(report):
    response_gaps = sum(len(r.gaps()) for r in report.responses)
    assert response_gaps == 14
    assert report.gap_count == response_gaps + 4  # F, G, L unescalated and B late
    s = report.summary()
    # not escalated (F, G, L) is not the same as needing action (F, G, L and B, escalated late); K is not yet due
    assert (s["groups"], s["groups_unescalated"], s["groups_needing_action"]) == (7, 3, 4)
    assert s["gaps"] == report.gap_count == 18 and s["gaps_in_groups"] == 4


def test_json_report_with_groups_matches_the_report_schema(report):
    doc = report.to_dict()
    jsonschema.validate(doc, schema("report"))
    assert doc["detection"]["digest"] and len(doc["detection"]["rules"]) == 5


def test_text_report_lists_unescalated_groups_first(report):
    from checker.reporting.text_report import render_text
    text = render_text(report)
    section = text[text.index("Possible self-harm groups\n"):text.index("\nResponses\n")]
    heads = [line.split(":")[0].strip().rsplit(" G-", 1)[0] for line in section.splitlines()
             if line.startswith("  ") and not line.startswith("   ")]
    # those needing action first (not escalated, then escalated late), the high ones before the low signal
    assert heads == ["NOT ESCALATED"] * 3 + ["ESCALATED LATE", "NOT YET ESCALATED (not yet due)", "ESCALATED",
                                             "ESCALATED"]
    assert "Possible self-harm groups in the incident feeds: 7; need action: 4 (not escalated: 3; escalated " \
           "late: 1); not yet due: 1" in text
    assert ": connected children group of 3 (YP-G01, YP-G02, YP-G03), 2026-09-10 to 2026-10-05 " \
           "[high, connected-group]" in section
    severities = [line.rsplit("[", 1)[1].split(",")[0] for line in section.splitlines()
                  if line.startswith("  NOT ESCALATED")]
    assert severities == ["high", "high", "low"]
    assert "      GAP [high] section 2 (2-P2) group-escalated-in-time" in section


# -- feeds with bad rows -------------------------------------------------------------------------------------


def test_a_bad_feed_row_is_reported_and_the_rest_are_used(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "I-1,YP-1,,14,2026-03-02,S1,L1,\n"
                             "I-2,YP-2,,fourteen,2026-03-03,S1,L1,\n"
                             "I-3,YP-3,,13,2026-03-04,S1,L1,\n"
                             "I-4,YP-4,2027-01-01,,2026-03-04,S1,L1,\n")
    out = check([EXPORT], AS_OF, engine="python", incidents=[str(feed)])
    assert [e.to_dict() for e in out.input_errors] == [
        {"source": str(feed), "record": "I-2", "path": "/age", "message": "must be of type integer", "line": 3},
        {"source": str(feed), "record": "I-4", "path": "/date_of_birth",
         "message": "must not be after the date of the episode", "line": 5}]
    assert [g["members"] for g in out.groups] == [["YP-1", "YP-3"]]


def test_json_and_json_lines_feeds(tmp_path):
    rows = [{"incident_id": "I-1", "young_person_id": "YP-1", "age": 14, "date": "2026-03-02", "setting_id": "S1"},
            {"incident_id": "I-2", "young_person_id": "YP-2", "age": 14, "date": "2026-03-03", "setting_id": "S1"}]
    (tmp_path / "a.json").write_text(json.dumps(rows[:1]))
    (tmp_path / "b.jsonl").write_text(json.dumps(rows[1]) + "\n")
    result = detect([str(tmp_path)], AS_OF)
    assert [(g.members, g.escalation) for g in result.groups] == [(["YP-1", "YP-2"], None)]
    assert result.to_dict()["groups"][0]["escalation"] == "not_checked"


# -- the command line ----------------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(main, list(args))  # click 8.2+: stdout and stderr kept apart


def test_check_with_incidents_json(tmp_path):
    out = tmp_path / "r.json"
    result = run("check", EXPORT, "--incidents", FEED, "--as-of", "2026-11-27", "--format", "json",
                 "--engine", "python", "--output", str(out))
    assert result.exit_code == 1
    doc = json.loads(out.read_text())
    assert len(doc["groups"]) == 7 and doc["summary"]["groups_needing_action"] == 4
    assert {"members", "basis", "first_date", "escalated"} <= doc["groups"][0].keys()


def test_check_with_incidents_is_exit_1_for_group_gaps_alone(tmp_path):
    record = tmp_path / "r.json"
    record.write_text(json.dumps({"schema_version": "1.0", "response_id": "R-9", "status": "open",
                                  "identified_on": "2026-11-26", "young_people": [{"id": "YP-Z"}]}))
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "I-1,YP-1,,14,2026-03-02,S1,,\nI-2,YP-2,,14,2026-03-03,S1,,\n")
    assert run("check", str(record), "--as-of", "2026-11-27", "--engine", "python").exit_code == 0
    result = run("check", str(record), "--incidents", str(feed), "--as-of", "2026-11-27", "--engine", "python")
    assert result.exit_code == 1
    assert ": same setting group of 2 (YP-1, YP-2)" in result.stdout
    assert "NOT ESCALATED G-" in result.stdout


def test_check_with_a_bad_feed_row_is_exit_3(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "I-1,YP-1,,14,2026-02-30,S1,,\n")
    result = run("check", EXPORT, "--incidents", str(feed), "--as-of", "2026-11-27", "--engine", "python")
    assert result.exit_code == 3
    assert f"{feed}: line 2, record I-1, /date: must be a real date in the form YYYY-MM-DD" in result.stdout


def test_check_with_a_missing_feed_is_a_usage_error(tmp_path):
    result = run("check", EXPORT, "--incidents", str(tmp_path / "nope.csv"), "--engine", "python")
    assert result.exit_code == 2
    assert "path not found" in result.stderr


def test_detect_text_and_exit_codes(tmp_path):
    result = run("detect", FEED, "--as-of", "2026-11-27")
    assert result.exit_code == 1
    assert "Possible groups: 7 (not checked for escalation: no response records were given)" in result.stdout
    assert "Incidents read: 22; episodes of children counted: 21; left out: 1 at adult age, 0 after the as-of date" \
           in result.stdout
    assert result.stdout.count("NOT CHECKED FOR ESCALATION G-") == 7
    assert run("detect", FEED, "--as-of", "2026-02-01").exit_code == 0  # nothing had happened yet
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "I-1,YP-1,,,2026-03-02,S1,,\n")
    bad = run("detect", str(feed), "--as-of", "2026-11-27")
    assert bad.exit_code == 3
    assert 'record I-1, /date_of_birth: required property "date_of_birth" (or "age") is missing' in bad.stdout


def test_detect_json_to_a_file(tmp_path):
    out = tmp_path / "groups.json"
    result = run("detect", FEED, "--as-of", "2026-11-27", "--format", "json", "--output", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"wrote {out}: 7 possible groups, 0 input errors. Exit 1: 7 possible groups not "
                             "checked for escalation (no response records given): each needs a look\n")
    doc = json.loads(out.read_text())
    s = doc["summary"]
    assert (s["groups"], s["groups_by_escalation"], s["gaps"], s["input_errors"], s["groups_not_checked"]) == \
        (7, {"not_checked": 7}, 0, 0, 7)
    assert doc["responses"] == [] and doc["detection"]["incidents_read"] == 22
    assert all(g["escalated"] is None and g["findings"] == [] for g in doc["groups"])
    assert any(p["name"] == "pair_window_days" and p["source"] == "local default" for p in doc["parameters"])


def test_detect_with_bad_rules_is_exit_2(tmp_path):
    (tmp_path / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text())
    (tmp_path / "detection").mkdir()
    (tmp_path / "detection" / "x.yaml").write_text("id: x\n")
    result = run("detect", FEED, "--rules", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid detection rules:")
    assert run("detect", FEED, "--rules", str(tmp_path / "none")).exit_code == 2


def test_detect_as_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "detect", FEED, "--as-of", "2026-11-27",
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["groups"]) == 7
    assert "Traceback" not in proc.stderr


def test_check_with_incidents_as_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "check", EXPORT, "--incidents", FEED,
                           "--as-of", "2026-11-27", "--engine", "python"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "ESCALATED LATE G-41cc2fc770bf: connected children group of 3 (YP-B01, YP-B02, YP-B03)" in proc.stdout


def test_detect_exit_code_reflects_only_what_needs_action(tmp_path):
    """Was: detect exited 1 whenever any group existed, even an escalated one."""
    alone = run("detect", FEED, "--as-of", "2026-03-10")
    assert alone.exit_code == 1 and "1 possible group not checked for escalation" in alone.stdout
    with_responses = run("detect", FEED, "--as-of", "2026-03-10", "--responses", EXPORT)
    assert with_responses.exit_code == 0, with_responses.stdout
    assert "ESCALATED G-157d58d879aa" in with_responses.stdout
    later = run("detect", FEED, "--as-of", "2026-11-27", "--responses", EXPORT, "--format", "json")
    assert later.exit_code == 1 and json.loads(later.stdout)["summary"]["groups_needing_action"] == 4


def test_detect_has_every_format_and_pseudonymises(tmp_path):
    key = tmp_path / "k"
    key.write_bytes(b"0123456789abcdef-partnership-key")
    for fmt in ("text", "json", "html", "csv", "markdown", "junit"):
        result = run("detect", FEED, "--as-of", "2026-11-27", "--format", fmt, "--pseudonymise", str(key))
        assert result.exit_code == 1, fmt
        assert "YP#" in result.stdout, fmt
        assert not re.search(r"YP-[A-Z]\d\d", result.stdout), fmt
