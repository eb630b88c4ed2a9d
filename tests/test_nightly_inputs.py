"""Issue 9 (input and process side): nightly runs that never fall over and never lose a record silently.

One test (or more) per numbered item; each failed on the code before the fix.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.api import check
from checker.cli import main
from checker.csvio import UNBALANCED
from checker.errors import ConfigError, InputError
from checker.inputs_guard import DUPLICATE_KEY_MESSAGE, SURROGATE_MESSAGE
from checker.limits import DATE_RANGE_MESSAGE, MAX_YAML_NODES
from checker.loading import read_incident_csv
from checker.validation import DATE_MESSAGE, load_incidents, validate_response
from checker.waivers import load_waivers
from checker.workdays import add_working_days, is_working_day, working_index

from conftest import minimal_response
from helpers import AS_OF, FIXTURES, RULES, SAMPLE, rulebook

AS_OF_TEXT = AS_OF.isoformat()
FEED = FIXTURES / "incidents" / "incidents-2026.csv"
FEED_HEADER = "incident_id,young_person_id,date_of_birth,age,date,setting_id,area,connections,reported_by\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def write_json(path: Path, value) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def no_internal_error(result) -> None:
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- 1. dates out of range ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "2470-06-01"])
def test_item1_an_out_of_range_date_is_that_records_input_error(tmp_path, value):
    bad = minimal_response("R-BAD", referral={"date": value})
    good = minimal_response("R-GOOD")
    source = write_json(tmp_path / "export.json", [bad, good])
    report = check([source], AS_OF, RULES, engine="python")
    assert [r.response_id for r in report.responses] == ["R-GOOD"]
    assert report.input_errors == [InputError(source, "R-BAD", "/referral/date", DATE_RANGE_MESSAGE, 1)]
    # validate and check agree
    assert validate_response(bad) == [("/referral/date", DATE_RANGE_MESSAGE)]
    result = run("check", source, "--as-of", AS_OF_TEXT, "--format", "json")
    no_internal_error(result)
    assert result.exit_code == 3
    assert json.loads(result.output)["summary"]["responses_checked"] == 1
    result = run("validate", source)
    assert result.exit_code == 3 and "/referral/date: " + DATE_RANGE_MESSAGE in result.output


def test_item1_a_placeholder_1900_date_is_computable_in_every_date_field(tmp_path):
    record = minimal_response(
        "R-OLD", identified_on="1900-01-01", referral={"date": "1900-01-01"},
        meetings=[{"id": "m1", "type": "scoping", "date": "1900-01-01"}],
        young_people=[{"id": "YP-A", "date_of_birth": "1900-01-01", "parents_carers_informed_on": "1900-01-01",
                       "self_harm_episodes": [{"date": "1900-01-01"}]}])
    assert validate_response(record) == []
    source = write_json(tmp_path / "old.json", record)
    for engine in ("durable", "python"):
        report = check([source], AS_OF, RULES, engine=engine)
        assert report.input_errors == [] and [r.response_id for r in report.responses] == ["R-OLD"]
    result = run("check", source, "--as-of", "2199-12-31")
    no_internal_error(result)
    assert result.exit_code in (0, 1)


def test_item1_working_days_are_exact_over_the_whole_supported_range():
    day, previous = dt.date(1900, 1, 1), working_index(dt.date(1900, 1, 1))
    assert working_index(dt.date(1970, 1, 1)) == 1  # values from 1970 on are unchanged
    while day < dt.date(2199, 12, 31):
        day += dt.timedelta(days=1)
        index = working_index(day)
        assert index - previous == (1 if is_working_day(day) else 0)
        previous = index
    assert add_working_days(dt.date(2199, 12, 31), 36500) > dt.date(2199, 12, 31)


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_item1_as_of_out_of_range_is_a_usage_error(as_of):
    result = run("check", str(SAMPLE), "--as-of", as_of)
    no_internal_error(result)
    assert result.exit_code == 2
    assert DATE_RANGE_MESSAGE in result.output
    result = run("detect", str(FEED), "--as-of", as_of)
    assert result.exit_code == 2 and DATE_RANGE_MESSAGE in result.output


def test_item1_incident_dates_out_of_range_are_row_errors(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + "I-1,YP-A,,14,9999-12-31,S1,,,\nI-2,YP-B,0001-01-01,,2026-03-01,S1,,,\n"
                    "I-3,YP-C,,14,2026-03-01,S1,,,\n")
    result = load_incidents([str(feed)])
    assert [r.data["incident_id"] for r in result.records] == ["I-3"]
    assert result.errors == [InputError(str(feed), "I-1", "/date", DATE_RANGE_MESSAGE, 2),
                             InputError(str(feed), "I-2", "/date_of_birth", DATE_RANGE_MESSAGE, 3)]


def test_item1_unreal_dates_keep_their_message():
    assert validate_response(minimal_response(identified_on="2026-02-30")) == [("/identified_on", DATE_MESSAGE)]


# -- 2. lone surrogates, and 11: duplicate keys ---------------------------------------------------------------------


def test_item2_a_lone_surrogate_in_an_id_is_an_input_error(tmp_path):
    text = ('[{"schema_version": "1.0", "response_id": "R-\\ud800", "status": "open", "identified_on": "2026-03-02",'
            ' "young_people": [{"id": "YP-\\udc00x"}]},\n'
            + json.dumps(minimal_response("R-GOOD")) + "]")
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    lines = tmp_path / "b.jsonl"
    lines.write_text('{"response_id": "R-2", "young_people": [{"id": "\\uDBFF"}]}\n'
                     + json.dumps(minimal_response("R-GOOD-2")) + "\n", encoding="utf-8")
    report = check([str(tmp_path)], AS_OF, RULES, engine="python")
    assert [r.response_id for r in report.responses] == ["R-GOOD", "R-GOOD-2"]
    a, b = str(tmp_path / "a.json"), str(lines)
    assert report.input_errors == [
        InputError(a, "#1", "/response_id", SURROGATE_MESSAGE, 1),
        InputError(a, "#1", "/young_people/0/id", SURROGATE_MESSAGE, 1),
        InputError(b, "R-2", "/young_people/0/id", SURROGATE_MESSAGE, 1),
    ]
    for fmt in ("text", "json", "html", "csv", "markdown", "junit"):
        result = run("check", str(tmp_path), "--as-of", AS_OF_TEXT, "--format", fmt)
        no_internal_error(result)
        assert result.exit_code == 3


def test_item2_surrogates_in_keys_and_incident_rows(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"incident_id": "I-1", "young_person_id": "YP-\\ud83d", "age": 14, "date": "2026-03-01"}\n'
                    '{"incident_id": "I-2", "\\ud800": 1, "young_person_id": "YP-B", "age": 14, "date": "2026-03-01"}\n'
                    '{"incident_id": "I-3", "young_person_id": "YP-\\ud83d\\ude00", "age": 14, "date": "2026-03-01"}\n')
    result = load_incidents([str(feed)])
    assert [r.data["incident_id"] for r in result.records] == ["I-3"]  # a proper pair is text
    assert [(e.record, e.path, e.message) for e in result.errors] == [
        ("I-1", "/young_person_id", SURROGATE_MESSAGE),
        ("I-2", "", "a key that contains a lone surrogate escape (such as \\ud800): not valid Unicode text")]


def test_item11_duplicate_json_keys_are_input_errors(tmp_path):
    (tmp_path / "a.json").write_text(
        '{"schema_version": "1.0", "response_id": "R-1", "status": "open", "status": "closed",'
        ' "identified_on": "2026-03-02", "young_people": [{"id": "YP-A", "Jane Doe": 1, "Jane Doe": 2}]}')
    (tmp_path / "b.jsonl").write_text(json.dumps(minimal_response("R-2")) + "\n")
    report = check([str(tmp_path)], AS_OF, RULES, engine="python")
    assert [r.response_id for r in report.responses] == ["R-2"]
    source = str(tmp_path / "a.json")
    assert report.input_errors == [InputError(source, "R-1", "/status", DUPLICATE_KEY_MESSAGE),
                                   InputError(source, "R-1", "/young_people/0", DUPLICATE_KEY_MESSAGE)]
    assert "Jane" not in json.dumps([e.to_dict() for e in report.input_errors])


# -- 3 and 5. strict CSV -----------------------------------------------------------------------------------------


def _feed_rows(n: int) -> list[str]:
    return [f"I-{i:04d},YP-{i % 7},,14,2026-03-{1 + i % 20:02d},S{i % 3},LA-1,," for i in range(n)]


def test_item3_a_stray_quote_costs_only_its_row(tmp_path):
    rows = _feed_rows(1000)
    rows[10] = rows[10].replace("S", '"S', 1)  # an opening quote that is never closed
    rows[500] = rows[500].replace("LA-1", 'LA"1')  # a quote inside an unquoted cell
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + "\n".join(rows) + "\n")
    result = load_incidents([str(feed)])
    assert len(result.records) == 998
    assert result.errors == [InputError(str(feed), "#11", "", UNBALANCED, 12),
                             InputError(str(feed), "#501", "", UNBALANCED, 502)]
    result = run("detect", str(feed), "--as-of", AS_OF_TEXT, "--format", "json")
    assert result.exit_code == 3
    doc = json.loads(result.output)
    assert doc["summary"]["groups"] > 0 and doc["detection"]["incidents_read"] == 998


def test_item3_quoted_line_breaks_are_still_read_and_wrong_widths_are_errors(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER
                    + 'I-1,YP-A,,14,2026-03-01,S1,LA-1,"YP-B;\nYP-C",police\n'
                    + "I-2,YP-B,,14,2026-03-01\n"
                    + "I-3,YP-C,,14,2026-03-01,S1,LA-1,,police,extra\n"
                    + 'I-4,YP-D,,14,2026-03-01,"S1"x,LA-1,,police\n'
                    + "I-6,YP-F,,14,2026-03-02,S1,LA-1,,\n")
    items = list(read_incident_csv(feed))
    assert [(type(i).__name__, getattr(i, "line", None), getattr(i, "message", None)) for i in items] == [
        ("RawItem", 2, None),
        ("InputError", 4, "row has fewer cells than the header row"),
        ("InputError", 5, "row has more cells than the header row"),
        ("InputError", 6, "not valid CSV at line 6"),
        ("RawItem", 7, None),
    ]
    assert items[0].data["connections"] == ["YP-B", "YP-C"]
    assert [i.record for i in items if isinstance(i, InputError)] == ["I-2", "I-3", "#4"]


def test_item5_a_non_utf8_byte_costs_only_its_row_through_the_cli(tmp_path):
    rows = _feed_rows(50)
    feed = tmp_path / "feed.csv"
    feed.write_bytes((FEED_HEADER + "\n".join(rows[:20])).encode() + b"\nI-X,Zo\xeb,,14,2026-03-01,S1,,,\n"
                     + "\n".join(rows[20:]).encode() + b"\n")
    result = load_incidents([str(feed)])
    assert len(result.records) == 50
    assert result.errors == [InputError(str(feed), "#21", "", "not valid UTF-8 text at line 22", 22)]


# -- 6. empty input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("files", [[], ["export.json.gz", "export.json.bak"], ["notes.txt"]])
def test_item6_an_export_with_no_usable_record_is_exit_3(tmp_path, files):
    for name in files:
        (tmp_path / name).write_bytes(b"\x1f\x8b whatever")
    skipped = f"; {len(files)} file(s) skipped that are not .json, .jsonl, .ndjson" if files else ""
    message = f"no usable response records in the input{skipped}"
    for command in ("check", "validate"):
        result = run(command, str(tmp_path), *(["--as-of", AS_OF_TEXT] if command == "check" else []))
        no_internal_error(result)
        assert result.exit_code == 3, command
        assert message in result.output
    report = check([str(tmp_path)], AS_OF, RULES, engine="python")
    assert report.input_errors == [InputError(str(tmp_path), "", "", message)]


def test_item6_an_empty_feed_is_an_input_error(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER)
    result = run("check", str(SAMPLE), "--incidents", str(feed), "--as-of", AS_OF_TEXT, "--format", "json")
    assert result.exit_code == 3
    errors = json.loads(result.output)["input_errors"]
    assert errors == [{"source": str(feed), "record": "", "path": "", "message": "no usable incident rows in the input"}]


# -- 7. symlinked folders, and 11: non-regular files ---------------------------------------------------------


def test_item7_a_symlinked_sub_folder_is_read(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    write_json(real / "r.json", minimal_response("R-LINKED"))
    export = tmp_path / "export"
    export.mkdir()
    write_json(export / "a.json", minimal_response("R-A"))
    (export / "linked").symlink_to(real, target_is_directory=True)
    (export / "loop").symlink_to(export, target_is_directory=True)  # a loop ends
    report = check([str(export)], AS_OF, RULES, engine="python")
    assert [r.response_id for r in report.responses] == ["R-A", "R-LINKED"]
    assert report.input_errors == []


def test_item11_fifos_and_devices_are_skipped_with_a_message(tmp_path):
    write_json(tmp_path / "a.json", minimal_response("R-A"))
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    started = time.monotonic()
    report = check([str(tmp_path)], AS_OF, RULES, engine="python")
    assert time.monotonic() - started < 30
    assert [r.response_id for r in report.responses] == ["R-A"]
    message = "not a regular file (a pipe, device or socket): skipped"
    assert report.input_errors == [InputError(str(tmp_path / "pipe.json"), "", "", message),
                                   InputError(str(tmp_path / "zero.jsonl"), "", "", message)]
    result = run("check", str(tmp_path / "pipe.json"), "--as-of", AS_OF_TEXT)
    assert result.exit_code == 3 and message in result.output


@pytest.mark.parametrize("option", ["--params", "--waivers", "--baseline", "--pseudonymise"])
def test_item11_a_fifo_or_device_as_a_configuration_file_is_a_clear_error(tmp_path, option):
    os.mkfifo(tmp_path / "pipe.yaml")
    for path in (str(tmp_path / "pipe.yaml"), "/dev/zero"):
        result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, option, path)
        no_internal_error(result)
        assert result.exit_code == 2 and "is not a regular file" in result.output


# -- 9. outputs never replace inputs ------------------------------------------------------------------------------


def test_item9_output_equal_to_an_input_is_refused(tmp_path):
    export = tmp_path / "export.json"
    shutil.copy(SAMPLE / "responses-2026.json", export)
    before = export.read_bytes()
    result = run("check", str(export), "--as-of", AS_OF_TEXT, "--output", str(export))
    assert result.exit_code == 2
    assert f"--output would replace the input file {export}" in result.output
    assert export.read_bytes() == before
    link = tmp_path / "link.json"
    link.symlink_to(export)
    assert run("check", str(export), "--as-of", AS_OF_TEXT, "--output", str(link)).exit_code == 2
    feed = tmp_path / "feed.csv"
    shutil.copy(FEED, feed)
    assert run("detect", str(feed), "--as-of", AS_OF_TEXT, "--output", str(feed)).exit_code == 2
    assert run("check", str(export), "--incidents", str(feed), "--as-of", AS_OF_TEXT,
               "--output", str(feed)).exit_code == 2
    assert feed.read_bytes() == FEED.read_bytes()


def test_item9_output_dir_inside_an_input_folder_is_refused(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    result = run("check", str(export), "--as-of", AS_OF_TEXT, "--output-dir", str(export / "reports"))
    assert result.exit_code == 2
    assert f"--output-dir is inside the input folder {export}" in result.output
    assert not (export / "reports").exists()
    assert run("check", str(export), "--as-of", AS_OF_TEXT, "--output", str(export / "r.json")).exit_code == 2
    key = tmp_path / "partnership.key"
    key.write_bytes(b"k" * 32)
    result = run("check", str(export), "--as-of", AS_OF_TEXT, "--pseudonymise", str(key), "--output", str(key))
    assert result.exit_code == 2 and "would replace the --pseudonymise key file" in result.output
    assert key.read_bytes() == b"k" * 32
    result = run("check", str(export), "--as-of", AS_OF_TEXT, "--output-dir", str(tmp_path / "reports"))
    assert result.exit_code == 1  # outside the inputs: fine


def test_item9_the_baseline_may_be_replaced_by_tonights_report(tmp_path):
    last = tmp_path / "last.json"
    assert run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format", "json", "--output", str(last)).exit_code == 1
    result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--format", "json", "--baseline", str(last),
                 "--output", str(last))
    assert result.exit_code == 1 and "delta" in json.loads(last.read_text())


# -- 10. YAML limits -------------------------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("option", ["--params", "--waivers", "--rules"])
def test_item10_yaml_alias_expansion_is_bounded(tmp_path, option):
    if option == "--params":
        path = tmp_path / "p.yaml"
        path.write_text(_alias_bomb() + "parameters: {adult_age: 18}\n")
    elif option == "--waivers":
        path = tmp_path / "w.yaml"
        path.write_text(_alias_bomb() + "waivers: []\n")
    else:
        path = tmp_path / "rules"
        shutil.copytree(RULES, path)
        first = sorted(path.glob("*.yaml"))[-1]
        first.write_text(_alias_bomb() + first.read_text())
    started = time.monotonic()
    result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, option, str(path))
    assert time.monotonic() - started < 60
    no_internal_error(result)
    assert result.exit_code == 2
    assert f"YAML expands (aliases followed) to more than {MAX_YAML_NODES} values" in result.output


def test_item10_recursive_aliases_deep_nesting_and_size(tmp_path):
    from checker.yamlio import read_yaml

    cases = {"recursive.yaml": "a: &a [1, *a]\n", "deep.yaml": "[" * 5000 + "]" * 5000 + "\n",
             "big.yaml": "x: " + "y" * (5 << 20) + "\n", "float.yaml": "x: !!float 1e999999\ny: !!int 0x\n"}
    messages = {"recursive.yaml": "YAML alias refers to the value that contains it",
                "deep.yaml": "", "big.yaml": "parameters override file is larger than 4 MiB", "float.yaml": ""}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        try:
            read_yaml(path, "parameters override")
        except ConfigError as exc:
            assert str(exc).startswith(str(path)) and messages[name] in str(exc)


# -- 11. smaller items ---------------------------------------------------------------------------------------------


def test_item11_an_impossible_unquoted_waiver_date_names_file_and_entry(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {response_id: R-2026-002, rule: scoping-required-roles, reason: r, "
                    "approved_by: q, expires_on: 2026-02-30}\n"
                    "  - {response_id: R-2026-003, rule: referral-content, reason: r, approved_by: q, "
                    "expires_on: 9999-12-31}\n")
    with pytest.raises(ConfigError) as err:
        load_waivers(path, rulebook())
    assert str(err.value) == (
        "invalid waivers:\n"
        f"  {path}: waiver entry 1 (response R-2026-002, rule scoping-required-roles): "
        "expires_on must be a real date in the form YYYY-MM-DD\n"
        f"  {path}: waiver entry 2 (response R-2026-003, rule referral-content): expires_on {DATE_RANGE_MESSAGE}")
    result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--waivers", str(path))
    no_internal_error(result)
    assert result.exit_code == 2


def test_item11_a_huge_parameter_is_refused_not_a_false_gap(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("parameters: {referral_working_days: 9223372036854775000}\n")
    result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--params", str(path))
    assert result.exit_code == 2
    assert "parameter 'referral_working_days' must be a whole number from 0 to 36500" in result.output
    path.write_text("parameters: {chapter_in_force_from: 9999-12-31}\n")
    result = run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--params", str(path))
    assert result.exit_code == 2 and f"parameter 'chapter_in_force_from' {DATE_RANGE_MESSAGE}" in result.output


def test_item11_containment_one_record_failing_is_its_own_input_error(tmp_path, monkeypatch):
    """Any failure while checking one record (not only an engine error) is that record's input error."""
    import checker.parallel as api  # where each record is checked (streamed, on any number of workers)

    original = api.response_timeline

    def explode_on_b(record):
        if record["response_id"] == "R-B":
            raise KeyError("boom")
        return original(record)

    monkeypatch.setattr(api, "response_timeline", explode_on_b)
    source = write_json(tmp_path / "e.json", [minimal_response("R-A"), minimal_response("R-B"),
                                              minimal_response("R-C")])
    report = check([source], AS_OF, RULES, engine="python")
    assert [r.response_id for r in report.responses] == ["R-A", "R-C"]
    assert report.input_errors == [InputError(source, "R-B", "", "could not be checked (KeyError); "
                                              "the other records were checked", 1)]


