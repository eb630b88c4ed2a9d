"""No name or free text from a record reaches any output, in any format."""
from __future__ import annotations

import json

from click.testing import CliRunner

from checker.cli import main
from helpers import FIXTURES, SAMPLE

NAME, FREE_TEXT = "Zebedee Quux", "She told her tutor about the group chat"


def test_names_and_free_text_never_reach_a_report(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    record = json.loads((SAMPLE / "R-2026-001-complete.json").read_text())
    record["young_people"][0]["name"] = NAME            # extra keys are allowed on a child
    record["closure"]["lessons_actions"][0]["action"] = FREE_TEXT
    record["notes"] = f"{NAME}: {FREE_TEXT}"
    (export / "r.json").write_text(json.dumps(record))
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["check", str(export), "--as-of", "2026-11-27", "--output-dir", str(out),
                                       "--incidents", str(FIXTURES / "incidents" / "incidents-2026.csv")])
    assert result.exit_code == 1, result.output
    files = sorted(out.iterdir())
    assert {f.name for f in files} == {"report.json", "report.html", "report.csv", "report.md",
                                       "report.junit.xml", "report.txt"}
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert NAME not in text and "Zebedee" not in text, f.name
        assert FREE_TEXT not in text and "group chat" not in text, f.name
    assert "YP-A01" in (out / "report.json").read_text()  # children appear by pseudonymous id only
