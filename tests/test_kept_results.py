"""Bounded memory (issue 13): beyond ``SPOOL_AFTER`` responses a report keeps its results in an anonymous
temporary file. The reports must not depend on it: every format, with waivers, a baseline and
pseudonymisation (the steps that change findings after the check), is byte-identical spooled or not."""
from __future__ import annotations

import json
import os
import sys

import pytest

from checker import kept
from checker.api import ResponseResult, check
from checker.findings import Finding
from checker.kept import KeptResults, editing
from checker.reporting import RENDERERS
from helpers import AS_OF, FIXTURES, ROOT, SAMPLE

sys.path.insert(0, str(ROOT / "scripts"))
import bench_data  # noqa: E402

INCIDENTS = FIXTURES / "incidents" / "incidents-2026.csv"
WAIVERS = """\
waivers:
  - response_id: R-2026-002
    rule: scoping-required-roles
    reason: Police attended the reconvened meeting two days later
    approved_by: Quality lead
    expires_on: '2026-12-31'
"""


def _result(n: int) -> ResponseResult:
    findings = [Finding(f"rule-{k}", "gap" if k % 2 else "met", "high", "4", f"4-P{k}", "Title", f"Message {n}",
                        missing=[f"YP-{n}"] if k % 2 else [], evidence=[f"/meetings/{k}"],
                        waived={"reason": "r", "approved_by": "a", "expires_on": "2026-12-31"} if k == 3 else None,
                        judged_on="2026-01-05")
                for k in range(4)]
    return ResponseResult(f"R-{n:03d}", "open", "2026-01-05", "export.json", findings, "LA-1",
                          [{"event": "identified", "date": "2026-01-05"}])


def test_a_spooled_sequence_reads_back_what_was_kept_as_often_as_asked():
    originals = [_result(n) for n in (3, 1, 2)]
    results = KeptResults(originals, spool_after=1)
    assert results.spooled and len(results) == 3 and results
    as_dicts = [r.to_dict() for r in originals]
    assert [r.to_dict() for r in results] == as_dicts
    assert [r.to_dict() for r in results] == as_dicts  # a second pass reads the file again
    assert results[1].to_dict() == as_dicts[1] and [r.response_id for r in results[1:]] == ["R-001", "R-002"]
    results.sort(key=lambda r: r.response_id)
    assert [r.response_id for r in results] == ["R-001", "R-002", "R-003"]
    results.append(_result(0))
    assert results[-1].response_id == "R-000" and len(results) == 4


def test_changes_are_kept_through_editing_only():
    results = KeptResults([_result(n) for n in range(3)], spool_after=0)
    for r in results:
        r.findings[0].delta = "lost"  # plain iteration reads a copy
    assert {r.findings[0].delta for r in results} == {None}
    for r in editing(results):
        r.findings[0].delta = "new"
        if r.response_id == "R-001":
            break  # leaving the loop early still keeps the change made so far
    assert [r.findings[0].delta for r in results] == ["new", "new", None]
    plain = [_result(0)]
    for r in editing(plain):
        r.findings[0].delta = "new"
    assert plain[0].findings[0].delta == "new"


def test_below_the_bound_the_objects_are_kept_as_they_are():
    first = _result(1)
    results = KeptResults([first], spool_after=5)
    assert not results.spooled and results[0] is first


def test_the_spool_is_an_anonymous_file_that_only_this_process_can_see(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    results = KeptResults([_result(n) for n in range(3)], spool_after=0)
    assert results.spooled and os.listdir(tmp_path) == []  # unlinked at once: gone whatever ends the process
    results.close()


@pytest.mark.slow
def test_every_format_is_the_same_spooled_or_not(tmp_path, monkeypatch):
    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    first = check([SAMPLE], AS_OF, incidents=[INCIDENTS], pseudonymise_key_file=key)
    doc = json.loads(RENDERERS["json"](first))
    doc["responses"][0]["findings"] = [f for f in doc["responses"][0]["findings"] if f["status"] != "gap"]
    gaps = [r for r in doc["responses"] if any(f["status"] == "gap" for f in r["findings"])]
    gaps[-1]["findings"] = [{**f, "status": "met"} if f["status"] == "gap" else f for f in gaps[-1]["findings"]]
    baseline.write_text(json.dumps(doc), encoding="utf-8")

    def night():
        report = check([SAMPLE], AS_OF, incidents=[INCIDENTS], pseudonymise_key_file=key, waivers_file=waivers,
                       baseline_file=baseline)
        return report, {fmt: render(report) for fmt, render in RENDERERS.items()}

    in_memory, expected = night()
    assert isinstance(in_memory.responses, list)  # below the bound, a list as ever
    monkeypatch.setattr(kept, "SPOOL_AFTER", 0)
    spooled, got = night()
    assert spooled.responses.spooled
    findings = [f for r in spooled.responses for f in r.findings]
    assert any(f.waived for f in findings) and {"new", "persisting"} <= {f.delta for f in findings}
    assert got == expected


def test_no_writer_holds_the_spooled_results(monkeypatch, tmp_path):
    """Each format streams from the spool holding a few results at a time, never all of them: counted, at every
    read from the spool, as the results alive in the process (a writer that kept each result it saw, as the
    JUnit writer once kept each suite's, holds them all by its last read)."""
    import gc

    from checker.reporting import STREAMERS

    monkeypatch.setattr(kept, "SPOOL_AFTER", 0)
    export = tmp_path / "heavy.jsonl"
    export.write_text("".join(json.dumps(bench_data.heavy_response(n, seed=3)) + "\n" for n in range(16)),
                      encoding="utf-8")
    report = check([SAMPLE, export], AS_OF, incidents=[INCIDENTS])
    with_gaps = sum(1 for r in report.responses if any(f.status == "gap" for f in r.findings))
    assert report.responses.spooled and len(report.responses) == 26 and with_gaps >= 15
    def alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is ResponseResult)

    before = alive()  # results other tests in this process still hold (a worker of the parallel run)
    most = {}
    load = KeptResults._load

    def counted(self, entry):
        result = load(self, entry)
        alive_now = alive() - before
        most[fmt] = max(most.get(fmt, 0), alive_now)
        return result

    monkeypatch.setattr(KeptResults, "_load", counted)
    for fmt, stream in STREAMERS.items():
        for _ in stream(report):
            pass
    assert set(most) == set(STREAMERS) and max(most.values()) <= 5, most  # a few, however many there are