def test_item11_output_dir_is_written_as_a_set_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import checker.atomic as atomic

    out = tmp_path / "reports"
    assert run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--output-dir", str(out)).exit_code == 1
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 6
    stale = out / f".report.json.{2 ** 22 + 17}.abc123.tmp"  # left by a run killed outright (no such process)
    stale.write_text("half")
    calls = []
    real_write = atomic.write_temp

    def fail_on_fourth(target, data):
        calls.append(target.name)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real_write(target, data)

    monkeypatch.setattr(atomic, "write_temp", fail_on_fourth)
    monkeypatch.setattr("checker.outputs.write_temp", fail_on_fourth)
    result = run("check", str(SAMPLE), "--as-of", "2026-11-28", "--output-dir", str(out))
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing replaced, nothing left


SLOW_RUN = """
import os, sys, time
import checker.api as api
original = api.Checker.check_record
def slow(self, record, as_of):
    open(os.environ["SHG_TEST_MARKER"], "a").close()
    time.sleep(0.05)
    return original(self, record, as_of)
api.Checker.check_record = slow
import checker.outputs as outputs
original_write = outputs.write_temp
def slow_write(target, data):
    time.sleep(0.3)
    return original_write(target, data)
outputs.write_temp = slow_write
from checker.cli import main
sys.argv = ["shg-check"] + sys.argv[1:]
main()
"""


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def _slow_run_over_a_report_set(tmp_path):
    """A report set from a finished run, then a slowed run writing a new one into the same folder (its
    marker file appears once it is checking): (folder, the old set's bytes, the process)."""
    out = tmp_path / "reports"
    root = Path(__file__).resolve().parent.parent
    assert run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--output-dir", str(out)).exit_code == 1
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    script = tmp_path / "slow.py"
    script.write_text(SLOW_RUN)
    env = {**os.environ, "PYTHONPATH": str(root), "SHG_TEST_MARKER": str(tmp_path / "started")}
    proc = subprocess.Popen([sys.executable, str(script), "check", str(SAMPLE), "--as-of", "2026-11-28",
                             "--output-dir", str(out)], stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            cwd=root)
    return out, before, proc


