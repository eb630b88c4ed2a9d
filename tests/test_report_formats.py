"""CSV, Markdown, JUnit and HTML reports: content, escaping, spreadsheet safety, byte-identical reruns."""
from __future__ import annotations

import csv
import re
import io
import xml.etree.ElementTree as ET

import pytest

from checker.api import check
from checker.findings import Finding
from checker.policy import Chapter, load_chapter, section_sort_key
from checker.reporting import FILENAMES, RENDERERS
from checker.reporting.csv_report import COLUMNS, neutralise, render_csv
from checker.reporting.html_report import render_html
from checker.reporting.junit_report import render_junit
from checker.reporting.markdown_report import esc, render_markdown

from nightly_helpers import AS_OF, AS_OF_TEXT, SAMPLE, SAMPLE_GAPS, run_cli, sample_records
from nightly_helpers import sample_report as fresh_sample_report


@pytest.fixture(scope="module")
def sample_report():
    return fresh_sample_report()


def hostile_report(report):
    """The sample report with one gap whose text looks like a formula and like markup."""
    result = next(r for r in report.responses if r.response_id == "R-2026-002")
    f = next(f for f in result.findings if f.status == "gap")
    f.message = '=HYPERLINK("http://x","y") <script>alert(1)</script> & "quoted" | pipe'
    f.missing = ["-1+2", "@SUM(A1)"]
    return report


# -- CSV ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+44 1234", "'+44 1234"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""), ("a=b", "a=b"), ("/meetings/0", "/meetings/0"),
])
def test_neutralise_formula_like_cells(value, expected):
    assert neutralise(value) == expected


def _csv(text: str) -> list[dict]:
    assert text.startswith("\ufeff")   # a byte-order mark, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_gaps_only_by_default_every_finding_on_request(sample_report):
    rows = _csv(render_csv(sample_report))
    assert tuple(rows[0].keys()) == COLUMNS
    assert len(rows) == len(SAMPLE_GAPS) == 14
    gap = next(r for r in rows if (r["response_id"], r["rule"]) == ("R-2026-002", "scoping-required-roles"))
    assert gap["status"] == "gap" and gap["severity"] == "high" and gap["section"] == "4" and gap["clause"] == "4-P2"
    assert (gap["kind"], gap["response_status"], gap["identified_on"]) == ("response", "open", "2026-10-05")
    assert gap["clause_text"] == "Required attendees at the meeting:"
    assert gap["missing"] == "cic_specialist_nurse;police"
    assert gap["evidence"] == "/meetings/0/attendees"
    assert (gap["waived"], gap["waiver_expired"], gap["delta"]) == ("no", "no", "")
    assert {(r["response_id"], r["rule"]) for r in rows if r["status"] == "gap"} == SAMPLE_GAPS
    sample_report.csv_rows = "all"
    every = _csv(render_csv(sample_report))
    assert len(every) == sum(len(r.findings) for r in sample_report.responses) == \
        len(sample_report.rulebook.rules) * len(sample_records()) == 48 * 10


def test_csv_neutralises_formula_like_cells_in_a_report():
    report = hostile_report(fresh_sample_report())
    report.csv_rows = "all"
    rows = _csv(render_csv(report))
    gap = next(r for r in rows if r["response_id"] == "R-2026-002" and r["status"] == "gap")
    assert gap["message"].startswith("'=HYPERLINK(")
    assert gap["missing"] == "'-1+2;@SUM(A1)"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


# -- Markdown ----------------------------------------------------------------------------------------------------


def test_markdown_overview(sample_report):
    md = render_markdown(sample_report)
    assert md.startswith(f"# Self-harm groups: compliance report as of {AS_OF_TEXT}\n")
    gaps = [f for r in sample_report.responses for f in r.findings if f.status == "gap"]
    counts = {s: sum(f.severity == s for f in gaps) for s in ("high", "medium", "low")}
    assert (f"| Gaps | {len(gaps)} (high {counts['high']}, medium {counts['medium']}, low {counts['low']}): "
            == "| Gaps | 14 (high 8, medium 5, low 1): ")
    assert "| Gaps | 14 (high 8, medium 5, low 1): 14 in responses, 0 in possible groups |" in md
    assert "| 3 Response | 2 | 0 | 0 | 0 |" in md
    assert "| 4 Multi-Agency Response Group – Scoping Meeting | 1 | 0 | 0 | 0 |" in md
    assert "### R-2026-002\n\n- **high** `scoping-required-roles` (section 4, clause 4-P2): The scoping meeting " \
           "lacked required agencies." in md
    assert "### R-2026-001" not in md   # no gaps, not listed
    assert "| scoping_meeting_working_days | 5 working days | local default |" in md


