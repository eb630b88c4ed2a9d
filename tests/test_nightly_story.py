"""Nightly use, end to end: two nights, baselines, waivers of groups, --fail-on new, first night, history,
and the issue-9 leaks and crashes in the report writers."""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.api import check
from checker.errors import ConfigError
from checker.history import History
from checker.pseudonymise import Pseudonymiser
from checker.reporting import FILENAMES, RENDERERS
from checker.reporting.text_report import one_line
from checker.selection import Selection
from checker.summary import summarise

from nightly_helpers import AS_OF, ROOT, SAMPLE, copy_sample, run_cli, run_process, sample_report
from test_summary_agreement import assert_agree

FEED = ROOT / "fixtures" / "incidents"
KEY = b"0123456789abcdef-partnership-key"
NIGHT1, NIGHT2 = "2026-11-26", "2026-11-27"
GROUP_G, GROUP_F = "G-3c250cf8e9bf", "G-613e6da1b4d5"   # not escalated (connected), not escalated (pair)


def add_referral_for_group_g(export):
    """A new response covering group G (YP-G01..03) with a referral in time: the group's gap resolves, and the new
    response brings new gaps of its own."""
    record = {"schema_version": "1.0", "response_id": "R-2026-100", "local_authority": "LA-E11", "status": "open",
              "identified_on": "2026-10-05",
              "referral": {"date": "2026-10-06", "route": "ifd", "kind": "child_safeguarding_referral",
                           "group_dynamic_described": True, "scoping_meeting_requested": True,
                           "referring_agency": "education"},
              "young_people": [{"id": f"YP-G0{i}", "date_of_birth": "2011-05-14"} for i in (1, 2, 3)]}
    (export / "R-2026-100.json").write_text(json.dumps(record), encoding="utf-8")
    complete = export / "R-2026-001-complete.json"   # and a new gap on a response that had none
    doc = json.loads(complete.read_text(encoding="utf-8"))
    doc["referral"]["route"] = "other"
    complete.write_text(json.dumps(doc), encoding="utf-8")


def write_waivers(path):
    path.write_text(
        "waivers:\n"
        f"  - group: {GROUP_F}\n    rule: group-escalated\n    reason: Referred by phone, record being added\n"
        "    approved_by: Quality lead\n    expires_on: 2026-12-31\n"
        "  - response_id: R-2026-002\n    rule: scoping-required-roles\n    reason: Police sent apologies\n"
        "    approved_by: Quality lead\n    expires_on: 2026-11-26\n", encoding="utf-8")


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nights")
    export = copy_sample(tmp)
    key = tmp / "key"
    key.write_bytes(KEY)
    db = tmp / "history.db"
    first = run_cli("check", str(export), "--incidents", str(FEED), "--as-of", NIGHT1, "--pseudonymise", str(key),
                    "--baseline", str(tmp / "night0.json"), "--format", "json", "--output", str(tmp / "night1.json"),
                    "--history", str(db))
    add_referral_for_group_g(export)
    waivers = tmp / "waivers.yaml"
    write_waivers(waivers)
    out = tmp / "out"
    second = run_cli("check", str(export), "--incidents", str(FEED), "--as-of", NIGHT2, "--pseudonymise", str(key),
                     "--baseline", str(tmp / "night1.json"), "--waivers", str(waivers), "--output-dir", str(out),
                     "--history", str(db))
    report = check([export], dt.date.fromisoformat(NIGHT2), incidents=[FEED], pseudonymise_key_file=key,
                   baseline_file=tmp / "night1.json", waivers_file=waivers)
    return {"tmp": tmp, "first": first, "second": second, "out": out, "db": db, "report": report,
            "export": export, "key": key}


def test_first_night_is_a_warning_not_an_error(two_nights):
    first = two_nights["first"]
    assert first.returncode == 1, first.stderr   # gaps, not exit 2
    assert "Warning: " in first.stderr and "does not exist yet: first night" in first.stderr
    doc = json.loads((two_nights["tmp"] / "night1.json").read_text())
    assert doc["summary"]["first_night"] is True and "delta" not in doc
    assert doc["pseudonymisation"]["key_fingerprint"]