@pytest.mark.parametrize("moment", ["checking", "writing"])
def test_item11_sigterm_mid_run_or_mid_write_leaves_the_old_set_and_no_temporary_file(tmp_path, moment):
    out, before, proc = _slow_run_over_a_report_set(tmp_path)
    if moment == "checking":
        _wait_for(lambda: (tmp_path / "started").exists())
    else:
        _wait_for(lambda: any(p.name.endswith(".tmp") for p in out.iterdir()))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert not [name for name in after if name.endswith(".tmp")]
    assert proc.returncode == 128 + 15
    assert err.decode().strip() == ("Error: stopped by SIGTERM before the run finished; every report file is whole "
                                    "(last run's or this run's, an --output-dir as a set) and no temporary file is left")
    assert after == before


def test_item11_sigkill_mid_write_leaves_whole_files_and_the_next_run_cleans_up(tmp_path):
    out, before, proc = _slow_run_over_a_report_set(tmp_path)
    _wait_for(lambda: any(p.name.endswith(".tmp") for p in out.iterdir()))
    proc.kill()
    proc.communicate(timeout=60)
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.endswith(".tmp")}
    assert after == before  # killed mid-write: the old set, whole
    assert run("check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--output-dir", str(out)).exit_code == 1
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_item11_control_characters_in_ids_are_input_errors(tmp_path):
    """Decision: an id or code with a line break or control character is an input error (it could forge a
    report line); the writers' own escaping (issue 10) is a second defence."""
    from checker.inputs_guard import ID_CONTROL_MESSAGE

    bad = minimal_response("R-1\nGAP", young_people=[{"id": "YP-A\x1b[2J", "connections": [{"to": "YP-\u202eB"}]},
                                                     {"id": "YP-\u202eB"}])
    assert validate_response(bad) == [
        ("/response_id", ID_CONTROL_MESSAGE), ("/young_people/0/connections/0/to", ID_CONTROL_MESSAGE),
        ("/young_people/0/id", ID_CONTROL_MESSAGE), ("/young_people/1/id", ID_CONTROL_MESSAGE)]
    assert validate_response(minimal_response("R-\u00e9-\u00a0ok")) == []  # accents and no-break spaces are text
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + "I-1,YP-A\x00,,14,2026-03-01,S1,,,\nI-2,YP-B,,14,2026-03-01,S\x07,,YP-C\x07X;YP-D,\n"
                    "I-3,YP-C,,14,2026-03-01,S1,,,\n")
    result = load_incidents([str(feed)])
    assert [r.data["incident_id"] for r in result.records] == ["I-3"]
    assert [(e.record, e.path) for e in result.errors] == [
        ("I-1", "/young_person_id"), ("I-2", "/connections/0"), ("I-2", "/setting_id")]


