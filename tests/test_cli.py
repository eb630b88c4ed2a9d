"""The command line, through click's CliRunner and as a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from checker.cli import EXIT_GAPS, EXIT_INPUT_ERRORS, EXIT_OK, EXIT_USAGE, main
from checker.validation import schema
from helpers import FIXTURES, ROOT, SAMPLE

BAD = FIXTURES / "bad-input" / "one-good-two-broken.json"
COMPLETE = SAMPLE / "R-2026-001-complete.json"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_report_to_stdout_is_valid_and_names_the_police_gap():
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--format", "json")
    assert result.exit_code == EXIT_GAPS
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("report"))
    by_id = {r["response_id"]: r for r in report["responses"]}
    roles = next(f for f in by_id["R-2026-002"]["findings"] if f["rule"] == "scoping-required-roles")
    assert roles["status"] == "gap"
    assert roles["policy"] == {"section": "4", "clause": "4-P2"}
    assert "police" in roles["missing"]
    assert roles["evidence"] == ["/meetings/0/attendees"]
    assert [f for f in by_id["R-2026-001"]["findings"] if f["status"] == "gap"] == []
    assert report["as_of"] == "2026-11-27"
    assert {p["name"] for p in report["parameters"]} >= {"scoping_meeting_working_days", "chapter_in_force_from"}
    assert len(report["ruleset"]["digest"]) == 64


def test_compliant_response_alone_exits_zero():
    result = run("check", COMPLETE, "--as-of", "2026-11-27")
    assert result.exit_code == EXIT_OK, result.output
    assert "R-2026-001 (closed, identified 2026-03-02): 0 gaps, 0 pending" in result.stdout


def test_text_report_lists_gaps_per_response():
    result = run("check", SAMPLE, "--as-of", "2026-11-27")
    assert result.exit_code == EXIT_GAPS
    out = result.stdout
    assert "GAP [high] section 4 (4-P2) scoping-required-roles" in out
    assert "Police representative (police)" in out
    assert "scoping_meeting_working_days = 5 working days  [local default]" in out


def test_one_good_two_broken_records():
    result = run("check", BAD, "--as-of", "2026-11-27", "--format", "json")
    assert result.exit_code == EXIT_INPUT_ERRORS
    report = json.loads(result.stdout)
    assert [r["response_id"] for r in report["responses"]] == ["R-BAD-1"]
    assert report["input_errors"] == [
        {"source": str(BAD), "record": "R-BAD-2", "path": "/identified_on",
         "message": "must be a real date in the form YYYY-MM-DD", "line": 26},
        {"source": str(BAD), "record": "#3", "path": "/response_id",
         "message": 'required property "response_id" is missing', "line": 37},
    ]


def test_output_file_written_and_input_untouched(tmp_path):
    before = BAD.read_bytes(), BAD.stat().st_mtime_ns
    out = tmp_path / "sub" / "report.json"
    result = run("check", BAD, "--as-of", "2026-11-27", "--format", "json", "--output", out)
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert json.loads(out.read_text())["summary"]["input_errors"] == 2
    assert result.stdout == ""
    assert "wrote" in result.stderr
    assert (BAD.read_bytes(), BAD.stat().st_mtime_ns) == before
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temporary file left


def test_params_override_changes_result_and_is_reported(tmp_path):
    params = tmp_path / "ours.yaml"
    params.write_text("parameters:\n  scoping_meeting_working_days: {value: 1, reason: local decision}\n")
    result = run("check", COMPLETE, "--as-of", "2026-11-27", "--params", params, "--format", "json")
    report = json.loads(result.stdout)
    p = next(p for p in report["parameters"] if p["name"] == "scoping_meeting_working_days")
    assert p["value"] == 1 and p["source"] == "override (ours.yaml)" and p["reason"] == "local decision"
    held = next(f for f in report["responses"][0]["findings"] if f["rule"] == "scoping-meeting-timely")
    assert held["status"] == "gap"  # meeting 2 working days after identification
    assert result.exit_code == EXIT_GAPS


@pytest.mark.parametrize("args, message", [
    (["check", "nowhere.json"], "Error: path not found: nowhere.json"),
    (["check", COMPLETE, "--as-of", "2026-02-30"], "'2026-02-30' is not a date in the form YYYY-MM-DD"),
    (["check", COMPLETE, "--rules", "no-such-rules"], "Error: no-such-rules: rules directory not found"),
])
def test_usage_errors_exit_2_without_traceback(args, message):
    result = run(*args)
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unknown_parameter_in_override(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("parameters:\n  scoping_days: 3\n")
    result = run("check", COMPLETE, "--params", params)
    assert result.exit_code == EXIT_USAGE
    assert f"Error: {params}: unknown parameter 'scoping_days'" in result.stderr


def test_invalid_rule_file_is_reported_before_anything_runs(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text())
    (rules / "evil.yaml").write_text("!!python/object/apply:os.system ['echo hacked']\n")
    result = run("check", COMPLETE, "--rules", rules)
    assert result.exit_code == EXIT_USAGE
    assert "evil.yaml: not valid YAML at line 1" in result.stderr
    assert "hacked" not in result.output


def test_validate_command():
    result = run("validate", BAD)
    assert result.exit_code == EXIT_INPUT_ERRORS
    assert f"{BAD}:26: record R-BAD-2: /identified_on: must be a real date in the form YYYY-MM-DD" in result.stdout
    assert run("validate", COMPLETE).exit_code == EXIT_OK


def test_help_documents_exit_codes():
    result = run("check", "--help")
    assert "3  input errors" in result.stdout and "2 wins over 3" in result.stdout


def test_engines_give_the_same_report():
    a = run("check", SAMPLE, "--as-of", "2026-11-27", "--format", "json", "--engine", "durable").stdout
    b = run("check", SAMPLE, "--as-of", "2026-11-27", "--format", "json", "--engine", "python").stdout
    assert a == b


def test_subprocess_run_prints_report_and_exit_code():
    exe = Path(sys.executable).parent / "shg-check"
    proc = subprocess.run([str(exe), "check", str(SAMPLE), "--as-of", "2026-11-27"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "error"})
    assert proc.returncode == EXIT_GAPS, proc.stderr
    assert "R-2026-002" in proc.stdout and "Traceback" not in proc.stderr


def test_subprocess_bad_input_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "check", str(BAD)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == EXIT_INPUT_ERRORS
    assert "Traceback" not in proc.stderr
