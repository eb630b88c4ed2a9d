"""Streaming and --jobs: the same reports from one process and from several, and a worker crash loses
only the record it was checking."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pytest

from checker import parallel
from checker.api import check
from checker.groups import find_groups
from checker.parallel import CRASH_MESSAGE, escalation_view
from checker.reporting import RENDERERS
from checker.validation import load_responses
from helpers import AS_OF, FIXTURES, ROOT, RULES, SAMPLE, rulebook
from nightly_helpers import run_cli, run_process

sys.path.insert(0, str(ROOT / "scripts"))
import bench_data  # noqa: E402

INCIDENTS = FIXTURES / "incidents" / "incidents-2026.csv"


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A folder: the sample export, 12 heavy generated responses in JSON Lines with a broken line, a
    duplicate id and an invalid record among them."""
    folder = tmp_path_factory.mktemp("export")
    for path in SAMPLE.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    lines = [json.dumps(bench_data.heavy_response(n, seed=7)) for n in range(12)]
    bad = bench_data.heavy_response(99, seed=7)
    bad["identified_on"] = "2026-02-30"
    lines[5:5] = ['{"response_id": "R-BROKEN", ', lines[3], json.dumps(bad)]
    (folder / "heavy.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _all_formats(report) -> dict[str, str]:
    return {fmt: render(report) for fmt, render in RENDERERS.items()}


@pytest.mark.slow
def test_jobs_1_and_jobs_2_give_byte_identical_reports(export, tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    one = check([export], AS_OF, incidents=[INCIDENTS], pseudonymise_key_file=key, jobs=1)
    two = check([export], AS_OF, incidents=[INCIDENTS], pseudonymise_key_file=key, jobs=2)
    assert len(one.responses) == 10 + 12  # the duplicate of line 4 is an input error, the original is checked
    assert len(one.input_errors) == 3 and one.groups
    assert _all_formats(one) == _all_formats(two)


@pytest.mark.slow
def test_cli_jobs_1_and_jobs_2_write_the_same_bytes(export, tmp_path):
    """--jobs 2 in a real process (its worker pool forked from the command line's process) against --jobs 1
    through CliRunner in this one."""
    outputs = []
    for jobs, run in (("1", run_cli), ("2", run_process)):
        out = tmp_path / f"report-{jobs}.json"
        proc = run("check", str(export), "--incidents", str(INCIDENTS), "--as-of", AS_OF.isoformat(), "--format",
                   "json", "--output", str(out), "--jobs", jobs)
        assert proc.returncode == 3, proc.stderr  # input errors: the broken line, the duplicate, the bad date
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_a_crashed_worker_loses_only_its_current_record(export, monkeypatch):
    """The engine's C code can kill the process: only the record being checked is lost."""
    victim = "R-H000010"

    def crash(data):
        if data["response_id"] == victim:
            os.kill(os.getpid(), signal.SIGKILL)  # as a segfault would, without a core dump

    baseline = check([export], AS_OF, jobs=1)
    monkeypatch.setattr(parallel, "_before_check", crash)
    report = check([export], AS_OF, jobs=2)
    lost = [e for e in report.input_errors if e.message == CRASH_MESSAGE]
    assert [(e.record, e.source.endswith("heavy.jsonl"), e.line) for e in lost] == [(victim, True, 14)]
    assert [r.response_id for r in report.responses] == [r.response_id for r in baseline.responses
                                                         if r.response_id != victim]
    assert [r.to_dict() for r in report.responses] == [r.to_dict() for r in baseline.responses
                                                       if r.response_id != victim]
    assert report.input_errors[:3] == baseline.input_errors


def test_one_job_checks_in_process():
    report = check([SAMPLE], AS_OF, jobs=1)
    assert len(report.responses) == 10 and not report.input_errors


def test_escalation_reads_only_the_view():
    """Group escalation gives the same answer from the kept view as from the whole record."""
    records = [r.data for r in load_responses([SAMPLE]).records]
    whole = find_groups([INCIDENTS], AS_OF, RULES, rulebook().parameters, records)
    viewed = find_groups([INCIDENTS], AS_OF, RULES, rulebook().parameters, [escalation_view(r) for r in records])
    assert whole.group_dicts() and whole.group_dicts() == viewed.group_dicts()


def test_escalation_view_keeps_absent_and_null_apart():
    view = escalation_view({"response_id": "R-1", "status": "open", "identified_on": "2026-01-05",
                            "young_people": [{"id": "YP-1", "date_of_birth": "2012-01-01"}], "referral": None})
    assert view == {"response_id": "R-1", "status": "open", "identified_on": "2026-01-05",
                    "young_people": "YP-1", "referral": None}


def test_default_jobs_is_the_number_of_usable_cores():
    assert parallel.default_jobs() == len(os.sched_getaffinity(0))


def test_json_lines_are_read_line_by_line_with_their_line_numbers(tmp_path):
    """Streamed JSON Lines keep the standard library's line and column, and see a repeated key (which
    orjson would take silently)."""
    from checker.inputs_guard import DUPLICATE_KEY_MESSAGE
    from checker.validation import iter_responses

    path = tmp_path / "export.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"response_id": \n\n{"response_id": "R-2"}\r\n'
                     b'{"response_id": "R-3", "status": "open", "status": "closed"}\n')
    errors = [e for e in iter_responses([str(path)])]
    assert (errors[0].record, errors[0].message, errors[0].line) == ("#1", "not valid JSON at line 1 column 17", 1)
    assert errors[1].record == "R-2" and errors[1].line == 3
    assert [(e.record, e.path, e.message, e.line) for e in errors if e.record == "R-3"] == [
        ("R-3", "/status", DUPLICATE_KEY_MESSAGE, 4)]


def test_engine_output_does_not_depend_on_key_order():
    """A fact whose "t" is not its first key is serialised whole (the splice needs "t" first)."""
    from checker.engine import RulesEngine
    from checker.facts import response_facts

    record = bench_data.heavy_response(3, seed=5)
    facts = response_facts(record, AS_OF)
    moved = [{**{k: v for k, v in f.items() if k != "t"}, "t": f["t"]} for f in facts]
    engine = RulesEngine(rulebook().rules)
    assert engine.evaluate(facts) == engine.evaluate(moved)


def test_a_defect_in_a_worker_costs_only_its_record_as_with_one_job(monkeypatch):
    """An exception that is not the engine's (a bug) is that record's input error, the same for every --jobs;
    every other record is checked."""
    def defect(data):
        if data["response_id"] == "R-2026-003":
            raise KeyError("defect")

    monkeypatch.setattr(parallel, "_before_check", defect)
    reports = [check([SAMPLE], AS_OF, jobs=jobs) for jobs in (1, 2)]
    for report in reports:
        assert [(e.record, e.message) for e in report.input_errors] == [
            ("R-2026-003", "could not be checked (KeyError); the other records were checked")]
        assert "R-2026-003" not in [r.response_id for r in report.responses]
        assert len(report.responses) == 9
    assert reports[0].to_dict() == reports[1].to_dict()


def test_a_worker_found_dead_when_sending_loses_at_most_its_current_record(export, monkeypatch):
    baseline = {r.response_id: r.to_dict() for r in check([export], AS_OF, jobs=1).responses}
    real_send = parallel._Worker.send
    sends = []

    def send(self, seq, record):
        sends.append(seq)
        if len(sends) == 4:
            self.process.kill()
            self.process.join()
        real_send(self, seq, record)

    monkeypatch.setattr(parallel._Worker, "send", send)
    report = check([export], AS_OF, jobs=2)
    lost = [e.record for e in report.input_errors if e.message == CRASH_MESSAGE]
    assert len(lost) <= 1
    assert sorted([r.response_id for r in report.responses] + lost) == sorted(baseline)
    assert all(r.to_dict() == baseline[r.response_id] for r in report.responses)


def test_json_encoding_falls_back_to_the_standard_library():
    """orjson refuses integers beyond 64 bits; the report is then written by json, the same way."""
    from checker.reporting.json_report import encode_json

    value = {"big": 2**70, "text": "é", "list": [], "nested": {"a": [1, 2]}}
    assert encode_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    small = {"text": "é", "list": [], "nested": {"a": [1, 2]}, "none": None, "t": True}
    assert encode_json(small) == json.dumps(small, indent=2, ensure_ascii=False) + "\n"


def test_signals_are_held_while_a_worker_is_forked(monkeypatch):
    """A SIGTERM arriving inside os.fork() would raise in an at-fork hook, where Python ignores exceptions
    (seen: the run went on to exit 1). The pool holds SIGTERM, SIGINT and SIGHUP while it forks."""
    import signal

    seen = []
    real_start = multiprocessing.get_context("fork").Process.start

    def start(self):
        seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))
        return real_start(self)

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", start)
    check([SAMPLE], AS_OF, jobs=2)
    assert seen and all({signal.SIGTERM, signal.SIGINT, signal.SIGHUP} <= mask for mask in seen)
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # released afterwards
