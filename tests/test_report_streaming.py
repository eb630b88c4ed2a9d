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
    report.responses, groups = [], report.groups
    report.groups = None
    try:
        assert b"".join(iter_json(report)) == render_json(report).encode("utf-8")
        assert json.loads(render_json(report))["responses"] == []
    finally:
        report.groups = groups


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
