"""--pseudonymise: every child's id replaced by a keyed hash in every output, stably."""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest

from checker.api import check
from checker.errors import ConfigError
from checker.pseudonymise import Pseudonymiser, collect_child_ids, load_key, pseudonym, pseudonymise_report
from checker.reporting import FILENAMES, RENDERERS

from nightly_helpers import AS_OF, AS_OF_TEXT, SAMPLE, copy_sample, gaps_of, run_cli, sample_report

KEY = b"0123456789abcdef-partnership-key"


def export_with_child_gap(tmp_path):
    """The sample export plus a response whose gap names a child (YP-A03's previous school was absent)."""
    export = copy_sample(tmp_path)
    record = json.loads((SAMPLE / "R-2026-001-complete.json").read_text(encoding="utf-8"))
    record["response_id"] = "R-2026-050"
    for meeting in record["meetings"]:
        if meeting["type"] == "scoping":
            meeting["attendees"] = [a for a in meeting["attendees"] if a.get("setting_id") != "URN-100001"]
    (export / "R-2026-050.json").write_text(json.dumps(record), encoding="utf-8")
    return export


def all_child_ids(export) -> set[str]:
    records = []
    for path in export.iterdir():
        if path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            records += doc if isinstance(doc, list) else [doc]
        else:
            records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return collect_child_ids(records)


def test_pseudonym_is_hmac_sha256_truncated():
    expected = "YP#" + hmac.new(KEY, b"YP-A03", hashlib.sha256).hexdigest()[:16]
    assert pseudonym(KEY, "YP-A03") == expected
    assert re.fullmatch(r"YP#[0-9a-f]{16}", expected)
    assert pseudonym(KEY + b"x", "YP-A03") != expected


def test_without_the_option_the_child_id_is_in_the_report(tmp_path):
    report = check([export_with_child_gap(tmp_path)], AS_OF)
    gap = gaps_of(json.loads(RENDERERS["json"](report)))[("R-2026-050", "scoping-previous-setting")]
    assert gap["missing"] == ["YP-A03"] and "Children concerned: YP-A03." in gap["message"]


def test_pseudonymised_outputs_contain_no_original_child_id(tmp_path):
    export = export_with_child_gap(tmp_path)
    ids = all_child_ids(export)
    assert {"YP-A01", "YP-A03", "YP-B01", "YP-C01", "YP-D01"} <= ids
    key_file = tmp_path / "partnership.key"
    key_file.write_bytes(KEY)
    out = tmp_path / "out"
    proc = run_cli("check", str(export), "--as-of", AS_OF_TEXT, "--output-dir", str(out), "--pseudonymise",
                   str(key_file))
    assert proc.returncode == 1, proc.stderr
    hashed = pseudonym(KEY, "YP-A03")
    for name in FILENAMES.values():
        text = (out / name).read_text(encoding="utf-8")
        leaked = sorted(i for i in ids if i in text)
        assert leaked == [], (name, leaked)
        assert hashed in text, name
    gap = gaps_of(json.loads((out / "report.json").read_text()))[("R-2026-050", "scoping-previous-setting")]
    assert gap["missing"] == [hashed] and f"Children concerned: {hashed}." in gap["message"]
    # stable across runs with the same key
    again = run_cli("check", str(export), "--as-of", AS_OF_TEXT, "--format", "json", "--pseudonymise", str(key_file))
    assert again.stdout == (out / "report.json").read_text(encoding="utf-8")


def test_group_members_and_group_findings_are_pseudonymised():
    report = sample_report()
    report.groups = [{"members": ["YP-Z1", "YP-Z10"], "basis": {"setting": "URN-1"}, "first_date": "2026-11-01",
                      "escalated": False, "findings": [{"rule": "group-escalated", "missing": ["YP-Z10"], "severity": "high",
                                                        "policy": {"section": "3", "clause": "3-P1"},
                                                        "message": "YP-Z1 and YP-Z10 share a setting."}]}]
    pseudonymise_report(report, KEY, set())
    z1, z10 = pseudonym(KEY, "YP-Z1"), pseudonym(KEY, "YP-Z10")
    group = report.groups[0]
    assert group["members"] == [z1, z10]
    assert group["findings"][0]["missing"] == [z10]
    assert group["findings"][0]["message"] == f"{z1} and {z10} share a setting."
    for fmt, render in RENDERERS.items():
        text = render(report)
        assert "YP-Z1" not in text, fmt


def test_ids_inside_text_are_replaced_whole():
    p = Pseudonymiser(KEY, ["YP-1", "YP-10", "A"])
    assert p.text("Missing: YP-1, YP-10, YP-100, XYP-1, A, AB.") == (
        f"Missing: {pseudonym(KEY, 'YP-1')}, {pseudonym(KEY, 'YP-10')}, YP-100, XYP-1, {pseudonym(KEY, 'A')}, AB.")
    assert p.deep({"k": ["YP-1", 3, None]}) == {"k": [pseudonym(KEY, "YP-1"), 3, None]}
    assert Pseudonymiser(KEY, []).text("YP-1") == "YP-1"


def test_collect_child_ids_reads_every_place_a_child_is_named():
    records = [{"young_people": [{"id": "YP-1", "connections": [{"to": "YP-9"}, "junk"]}, "junk"],
                "information_sharing": {"school_meetings": [{"young_person": "YP-5"}, 3]}},
               {"young_people": [{"id": ""}]}]
    assert collect_child_ids(records) == {"YP-1", "YP-9", "YP-5"}


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the pseudonymisation key file"),
    (b"short", "the pseudonymisation key file must hold at least 16 bytes"),
])
def test_bad_key_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        load_key(path)
    proc = run_cli("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--pseudonymise", str(path))
    assert proc.returncode == 2 and message in proc.stderr and proc.stdout == ""