def test_markdown_escapes_markup():
    md = render_markdown(hostile_report(fresh_sample_report()))
    assert "<script>" not in md
    assert r'\<script\>alert(1)\</script\> & "quoted" \| pipe' in md
    assert esc("a | b\nc") == r"a \| b c"


# -- JUnit -------------------------------------------------------------------------------------------------------


def test_junit_testcase_per_response_and_rule(sample_report):
    root = ET.fromstring(render_junit(sample_report).encode("utf-8"))
    assert root.tag == "testsuites"
    statuses = [f.status for r in sample_report.responses for f in r.findings]
    # advisory findings are advice: they pass, with the advice as output; never failures
    skipped = statuses.count("pending") + statuses.count("insufficient_data")
    expected = (len(statuses), statuses.count("gap"), skipped, 0)
    assert expected == (480, 14, 14, 0) and statuses.count("advisory") == 1
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == \
        tuple(str(n) for n in expected)
    suites = {s.get("name"): s for s in root.findall("testsuite") if s.get("name") != "shg-check summary"}
    assert sorted(suites) == sorted(r["response_id"] for r in sample_records()) == [
        "R-2025-009", "R-2026-001", "R-2026-002", "R-2026-003", "R-2026-004", "R-2026-005", "R-2026-006",
        "R-2026-007", "R-2026-008", "R-2026-009"]
    failures = {(c.get("classname"), c.get("name")) for s in suites.values() for c in s.findall("testcase")
                if c.find("failure") is not None}
    assert failures == {(f"shg-check.{rid}", rule) for rid, rule in SAMPLE_GAPS}
    case = suites["R-2026-002"].find("testcase[@name='scoping-required-roles']")
    failure = case.find("failure")
    assert failure.get("type") == "gap/high"
    assert "Missing: cic_specialist_nurse, police" in failure.text
    for rid, n in (("R-2026-002", 8), ("R-2026-004", 6)):
        result = next(r for r in sample_report.responses if r.response_id == rid)
        pending_rules = sorted(f.rule for f in result.findings if f.status == "pending")
        pending = [c for c in suites[rid].findall("testcase") if c.find("skipped") is not None]
        assert sorted(c.get("name") for c in pending) == pending_rules and len(pending) == n
        assert all(c.find("skipped").get("message").startswith("pending: Not yet due") for c in pending)
    assert "scoping-meeting-held" in {c.get("name") for c in suites["R-2026-004"].findall("testcase")
                                      if c.find("skipped") is not None}


def test_junit_is_valid_xml_with_markup_and_control_characters():
    report = hostile_report(fresh_sample_report())
    next(r for r in report.responses if r.response_id == "R-2026-002").findings[0].message += "\x01\x1b"
    text = render_junit(report)
    root = ET.fromstring(text.encode("utf-8"))
    failure = root.find("testsuite[@name='R-2026-002']/testcase[@name='scoping-required-roles']/failure")
    assert failure.get("message").startswith('=HYPERLINK("http://x","y") <script>alert(1)</script> & "quoted"')
    assert "&lt;script&gt;" in text and "<script>" not in text


def test_junit_lists_input_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"response_id": "R-X", "status": "open"}', encoding="utf-8")
    root = ET.fromstring(render_junit(check([bad], AS_OF)).encode("utf-8"))
    suite = root.find("testsuite[@name='input-errors']")
    assert suite.get("errors") == root.get("errors") == "2"
    assert [e.get("message") for e in suite.iter("error")] == ['required property "identified_on" is missing',
                                                               'required property "young_people" is missing']


# -- HTML (structure; the browser test is in test_html_browser.py) ------------------------------------------------


def test_html_is_self_contained_and_escaped():
    report = hostile_report(fresh_sample_report())
    html = render_html(report)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for attr in ("src=", "@import", "url("):
        assert attr not in html
    assert re.findall(r'href="([^#][^"]*)"', html) == []   # links only within the page
    assert "http://x" in html   # only as escaped text of the message, never a link
    # the chart and one timeline per response
    assert html.count("<svg") == 1 + len(report.responses) == 1 + len(sample_records()) == 1 + 10
    for r in report.responses:
        assert html.count(f'aria-label="Timeline of {r.response_id}"') == 1, r.response_id


