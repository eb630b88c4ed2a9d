"""Waivers: accepted gaps with a recorded reason; expiry; validation errors naming the file and entry."""
from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from click.testing import CliRunner

from checker.api import check, load_rulebook, DEFAULT_RULES
from checker.cli import main
from checker.errors import ConfigError
from checker.reporting import RENDERERS
from checker.waivers import load_waivers

from nightly_helpers import AS_OF, AS_OF_TEXT, SAMPLE, gaps_of, run_cli, run_process

WAIVER = {"reason": "Police attended the reconvened meeting two days later", "approved_by": "Quality lead",
          "expires_on": "2026-12-31"}


def write_waivers(tmp_path, text: str):
    path = tmp_path / "waivers.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def waive_r002(tmp_path, expires_on="2026-12-31"):
    return write_waivers(tmp_path, f"""\
        waivers:
          - response_id: R-2026-002
            rule: scoping-required-roles
            reason: Police attended the reconvened meeting two days later
            approved_by: Quality lead
            expires_on: {expires_on}
          - response_id: R-2026-001
            rule: scoping-chair
            reason: Chair delegated in writing
            approved_by: Quality lead
            expires_on: '2026-12-31'
        """)


def test_a_waived_gap_stays_a_gap_and_shows_its_reason(tmp_path):
    report = check([SAMPLE], AS_OF, waivers_file=waive_r002(tmp_path))
    doc = json.loads(RENDERERS["json"](report))
    gap = gaps_of(doc)[("R-2026-002", "scoping-required-roles")]
    assert gap["status"] == "gap" and gap["waived"] == WAIVER
    assert "waiver_expired" not in gap
    assert all("waived" not in f for k, f in gaps_of(doc).items() if k[0] != "R-2026-002")
    all_gaps = gaps_of(doc)
    assert len(all_gaps) == 14 and sum("waived" in f for f in all_gaps.values()) == 1
    assert (doc["summary"]["gaps_waived"], doc["summary"]["gaps_unwaived"]) == (1, len(all_gaps) - 1) == (1, 13)
    assert doc["waivers"] == {"source": str(tmp_path / "waivers.yaml"), "entries": 2, "expired": [], "unused": [
        {"response_id": "R-2026-001", "rule": "scoping-chair", "reason": "Chair delegated in writing",
         "approved_by": "Quality lead", "expires_on": "2026-12-31"}]}
    note = "waived until 2026-12-31 by Quality lead: Police attended the reconvened meeting two days later"
    for fmt in ("markdown", "html", "junit"):
        assert note in RENDERERS[fmt](report), fmt
    assert ("response,R-2026-002,,open,2026-10-05,LA-E06,high,gap,,4,4-P2,scoping-required-roles," in RENDERERS["csv"](report)
            and ",yes,2026-12-31,no,Quality lead,Police attended the reconvened meeting two days later,"
            in RENDERERS["csv"](report))
    assert "GAP [high] WAIVED section 4" in RENDERERS["text"](report)
    assert "R-2026-001 `scoping-chair`: matches no current gap" in RENDERERS["markdown"](report)


def test_a_waived_gap_does_not_count_for_the_exit_code(tmp_path):
    export = tmp_path / "one.json"
    record = next(r for r in json.loads((SAMPLE / "responses-2026.json").read_text()) if r["response_id"] == "R-2026-002")
    export.write_text(json.dumps(record), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(export), "--as-of", AS_OF_TEXT])
    assert result.exit_code == 1
    result = runner.invoke(main, ["check", str(export), "--as-of", AS_OF_TEXT, "--waivers",
                                  str(waive_r002(tmp_path))])
    assert result.exit_code == 0, result.output


def test_after_expiry_the_gap_counts_again_and_the_report_says_so(tmp_path):
    waivers = waive_r002(tmp_path, expires_on="2026-11-26")
    report = check([SAMPLE], AS_OF, waivers_file=waivers)
    gap = gaps_of(json.loads(RENDERERS["json"](report)))[("R-2026-002", "scoping-required-roles")]
    assert "waived" not in gap
    assert gap["waiver_expired"] == {**WAIVER, "expires_on": "2026-11-26"}
    assert report.waivers["expired"] == [{"response_id": "R-2026-002", "rule": "scoping-required-roles",
                                          **WAIVER, "expires_on": "2026-11-26"}]
    md = RENDERERS["markdown"](report)
    assert "- R-2026-002 `scoping-required-roles`: expired on 2026-11-26; the gap counts again" in md
    assert "waiver expired on 2026-11-26" in RENDERERS["html"](report)
    assert "waiver expired on 2026-11-26" in RENDERERS["junit"](report)
    assert "Waiver expired on 2026-11-26" in RENDERERS["text"](report)
    # the last day of a waiver still counts as waived
    on_the_day = check([SAMPLE], dt.date(2026, 11, 26), waivers_file=waivers)
    assert next(f for r in on_the_day.responses for f in r.findings if f.rule == "scoping-required-roles"
                and r.response_id == "R-2026-002").waived


