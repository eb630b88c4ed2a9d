"""Reports written in pieces are byte-identical to reports rendered whole (issue 13: bounded memory).

The JSON report is written one response at a time (``iter_json``); ``--output-dir`` renders and writes one
format at a time. Neither may change a byte.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from checker.api import check
from checker.atomic import write_atomic
from checker.cli import main
from checker.reporting import json_report
from checker.reporting.json_report import iter_json, render_json
from helpers import AS_OF, FIXTURES, SAMPLE

INCIDENTS = FIXTURES / "incidents" / "incidents-2026.csv"


@pytest.fixture(scope="module")
def report():
    return check([SAMPLE], AS_OF, incidents=[INCIDENTS])


def test_streamed_json_is_the_rendered_json(report):
    whole = render_json(report).encode("utf-8")
    chunks = list(iter_json(report))
    assert len(chunks) > len(report.responses)  # one piece (at least) per response: never the whole at once
    assert b"".join(chunks) == whole
    assert json.loads(whole)["responses"]


def test_streamed_json_without_responses_or_groups(report):
    responses, groups = report.responses, report.groups
    report.responses, report.groups = [], None
    try:
        assert b"".join(iter_json(report)) == render_json(report).encode("utf-8")
        assert json.loads(render_json(report))["responses"] == []
    finally:
        report.responses, report.groups = responses, groups


def test_streamed_json_when_orjson_cannot_encode(report, monkeypatch):
    """orjson refuses (an integer beyond 64 bits, say): the standard library writes the same bytes."""
    expected = render_json(report)

    def refuse(*args, **kwargs):
        raise TypeError("refused")

    monkeypatch.setattr(json_report._orjson, "dumps", refuse)
    assert render_json(report) == expected
    assert b"".join(iter_json(report)) == expected.encode("utf-8")


def test_write_atomic_takes_chunks(tmp_path):
    write_atomic(tmp_path / "out.txt", iter(["a", b"b", "\u00e9"]))
    assert (tmp_path / "out.txt").read_bytes() == "ab\u00e9".encode("utf-8")


def test_cli_json_file_and_output_dir_match_stdout(tmp_path):
    args = ["check", str(SAMPLE), "--incidents", str(INCIDENTS), "--as-of", AS_OF.isoformat()]
    runner = CliRunner()
    shown = runner.invoke(main, [*args, "--format", "json"])
    assert shown.exit_code == 1, shown.output
    written = runner.invoke(main, [*args, "--format", "json", "--output", str(tmp_path / "r.json"),
                                   "--output-dir", str(tmp_path / "all")])
    assert written.exit_code == 1, written.output
    stdout_json = shown.stdout if hasattr(shown, "stdout") else shown.output
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == stdout_json
    assert (tmp_path / "all" / "report.json").read_text(encoding="utf-8") == stdout_json
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(
        ["report.json", "report.html", "report.csv", "report.md", "report.junit.xml", "report.txt"])


# -- every format streams, and the stream is the rendered text ------------------------------------------------------

import copy  # noqa: E402
import re  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from checker.reporting import FILENAMES, RENDERERS, STREAMERS  # noqa: E402
from checker.reporting import csv_report, html_report, junit_report  # noqa: E402
from checker.reporting.rows import SEVERITY_RANK, gap_rows  # noqa: E402
from checker.policy import section_sort_key  # noqa: E402
from checker.summary import FAIL_ON  # noqa: E402
from helpers import examples  # noqa: E402

import junit_reference  # noqa: E402
from test_summary_agreement import build, scenarios  # noqa: E402


def _joined(chunks) -> bytes:
    return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in chunks)


@pytest.mark.parametrize("fmt", sorted(STREAMERS))
def test_every_format_streams_the_rendered_text(report, fmt, monkeypatch):
    monkeypatch.setattr(csv_report, "CHUNK_ROWS", 2)   # small chunks, so the sample is written in many
    monkeypatch.setattr(html_report, "CHUNK", 1000)
    report.csv_rows = "all"
    try:
        whole = RENDERERS[fmt](report).encode("utf-8")
        chunks = list(STREAMERS[fmt](report))
    finally:
        report.csv_rows = "gaps"
    assert _joined(chunks) == whole
    assert len(chunks) > 3, fmt   # never the whole report in one piece
    assert max(len(c) for c in chunks) < len(whole) / 2, fmt


@pytest.mark.parametrize("fmt", sorted(STREAMERS))
def test_every_format_streams_without_responses(report, fmt):
    empty = copy.copy(report)
    empty.responses, empty.groups = [], None
    assert _joined(STREAMERS[fmt](empty)) == RENDERERS[fmt](empty).encode("utf-8")


def test_cli_output_of_every_format_is_the_rendered_text(tmp_path):
    """--output FILE (streamed) and --output-dir (streamed, one format at a time) write what --format prints."""
    args = ["check", str(SAMPLE), "--incidents", str(INCIDENTS), "--as-of", AS_OF.isoformat()]
    runner = CliRunner()
    assert runner.invoke(main, [*args, "--output-dir", str(tmp_path / "all")]).exit_code == 1
    for fmt, name in FILENAMES.items():
        shown = runner.invoke(main, [*args, "--format", fmt])
        written = runner.invoke(main, [*args, "--format", fmt, "--output", str(tmp_path / name)])
        assert shown.exit_code == written.exit_code == 1, (fmt, written.output)
        printed = shown.stdout_bytes if hasattr(shown, "stdout_bytes") else shown.output.encode("utf-8")
        assert (tmp_path / name).read_bytes() == printed, fmt
        assert (tmp_path / "all" / name).read_bytes() == printed, fmt


# -- JUnit: the streamed writer writes ElementTree's bytes ----------------------------------------------------------


def _junit_agrees(report) -> None:
    assert junit_report.render_junit(report) == junit_reference.render_junit(report)


@settings(max_examples=examples(10, 30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios(), fail_on=st.sampled_from(FAIL_ON))
def test_junit_is_elementtrees_output_for_generated_reports(base_reports, sc, fail_on):
    report = build(base_reports, sc)
    report.fail_on = fail_on
    _junit_agrees(report)


@pytest.fixture(scope="module")
def base_reports():
    return {"plain": check([SAMPLE], AS_OF), "groups": check([SAMPLE], AS_OF, incidents=[INCIDENTS])}


def test_junit_is_elementtrees_output_with_groups_not_checked_input_errors_and_hostile_text(tmp_path):
    from checker.api import detect

    bad = tmp_path / "bad.json"
    bad.write_text('{"response_id": "R-<&>\\"x\\u0001", "schema_version": "1.0"}', encoding="utf-8")
    report = check([SAMPLE, bad], AS_OF, incidents=[INCIDENTS])
    assert report.input_errors
    f = next(f for r in report.responses for f in r.findings if f.status == "gap")
    f.message = 'a <b> & "c"\r\n\td \x01 \ud7ff \U0001f600'
    f.title = "t\n<&>"
    f.missing = ["x\"y", "\x0b"]
    report.responses[0].response_id = "groups"   # a response whose id is the groups suite's name
    _junit_agrees(report)
    report.groups = [dict(g, escalation="not_checked", findings=[]) for g in detect([INCIDENTS], AS_OF).to_dict()["groups"]]
    assert report.summary_model().groups_not_checked
    report.responses = report.responses + [copy.deepcopy(report.responses[1])]   # an id twice, apart
    _junit_agrees(report)


@settings(max_examples=examples(100, 300), deadline=None)
@given(st.text())
def test_junit_escapes_as_elementtree_does(text):
    text = junit_report._x(text)
    attr = ET.tostring(ET.Element("e", {"a": text}), encoding="unicode")
    assert attr == f'<e a="{junit_report._attr(text)}" />'
    element = ET.Element("e")
    element.text = text
    expected = ET.tostring(element, encoding="unicode")
    assert expected == (f"<e>{junit_report._cdata(text)}</e>" if text else "<e />")


# -- Markdown: gaps by response and by section, as they were made from every gap sorted -----------------------------


@settings(max_examples=examples(10, 30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_markdown_gap_sections_are_in_gap_rows_order(base_reports, sc):
    from checker.reporting.markdown_report import _gap_line
    from checker.reporting.rows import gaps_by_section_severity

    report = build(base_reports, sc)
    rows = gap_rows(report)
    by_response: dict[str, list] = {}
    table: dict[str, dict] = {}
    for row in rows:
        by_response.setdefault(row["response_id"], []).append(row)
        counts = table.setdefault(row["section"] or "-", {"high": 0, "medium": 0, "low": 0, "waived": 0})
        if row["severity"] in counts:
            counts[row["severity"]] += 1
        counts["waived"] += bool(row["waived"])
    assert gaps_by_section_severity(report) == sorted(table.items(), key=lambda kv: section_sort_key(kv[0]))
    md = RENDERERS["markdown"](report)
    for rid, lines in by_response.items():
        assert "\n".join(_gap_line(r) for r in lines) in md
    assert [r["rule"] for r in rows] == [r["rule"] for r in sorted(
        rows, key=lambda r: (SEVERITY_RANK.get(r["severity"], 9), r["response_id"], r["rule"]))]


# -- HTML: every finding is traceable ---------------------------------------------------------------------------------


def test_html_traces_every_finding(report):
    """Each finding of each response is linked from its response's detail: in full (rule, clause, message,
    pointers) or, met and not applicable with nothing of their own, as a link to its rule's message."""
    from markupsafe import escape as _escape

    def escape(text: str) -> str:   # as the page escapes (Jinja2's autoescape)
        return str(_escape(text))

    html = RENDERERS["html"](report)
    rules = html[html.index('<section id="rules"'):html.index('<section id="clauses"')]
    for r in report.responses:
        start = html.index(f'<span class="id">{escape(r.response_id)}</span> <span class="note">(')
        article = html[start:html.index("</article>", start)]
        links = re.findall(r'href="#(rule-\d+|r\d+-\d+)"', article)
        assert len(links) == len(r.findings), r.response_id
        for f in r.findings:
            if html_report._compact(f):
                n = re.search(rf'id="(rule-\d+)"><td class="id">R(\d+) {re.escape(f.rule)}</td>', rules).group(2)
                anchors = [a for a in links if a.startswith(f"r{n}-")]
                assert any(re.search(rf'id="{a}"><span class="badge s-{f.status}">[^<]*</span> '
                                     rf'{re.escape(escape(f.message))}</div>', rules) for a in anchors), f.rule
            else:
                assert escape(html_report.plain_message(f.message, f.missing + f.unknown + f.pending)) in article
                for e in html_report.evidence_view(list(f.evidence)):
                    assert f'<span title="{escape(e["pointer"])}">{escape(e["words"])}</span>' in article
    for f in (f for r in report.responses for f in r.findings):
        assert f'id="clause-{re.sub(r"[^A-Za-z0-9.-]", "-", f.clause)}"' in html, f.clause


def test_html_shows_pointers_differing_in_one_position_once():
    view = html_report.evidence_view(["/young_people/0/safety_plan", "/young_people/1/safety_plan",
                                      "/young_people/2/safety_plan", "/young_people/5/safety_plan", "/meetings",
                                      "/meetings/0/attendees/9", "/young_people/07/x"])
    assert view == [
        {"pointer": "/young_people/{0-2,5}/safety_plan", "words": "young people #1–#3, #6 › safety plan"},
        {"pointer": "/meetings", "words": "meetings"},
        {"pointer": "/meetings/0/attendees/9", "words": "meetings #1 › attendees #10"},
        {"pointer": "/young_people/07/x", "words": "young people #8 › x"},
    ]