def test_two_nights_agree_in_all_six_formats_the_history_and_the_exit_line(two_nights):
    report, out, second = two_nights["report"], two_nights["out"], two_nights["second"]
    m = summarise(report)
    assert second.returncode == m.exit_code == 1
    # the story: a resolved group gap, new gaps, a waived group gap, an expired waiver
    resolved = report.resolved
    assert any(r.get("group_id") == GROUP_G and r["now"] == "met" for r in resolved)
    assert m.gaps_new >= 1 and m.gaps_waived == 1 and m.gaps_waiver_expired == 1
    f_gap = next(f for g in report.groups if g["group_id"] == GROUP_F for f in g["findings"] if f["status"] == "gap")
    assert f_gap["waived"]["expires_on"] == "2026-12-31" and f_gap["delta"] == "persisting"
    assert report.waivers["expired"][0]["response_id"] == "R-2026-002"
    assert_agree(report)
    # the files the command line wrote say the same
    assert json.loads((out / "report.json").read_text())["summary"] == report.summary()
    report = copy.deepcopy(report)
    with History(two_nights["db"]) as hist:
        report.history = hist.trend()   # the command line's HTML charts the history it has just recorded
    for fmt, name in FILENAMES.items():
        assert (out / name).read_bytes().decode("utf-8") == RENDERERS[fmt](report), fmt
    assert m.line() in second.stderr
    assert f"{m.gaps_new} new, {m.gaps_persisting} persisting, {m.gaps_resolved} resolved" in m.line()
    assert f"{m.gaps_waived} waived, {m.gaps_waiver_expired} waiver expired" in m.line()
    # and the history
    with History(two_nights["db"]) as hist:
        runs = hist.trend()["runs"]
    assert [r["as_of"] for r in runs] == [NIGHT1, NIGHT2]
    last = runs[-1]
    assert (last["gaps"], last["gaps_high"], last["gaps_new"], last["gaps_persisting"], last["gaps_resolved"],
            last["gaps_waived"], last["exit_code"]) == (m.gaps, m.gaps_by_severity["high"], m.gaps_new,
                                                          m.gaps_persisting, m.gaps_resolved, m.gaps_waived,
                                                          m.exit_code)
    assert runs[0]["gaps_new"] is None   # first night: nothing to compare with


def test_pseudonymised_nights_leak_no_child_id_and_no_waiver_text(two_nights):
    from test_pseudonymise import all_child_ids

    ids = all_child_ids(two_nights["export"]) | {f"YP-{c}0{i}" for c in "ABEFGKL" for i in (1, 2, 3)}
    for name in FILENAMES.values():
        text = (two_nights["out"] / name).read_text(encoding="utf-8")
        for child in ids:
            assert not re.search(rf"(?<![\w-]){re.escape(child)}(?![\w-])", text), (name, child)
        assert "Referred by phone" not in text and "Police sent apologies" not in text, name
        assert "Quality lead" not in text, name
    assert "withheld" in (two_nights["out"] / "report.txt").read_text()


def test_a_baseline_made_without_the_key_or_with_another_is_refused(two_nights, tmp_path):
    """Was: raw child ids in delta.resolved[].message of a pseudonymised report."""
    export, key = two_nights["export"], two_nights["key"]
    plain = tmp_path / "plain.json"
    run_cli("check", str(export), "--incidents", str(FEED), "--as-of", NIGHT1, "--format", "json",
            "--output", str(plain))
    proc = run_cli("check", str(export), "--as-of", NIGHT2, "--pseudonymise", str(key), "--baseline", str(plain))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"Error: {plain}: the baseline was made without --pseudonymise (it may hold children's "
                           "real ids); compare only reports made with the same key (or start a new baseline: run "
                           "once without --baseline)\n")
    other = tmp_path / "other.key"
    other.write_bytes(b"another-key-of-at-least-16-bytes")
    proc = run_cli("check", str(export), "--as-of", NIGHT2, "--pseudonymise", str(other),
                   "--baseline", str(two_nights["tmp"] / "night1.json"))
    assert proc.returncode == 2 and "the baseline was made with another pseudonymisation key" in proc.stderr
    proc = run_cli("check", str(export), "--as-of", NIGHT2, "--baseline", str(two_nights["tmp"] / "night1.json"))
    assert proc.returncode == 2 and "was made with --pseudonymise; give the same key file" in proc.stderr


def test_html_renders_when_a_group_gap_of_the_baseline_is_resolved(two_nights, tmp_path):
    """Was: UndefinedError in report.html.j2 (exit 2, no files) when a baseline gap of a group was resolved,
    e.g. on a night run without --incidents."""
    out = tmp_path / "out"
    proc = run_cli("check", str(two_nights["export"]), "--as-of", NIGHT2, "--pseudonymise", str(two_nights["key"]),
                   "--baseline", str(two_nights["tmp"] / "night1.json"), "--output-dir", str(out))
    assert proc.returncode == 1, proc.stderr
    html = (out / "report.html").read_text()
    assert GROUP_G in html and "not checked in this run" in html
    assert sorted(p.name for p in out.iterdir()) == sorted(FILENAMES.values())


