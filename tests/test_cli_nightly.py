"""Nightly operation through the CLI: --fail-on, --output-dir, --format, the progress bar."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from checker.api import check
from checker.cli import _ProgressBar, exit_code, main, write_output_dir
from checker.gating import failing_gaps
from checker.timeline import response_timeline

from nightly_helpers import AS_OF, AS_OF_TEXT, SAMPLE, run_cli, sample_records, sample_report


def test_help_documents_the_new_options():
    out = CliRunner().invoke(main, ["check", "--help"]).output
    for option in ("--output-dir DIR", "--baseline PREVIOUS.json", "--waivers FILE", "--fail-on",
                   "[high|medium|low|never|new]", "--pseudonymise KEYFILE", "[text|json|html|csv|markdown|junit]"):
        assert option in out


@pytest.mark.parametrize("fail_on, code", [("low", 1), ("medium", 1), ("high", 1), ("never", 0)])
def test_fail_on_with_high_gaps(fail_on, code):
    result = CliRunner().invoke(main, ["check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--fail-on", fail_on])
    assert result.exit_code == code


def test_fail_on_counts_severity_and_waivers():
    report = sample_report()
    gaps = [f for r in report.responses for f in r.findings if f.status == "gap"]
    by_severity = {s: sum(f.severity == s for f in gaps) for s in ("high", "medium", "low")}
    assert (len(gaps), by_severity) == (14, {"high": 8, "medium": 5, "low": 1})
    assert [failing_gaps(report, s) for s in ("high", "medium", "low", "never")] == [
        by_severity["high"], by_severity["high"] + by_severity["medium"], len(gaps), 0] == [8, 13, 14, 0]
    for r in report.responses:
        for f in r.findings:
            if f.status == "gap":
                f.severity = "medium"
    assert [failing_gaps(report, s) for s in ("high", "medium", "low")] == [0, len(gaps), len(gaps)] == [0, 14, 14]
    assert exit_code(report, "high") == 0 and exit_code(report, "medium") == 1
    for r in report.responses:
        for f in r.findings:
            f.severity = "low"
    assert [failing_gaps(report, s) for s in ("high", "medium", "low")] == [0, 0, len(gaps)] == [0, 0, 14]
    for r in report.responses:
        for f in r.findings:
            f.waived = {"reason": "r", "approved_by": "a", "expires_on": "2026-12-31"}
    assert failing_gaps(report, "low") == 0 and exit_code(report) == 0
    report.groups = [{"members": ["a", "b"], "findings": [{"rule": "g", "status": "gap"}]},
                     {"members": ["c"], "findings": [{"rule": "g", "status": "gap", "severity": "low",
                                                      "waived": {"reason": "r"}}]}]
    assert failing_gaps(report, "high") == 1   # a group gap without severity counts as high


def test_input_errors_still_win_over_fail_on(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(bad), str(SAMPLE), "--as-of", AS_OF_TEXT, "--fail-on", "never"])
    assert result.exit_code == 3


@pytest.mark.parametrize("fmt, start", [
    ("html", "<!DOCTYPE html>"), ("csv", "\ufeffkind,response_id,group_id,"), ("markdown", "# Self-harm groups"),
    ("junit", '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites'), ("json", "{"), ("text", "shg-check gap"),
])
def test_each_format_to_stdout_and_to_a_file(tmp_path, fmt, start):
    result = CliRunner().invoke(main, ["check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format", fmt])
    assert result.exit_code == 1 and result.output.startswith(start)
    target = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(main, ["check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format", fmt,
                                       "--output", str(target)])
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8").startswith(start)


def test_output_dir_with_an_explicit_format_also_prints_it(tmp_path):
    proc = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--output-dir", str(tmp_path / "r"),
                   "--format", "text")
    assert proc.returncode == 1
    assert proc.stdout.startswith("shg-check gap report, as of 2026-11-27\n")
    assert json.loads((tmp_path / "r" / "report.json").read_text())["summary"]["responses_checked"] == \
        len(sample_records()) == 10


def test_output_dir_is_rendered_before_anything_is_written(tmp_path, monkeypatch):
    report = sample_report()
    from checker import reporting

    def boom(report):
        raise RuntimeError("render failed")

    monkeypatch.setitem(reporting.STREAMERS, "junit", boom)
    with pytest.raises(RuntimeError):
        write_output_dir(str(tmp_path / "out"), report)
    assert not (tmp_path / "out").exists()


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal():
    assert not _ProgressBar(io.StringIO()).enabled
    stream = _Tty()
    bar = _ProgressBar(stream)
    assert bar.enabled
    report = check([SAMPLE], AS_OF, progress=bar)
    bar.close()
    assert len(report.responses) == bar.done == len(sample_records()) == 10
    assert "Checking records: 10 checked" in stream.getvalue()
    bar.close()   # closing twice is harmless


def test_timeline_from_the_record():
    record = {"identified_on": "2026-03-02", "referral": {"date": "2026-03-03"},
              "meetings": [{"type": "strategic", "date": "2026-03-09"}, {"type": "scoping", "date": "2026-03-04"},
                           {"type": "operational", "date": "2026-03-09"}, {"type": "final"},
                           {"type": "scoping", "date": "2026-02-30"}, "junk"],
              "closure": {"date": "2026-05-29"}}
    assert response_timeline(record) == [
        {"event": "identified", "date": "2026-03-02"}, {"event": "referral", "date": "2026-03-03"},
        {"event": "scoping_meeting", "date": "2026-03-04"}, {"event": "strategic_meeting", "date": "2026-03-09"},
        {"event": "operational_meeting", "date": "2026-03-09"}, {"event": "closure", "date": "2026-05-29"}]
    assert response_timeline({"identified_on": "2026-3-2", "referral": None, "closure": None}) == []


def test_json_report_carries_the_timeline():
    doc = json.loads(CliRunner().invoke(main, ["check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format",
                                               "json"]).output)
    r = next(r for r in doc["responses"] if r["response_id"] == "R-2025-009")
    assert r["timeline"] == [{"event": "identified", "date": "2025-11-10"}, {"event": "closure", "date": "2025-12-19"}]