def test_html_quotes_the_clause_each_gap_rests_on_once(sample_report):
    html = render_html(sample_report)
    chapter = load_chapter()
    clause = chapter.clause_text("3-P2")
    assert clause.startswith("Agency requests for a Multi-Agency Response Group (Scoping) meeting")
    assert f'id="clause-3-P2"><span class="clause-id">3-P2</span> &ldquo;{clause}&rdquo;' in html
    assert html.count(clause) == 1   # clause text once, findings link to it
    assert '<a href="#clause-3-P2">clause 3-P2</a>' in html
    # a list clause: the bullets naming the missing agencies are quoted, not only "Required attendees at the meeting:"
    r2 = html[html.index('<span class="id">R-2026-002</span>'):]
    r2 = r2[:r2.index("</article>")]
    assert ('<a href="#clause-4-P2">clause 4-P2</a>, <a href="#clause-4-P2-B4">clause 4-P2-B4</a>, '
            '<a href="#clause-4-P2-B8">clause 4-P2-B8</a>') in r2
    assert chapter.clause_text("4-P2-B4") == "Police representative;"
    assert "&ldquo;Police representative;&rdquo;" in html
    # plain words: no raw codes in brackets, no JSON pointers shown as text, no "gap(s)"
    assert "Missing: Children in Care Specialist Nurse, Police representative." in r2
    assert "(cic_specialist_nurse)" not in html and "gap(s)" not in html
    assert 'Where in the record: <span title="/meetings/0/attendees">meetings #1 › attendees</span>' in r2
    assert "Compliance by chapter section" in html and "4 Multi-Agency Response Group – Scoping Meeting" in html
    assert "<strong>2026-03-20</strong> Scoping meeting <span class=\"day\">(day 18)</span>" in html
    assert "Possible groups" not in html   # groups not asked for


def test_html_shows_unescalated_groups_first(sample_report):
    sample_report.groups = [
        {"members": ["YP-Z1", "YP-Z2", "YP-Z3"], "basis": "same_setting", "first_date": "2026-11-01",
         "last_date": "2026-11-10", "escalated": False,
         "findings": [{"rule": "group-escalated", "status": "gap", "severity": "high",
                       "policy": {"section": "3", "clause": "3-P1"}, "message": "Nobody asked for a scoping meeting."}]},
        {"members": ["YP-A01", "YP-A02"], "basis": "connections", "first_date": "2026-03-01", "escalated": True},
    ]
    try:
        html = render_html(sample_report)
    finally:
        sample_report.groups = None
    assert html.index("Possible groups needing action") < html.index("Gaps in responses, by severity")
    assert "YP-Z1, YP-Z2, YP-Z3" in html and "Nobody asked for a scoping meeting." in html
    assert "YP-A01, YP-A02" not in html
    assert "Other possible groups found: " in html


def test_html_without_policy_file_shows_clause_ids(sample_report, monkeypatch, tmp_path):
    monkeypatch.setenv("SHG_CHECK_POLICY", str(tmp_path / "missing.yaml"))
    html = render_html(sample_report)
    assert '<span class="clause-id">3-P2</span> <span class="note">(clause text not available)</span>' in html
    assert load_chapter(tmp_path / "missing.yaml") == Chapter()
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    assert load_chapter(tmp_path / "list.yaml") == Chapter()


def test_section_sort_key():
    assert sorted(["7", "4.2", "4", "4.1", "10", "3"], key=section_sort_key) == ["3", "4", "4.1", "4.2", "7", "10"]


# -- every format, byte-identical ------------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert (len(sample_records()), len(SAMPLE_GAPS)) == (10, 14)
    for out in (first, second):
        proc = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--output-dir", str(out))
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout == ""
        assert proc.stderr == (f"wrote {out}/report.{{json,html,csv,md,junit.xml,txt}}: 10 responses; 14 gaps "
                               "(high 8, medium 5, low 1); 1 advisory; 0 input errors. Exit 1: 14 unwaived gaps "
                               "of any severity (--fail-on low)\n")
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(FILENAMES.values())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_renders_identically_twice(fmt):
    assert RENDERERS[fmt](check([SAMPLE], AS_OF)) == RENDERERS[fmt](check([SAMPLE], AS_OF))


def test_findings_carry_optional_fields_only_when_set():
    f = Finding("r", "gap", "high", "4", "4-P1", "t", "m")
    assert set(f.to_dict()) == {"rule", "status", "severity", "policy", "title", "message", "missing", "evidence"}
    f.waived, f.delta = {"reason": "x", "approved_by": "y", "expires_on": "2026-12-31"}, "new"
    assert f.to_dict()["waived"]["reason"] == "x" and f.to_dict()["delta"] == "new"