def test_fail_on_new_is_a_ratchet(two_nights, tmp_path):
    export, key, base = two_nights["export"], two_nights["key"], two_nights["tmp"] / "night1.json"
    proc = run_cli("check", str(export), "--incidents", str(FEED), "--as-of", NIGHT2, "--pseudonymise", str(key),
                   "--baseline", str(base), "--fail-on", "new", "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["summary"]["gaps_new"] > 0 and proc.returncode == 1
    assert doc["summary"]["exit"]["reason"].endswith("new since the baseline (--fail-on new)")
    # against itself nothing is new: exit 0 although gaps persist
    same = tmp_path / "same.json"
    same.write_text(proc.stdout, encoding="utf-8")
    again = run_cli("check", str(export), "--incidents", str(FEED), "--as-of", NIGHT2, "--pseudonymise", str(key),
                    "--baseline", str(same), "--fail-on", "new")
    assert again.returncode == 0, again.stderr
    assert "none unwaived and new since the baseline (--fail-on new)" in again.stdout
    usage = run_cli("check", str(export), "--as-of", NIGHT2, "--fail-on", "new")
    assert usage.returncode == 2 and usage.stderr == "Error: --fail-on new needs --baseline (the previous night's JSON report)\n"


def test_history_command_lists_runs_and_trends(two_nights):
    proc = run_process("history", str(two_nights["db"]))   # the history command as a real process
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("shg-check run history\n")
    assert NIGHT1 in proc.stdout and NIGHT2 in proc.stdout
    assert "Gaps by chapter section per night" in proc.stdout
    assert re.search(r"Time to resolve a gap: \d+ resolved, median [\d.]+ days", proc.stdout)
    doc = json.loads(run_cli("history", str(two_nights["db"]), "--format", "json").stdout)
    assert doc["time_to_resolve"]["resolved"] >= 1 and doc["time_to_resolve"]["median_days"] == 1
    with sqlite3.connect(two_nights["db"]) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        subjects = {s for (s,) in db.execute("SELECT subject FROM gaps")}
    assert not any(s.startswith("YP") for s in subjects)   # response and group ids only


def test_html_shows_the_trend_from_history(two_nights):
    report = copy.deepcopy(two_nights["report"])
    with History(two_nights["db"]) as hist:
        report.history = hist.trend()
    html = RENDERERS["html"](report)
    assert "Gaps night by night" in html and f"{NIGHT1}: " in html and "2 nights." in html


def test_history_schema_is_migrated_from_version_1(tmp_path):
    from checker.history import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("PRAGMA user_version=1")
    with History(path) as hist:
        assert hist.version == SCHEMA_VERSION == 2
        cols = {row[1] for row in hist.db.execute("PRAGMA table_info(runs)")}
    assert "selection" in cols
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(ConfigError, match="written by a newer shg-check"):
        History(path)
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a usable shg-check history database"):
        History(tmp_path / "junk.db")


_WRITER = """
import sys, datetime as dt
sys.path.insert(0, {root!r})
from checker.api import check
from checker.history import History
report = check([{sample!r}], dt.date(2026, 11, 27))
for n in range(15):
    with History(sys.argv[1], timeout=120) as h:
        h.record(report)
"""


def test_two_runs_at_once_do_not_corrupt_the_history(tmp_path):
    db = tmp_path / "h.db"
    script = tmp_path / "w.py"
    script.write_text(_WRITER.format(root=str(ROOT), sample=str(SAMPLE)), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(script), str(db)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 30
        per_run = {n for (n,) in con.execute("SELECT COUNT(*) FROM gaps GROUP BY run_id")}
    assert per_run == {14}   # every run whole: the sample export has 14 gaps


# -- selection ------------------------------------------------------------------------------------------------------


def test_selection_is_applied_before_checking_and_shown_in_every_format():
    report = check([SAMPLE], AS_OF, selection=Selection(status="closed"))
    assert report.responses and all(r.status == "closed" for r in report.responses)
    left = report.selection["left_out"]
    assert left == 10 - len(report.responses) > 0
    words = f"closed responses ({left} other responses left out)"
    for fmt in ("text", "markdown", "html", "csv", "junit"):
        assert words in RENDERERS[fmt](report), fmt
    assert json.loads(RENDERERS["json"](report))["summary"]["selection"] == {"status": "closed", "left_out": left}
    dated = check([SAMPLE], AS_OF, selection=Selection(identified_from=dt.date(2026, 10, 1),
                                                        identified_to=dt.date(2026, 11, 30)))
    assert dated.responses and all("2026-10-01" <= r.identified_on <= "2026-11-30" for r in dated.responses)
    la = check([SAMPLE], AS_OF, selection=Selection(local_authority=("la-e06",)))
    assert la.responses and {r.local_authority for r in la.responses} == {"LA-E06"}


def test_selection_options_on_the_command_line():
    proc = run_cli("check", str(SAMPLE), "--as-of", "2026-11-27", "--status", "open", "--local-authority", "LA-E06",
                   "--identified-from", "2026-01-01", "--format", "json")
    doc = json.loads(proc.stdout)
    assert {r["status"] for r in doc["responses"]} == {"open"}
    assert doc["summary"]["selection"]["local_authority"] == ["LA-E06"]
    bad = run_cli("check", str(SAMPLE), "--identified-to", "2026-13-01")
    assert bad.returncode == 2 and "'2026-13-01' is not a date in the form YYYY-MM-DD" in bad.stderr


# -- a baseline from another ruleset: every format says so ----------------------------------------------------------


def test_a_baseline_from_another_ruleset_is_a_notice_in_every_format(tmp_path):
    base = tmp_path / "b.json"
    doc = json.loads(RENDERERS["json"](sample_report()))
    doc["ruleset"]["digest"] = "f" * 64
    base.write_text(json.dumps(doc), encoding="utf-8")
    report = check([SAMPLE], AS_OF, baseline_file=base)
    for fmt in RENDERERS:
        assert "was made with another ruleset (sha256 ffffffffffff)" in RENDERERS[fmt](report), fmt


# -- text: one value, one line --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Zl", "Zp", "Cf", "L", "P")), max_size=30))
def test_no_value_can_forge_a_line_in_the_text_report(value):
    """Was: newlines and control characters from ids and file names reached the text report (a forged GAP line)."""
    line = one_line(f"  {value}\nGAP [high] forged")
    assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x1b" not in line
    assert len(line.splitlines()) == 1


def test_a_hostile_file_name_and_id_stay_on_their_line(tmp_path):
    from checker.errors import InputError

    report = sample_report()
    report.input_errors = [InputError("exp\nGAP [high] section 4 forged.json", "R-1\r\n  GAP [high] x", "",
                                      "not valid JSON")]
    report.responses[0].response_id = "R-2025-009\n  GAP [high] section 9 (9-P9) forged-rule"
    text = RENDERERS["text"](report)
    assert not any("forged" in ln and ln.lstrip().startswith("GAP") for ln in text.splitlines())
    assert "R-2025-009\\u000a  GAP [high] section 9" in text
    md = RENDERERS["markdown"](report)
    assert not any(ln.lstrip().startswith("GAP") for ln in md.splitlines())


# -- the pseudonymiser: ids only where they stand as ids ------------------------------------------------------------


def test_numeric_child_ids_do_not_rewrite_pointers_counts_or_dates():
    """Was: numeric child ids made the pseudonymiser rewrite evidence pointers."""
    p = Pseudonymiser(KEY, {"1", "2", "10", "2026"})
    assert p.pointer("/young_people/1/id") == "/young_people/1/id"
    assert p.pointer("/meetings/10/attendees/2") == "/meetings/10/attendees/2"
    msg = "Children concerned: 1, 10. Response R-1 includes 2 of the group's 3 children; due by 2026-10-08 (2 days)."
    out = p.text(msg)
    assert out.startswith(f"Children concerned: {p.map['1']}, {p.map['10']}. Response R-1 includes 2 of the")
    assert "due by 2026-10-08 (2 days)." in out
    word = Pseudonymiser(KEY, {"YP-1", "YP-10"})
    assert word.text("Missing: YP-1, YP-10.") == f"Missing: {word.map['YP-1']}, {word.map['YP-10']}."
    assert word.pointer("/young_people/0/id") == "/young_people/0/id"


def test_numeric_child_ids_in_a_whole_run(tmp_path):
    record = {"schema_version": "1.0", "response_id": "R-N", "status": "open", "identified_on": "2026-03-02",
              "young_people": [{"id": "1", "date_of_birth": "2011-01-01"}, {"id": "0", "date_of_birth": "2006-01-01"}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    key = tmp_path / "k"
    key.write_bytes(KEY)
    plain = check([path], AS_OF)
    pseudo = check([path], AS_OF, pseudonymise_key_file=key)
    assert plain.responses and not plain.input_errors
    assert any(e.startswith("/young_people/1") for f in plain.responses[0].findings for e in f.evidence)
    for a, b in zip(plain.responses[0].findings, pseudo.responses[0].findings):
        assert a.evidence == b.evidence, a.rule