def test_expired_waiver_fails_the_run_again(tmp_path):
    export = tmp_path / "one.json"
    record = next(r for r in json.loads((SAMPLE / "responses-2026.json").read_text()) if r["response_id"] == "R-2026-002")
    export.write_text(json.dumps(record), encoding="utf-8")
    proc = run_cli("check", str(export), "--as-of", "2027-01-01", "--waivers", str(waive_r002(tmp_path)))
    assert proc.returncode == 1


@pytest.mark.parametrize("entry, problem", [
    ("{response_id: R-1, rule: scoping-chair, approved_by: Quality lead, expires_on: 2026-12-31}",
     "waiver entry 1 (response R-1, rule scoping-chair): missing reason"),
    ("{response_id: R-1, rule: scoping-chair, reason: ok, expires_on: 2026-12-31}",
     "waiver entry 1 (response R-1, rule scoping-chair): missing approved_by"),
    ("{response_id: R-1, rule: scoping-chair, reason: '  ', approved_by: Quality lead, expires_on: 2026-12-31}",
     "waiver entry 1 (response R-1, rule scoping-chair): reason must not be empty"),
    ("{response_id: R-1, rule: scoping-chair, reason: ok, approved_by: 7, expires_on: 2026-12-31}",
     "waiver entry 1 (response R-1, rule scoping-chair): approved_by must be text"),
    ("{response_id: R-1, rule: scoping-chair, reason: ok, approved_by: Q, expires_on: '2026-02-30'}",
     "waiver entry 1 (response R-1, rule scoping-chair): expires_on must be a real date in the form YYYY-MM-DD"),
    ("{response_id: R-1, rule: scoping-chair, reason: ok, approved_by: Q, expires_on: 2026-12-31, note: x}",
     "waiver entry 1 (response R-1, rule scoping-chair): has a field that is not response_id, group, rule, reason, "
     "approved_by or expires_on"),
    ("{response_id: R-1, rule: no-such-rule, reason: ok, approved_by: Q, expires_on: 2026-12-31}",
     "waiver entry 1 (response R-1, rule no-such-rule): no rule has this id"),
    ("{rule: scoping-chair, reason: ok, approved_by: Q, expires_on: 2026-12-31}",
     "waiver entry 1: missing response_id (or group)"),
    ("[not, a, mapping]", "waiver entry 1: must be a mapping of response_id (or group), rule, reason, approved_by and "
                          "expires_on"),
    ("{response_id: [R-1], rule: scoping-chair, reason: ok, approved_by: Q, expires_on: 2026-12-31}",
     "waiver entry 1: response_id is not valid (type)"),
])
def test_bad_waivers_are_rejected_naming_file_and_entry(tmp_path, entry, problem):
    path = write_waivers(tmp_path, f"waivers:\n  - {entry}\n")
    with pytest.raises(ConfigError) as err:
        load_waivers(path, load_rulebook(DEFAULT_RULES))
    assert str(err.value) == f"invalid waivers:\n  {path}: {problem}"
    result = CliRunner().invoke(main, ["check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--waivers", str(path)])
    assert result.exit_code == 2
    assert result.output == f"Error: invalid waivers:\n  {path}: {problem}\n"


def test_missing_reason_is_exit_2_as_a_subprocess(tmp_path):
    path = write_waivers(tmp_path, """\
        waivers:
          - {response_id: R-2026-002, rule: scoping-required-roles, reason: ok, approved_by: Q, expires_on: 2026-12-31}
          - {response_id: R-2026-003, rule: scoping-meeting-timely, approved_by: Q, expires_on: 2026-12-31}
        """)
    proc = run_process("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--waivers", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"Error: invalid waivers:\n  {path}: waiver entry 2 (response R-2026-003, "
                           "rule scoping-meeting-timely): missing reason\n")


@pytest.mark.parametrize("text, message", [
    ("waivers: [\n", "the waivers file is not valid YAML"),
    ("- a\n", "a waivers file is a mapping with a list 'waivers:' of accepted gaps"),
    ("waivers: []\nother: 1\n", "only 'waivers:' is allowed at the top level"),
])
def test_bad_waiver_files(tmp_path, text, message):
    path = write_waivers(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_waivers(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_unreadable_waiver_file_and_duplicates(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the waivers file"):
        load_waivers(tmp_path / "absent.yaml")
    path = write_waivers(tmp_path, """\
        waivers:
          - {response_id: R-1, rule: scoping-chair, reason: a, approved_by: Q, expires_on: 2026-12-31}
          - {response_id: R-1, rule: scoping-chair, reason: b, approved_by: Q, expires_on: 2026-12-31}
        """)
    with pytest.raises(ConfigError) as err:
        load_waivers(path)
    assert str(err.value).endswith("waiver entry 2 (response R-1, rule scoping-chair): the same gap is already "
                                   "waived by entry 1")