# -- done when: a nightly run over the bundled export and feed, with garbage added to both ----------------------


def test_done_when_garbage_in_the_bundled_export_and_feed(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(SAMPLE, export)
    good_feed = FEED.read_bytes()
    clean = run("check", str(SAMPLE), "--incidents", str(FEED), "--as-of", AS_OF_TEXT, "--format", "json")
    clean_doc = json.loads(clean.output)

    bad_json = export / "garbage.json"
    bad_json.write_text(
        "[" + json.dumps(minimal_response("R-G1", referral={"date": "9999-12-31"})) + ",\n"
        + json.dumps(minimal_response("R-G2"))[:-1] + ', "status": "closed"}' + ",\n"  # a duplicate key
        + '{"schema_version": "1.0", "response_id": "R-\\ud800", "status": "open", "identified_on": "2026-03-02",'
          ' "young_people": [{"id": "YP-A"}]},\n'
        + "17]", encoding="utf-8")
    bad_lines = export / "garbage.jsonl"
    bad_lines.write_bytes(b'{"response_id": "R-G4", \n' + json.dumps(minimal_response("R-G5", identified_on="1899-01-01")).encode()
                          + b"\n\xff\xfe\n")
    (export / "old.json.gz").write_bytes(b"\x1f\x8b")
    feed = tmp_path / "feed.csv"
    feed.write_bytes(good_feed.rstrip(b"\n") + b"\n"
                     + b'INC-G1,YP-Z1,,14,2026-03-01,"URN-1,LA-1,,health\n'       # stray quote
                     + b"INC-G2,YP-Z2,,14,2026-03-01,URN-\xe9,LA-1,,health\n"      # not UTF-8
                     + b"INC-G3,YP-Z3,,14\n"                                      # too few cells
                     + b"INC-G4,YP-Z4,,14,9999-12-31,URN-1,LA-1,,health\n")      # date out of range

    result = run("check", str(export), "--incidents", str(feed), "--as-of", AS_OF_TEXT, "--format", "json")
    no_internal_error(result)
    assert result.exit_code == 3
    doc = json.loads(result.output)
    def without_source(responses):
        return [{k: v for k, v in r.items() if k != "source"} for r in responses]

    assert without_source(doc["responses"]) == without_source(clean_doc["responses"])  # every good record
    assert doc["groups"] == clean_doc["groups"]  # and every group
    lines = len(good_feed.rstrip(b"\n").split(b"\n"))
    j, jl, f = str(bad_json), str(bad_lines), str(feed)
    assert [(e["source"], e["record"], e["path"], e.get("line")) for e in doc["input_errors"]] == [
        (j, "R-G1", "/referral/date", 1),
        (j, "R-G2", "/status", 2),
        (j, "#3", "/response_id", 3),
        (j, "#4", "", 4),
        (jl, "#1", "", 1),
        (jl, "R-G5", "/identified_on", 2),
        (jl, "#3", "", 3),
        (f, "#%d" % lines, "", lines + 1),
        (f, "#%d" % (lines + 1), "", lines + 2),
        (f, "INC-G3", "", lines + 3),
        (f, "INC-G4", "/date", lines + 4),
    ]
    for e in doc["input_errors"]:
        assert e["message"]


SWALLOWED_SIGTERM = """
import os, signal, sys
import checker.api as api
original = api.check
class Finaliser:
    def __del__(self):  # Python prints and ignores an exception raised here
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs at the next bytecode, inside __del__
            pass
def check(*args, **kwargs):
    Finaliser()
    return original(*args, **kwargs)
api.check = check
import checker.cli as cli
cli.check = check
sys.argv = ["shg-check"] + sys.argv[1:]
cli.main()
"""


def test_item11_a_sigterm_whose_exception_python_swallowed_still_exits_143(tmp_path):
    root = Path(__file__).resolve().parent.parent
    script = tmp_path / "swallow.py"
    script.write_text(SWALLOWED_SIGTERM)
    proc = subprocess.run([sys.executable, str(script), "check", str(SAMPLE), "--as-of", AS_OF_TEXT, "--jobs", "1"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)}, cwd=root,
                          timeout=300)
    assert proc.returncode == 128 + 15, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == (
        "Error: stopped by SIGTERM before the run finished; every report file is whole (last run's or this "
        "run's, an --output-dir as a set) and no temporary file is left")
