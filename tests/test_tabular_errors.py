"""Tabular inputs: the smaller ways a tracker or extract goes wrong, and the cell-value rules."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.errors import ConfigError, UsageError
from checker.tabular import split_inputs
from checker.tabular.mapping import load_mapping
from checker.tabular.values import CellError, as_text, parse_boolean, parse_date, parse_integer, serial_to_date
from checker.validation import load_responses

from helpers import FIXTURES

SECRET = "Jane Smith"


def csv_folder(tmp_path, responses: str, **tables: str):
    (tmp_path / "responses.csv").write_text(responses, encoding="utf-8")
    for name, text in tables.items():
        (tmp_path / f"{name.replace('_', ' ')}.csv").write_text(text, encoding="utf-8")
    loaded = load_responses([tmp_path])
    return [r.data for r in loaded.records], [(e.record, e.path, e.message) for e in loaded.errors]


HEAD = "Response ID,Status,Identified on,Young people (recorded / none)\n"


def test_duplicate_response_rows_and_empty_ids(tmp_path):
    records, errors = csv_folder(tmp_path, HEAD + "R-1,open,02/03/2026,none\nR-1,open,02/03/2026,none\n"
                                 ",open,02/03/2026,none\n")
    assert [r["response_id"] for r in records] == ["R-1"]
    assert errors == [
        ("R-1", "/response_id", 'row 3, column "Response ID": duplicate response ID: first in row 2; this row is '
                                "not read"),
        ("#3", "/response_id", 'row 4, column "Response ID": is empty (it is needed to join the row to its '
                               "response)")]


def test_cells_that_cannot_be_read(tmp_path):
    records, errors = csv_folder(
        tmp_path, HEAD + f"R-1,open,02/03/2026,{SECRET}\nR-2,open,02/03/2026,none\nR-3,open,2026-02-30,none\n",
        young_people=f"Response ID,Young person ID,Looked after,Age\nR-2,YP-A,(none),\nR-2,,Y,\nR-3,YP-C,,{SECRET}\n")
    assert records == []
    assert errors == [
        ("R-1", "/young_people", 'row 2, column "Young people (recorded / none)": must be recorded or none (or blank)'),
        ("R-2", "/young_people/0/looked_after", 'row 2, column "Looked after": must be Yes or No (a yes/no field '
                                                "cannot be none: leave it blank if unknown)"),
        ("R-2", "/young_people/1/id", 'row 3, column "Young person ID": required property "id" is missing'),
        ("R-3", "/identified_on", 'row 4, column "Identified on": must be a date (dd/mm/yyyy, yyyy-mm-dd, or a date '
                                  "cell)"),
        ("R-3", "/young_people/0/age", 'row 4, column "Age": must be a whole number')]
    assert SECRET not in repr(errors)


def test_not_utf8_falls_back_to_windows_1252_and_bad_csv(tmp_path):
    (tmp_path / "responses.csv").write_bytes(HEAD.encode() + "R-1,open,02/03/2026,none\n".encode("cp1252"))
    assert [r.data["response_id"] for r in load_responses([tmp_path]).records] == ["R-1"]
    (tmp_path / "responses.csv").write_bytes(HEAD.encode() + b"R-1,open,\x81\x8d,none\n")
    errors = load_responses([tmp_path]).errors
    assert [e.message for e in errors] == ["not valid UTF-8 (or Windows-1252) text"]


def test_closure_twice_and_an_unknown_young_person(tmp_path):
    records, errors = csv_folder(
        tmp_path, "Response ID,Status,Identified on\nR-1,closed,02/03/2026\n",
        young_people="Response ID,Young person ID\nR-1,YP-A\n",
        closure="Response ID,Closure date\nR-1,01/05/2026\nR-1,02/05/2026\n",
        **{"self-harm episodes": "Response ID,Young person ID,Date\nR-1,YP-Z,01/03/2026\n"})
    assert records == []
    assert errors == [
        ("R-1", "", 'row 2, column "Young person ID": no young people row with this Young person ID for the '
                    "response (sheet or table Young people)"),
        ("R-1", "/closure", "row 3: a second row for this response (one row per response in Closure)")]


def test_a_row_for_an_unknown_response_does_not_repeat_its_id(tmp_path):
    records, errors = csv_folder(tmp_path, HEAD + "R-1,open,02/03/2026,none\n",
                                 meetings=f"Response ID,Meeting ID,Meeting type,Meeting date\n{SECRET},m1,scoping,"
                                          "04/03/2026\n")
    assert errors == [("", "", 'row 2, column "Response ID": no response with this Response ID in the responses '
                               "table; the row is not read")]


def test_enrich_with_a_bad_date_loses_only_the_records_it_touches(tmp_path):
    (tmp_path / "mapping.yaml").write_text(
        "mapping: 1\ntables:\n"
        "  - {file: r.csv, table: '', columns: {id: response_id, status: status, opened: identified_on}}\n"
        "  - {file: c.csv, table: young_people, keys: {response_id: rid}, columns: {yp: id}}\n"
        "  - {file: l.csv, table: young_people, link: {match: id, column: yp, key: pid, key_column: pid}}\n"
        "  - {file: e.csv, table: young_people, enrich: {key: pid, column: pid}, set: {looked_after: true},\n"
        "     during_response: {start: start, end: end}, otherwise: {looked_after: false}}\n")
    (tmp_path / "r.csv").write_text("id,status,opened\nR-1,open,02/03/2026\nR-2,open,02/03/2026\n")
    (tmp_path / "c.csv").write_text("rid,yp\nR-1,YP-A\nR-2,YP-B\n")
    (tmp_path / "l.csv").write_text("yp,pid\nYP-A,1\nYP-B,2\n,3\n")
    (tmp_path / "e.csv").write_text(f"pid,start,end\n1,{SECRET},\n2,2020-01-01,2021-01-01\n")
    loaded = load_responses([tmp_path])
    assert [r.data for r in loaded.records] == [
        {"response_id": "R-2", "status": "open", "identified_on": "2026-03-02",
         "young_people": [{"id": "YP-B", "looked_after": False}]}]
    assert [(e.record, e.message) for e in loaded.errors] == [
        ("R-1", 'row 2, column "start": must be a date (dd/mm/yyyy, yyyy-mm-dd, or a date cell)')]


def test_mapping_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="mapping file not found"):
        load_mapping(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mapping: 1\ncolour: blue\ntables:\n  - {table: ''}\n")
    with pytest.raises(ConfigError) as err:
        load_mapping(bad)
    assert str(err.value) == (f"{bad}: not a valid mapping:\n  /: unknown field(s): colour\n"
                              "  /tables/0: must name a sheet or a file")
    with pytest.raises(UsageError, match="--mapping is for .xlsx workbooks"):
        split_inputs([FIXTURES / "sample-export" / "R-2026-001-complete.json"], bad)


def test_missing_sheet_and_file_are_configuration_errors(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("mapping: 1\ntables:\n  - {sheet: Nope, table: '', columns: {A: response_id}}\n")
    result = CliRunner().invoke(main, ["validate", str(FIXTURES / "tabular" / "local-tracker" / "tracker.xlsx"),
                                       "--mapping", str(m)])
    assert result.exit_code == 2
    assert 'no sheet "Nope"' in result.output
    m.write_text("mapping: 1\ntables:\n  - {file: gone.csv, table: '', columns: {A: response_id}}\n")
    with pytest.raises(ConfigError, match="file not found"):
        load_responses([tmp_path], m)


# -- cell values -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (dt.date(2026, 3, 2), "2026-03-02"), (dt.datetime(2026, 3, 2), "2026-03-02"), (46083, "2026-03-02"),
    (46083.0, "2026-03-02"), ("46083", "2026-03-02"), ("02/03/2026", "2026-03-02"), ("2/3/2026", "2026-03-02"),
    ("2026-03-02", "2026-03-02"), (1, "1900-01-01"), (59, "1900-02-28"), (61, "1900-03-01")])
def test_dates(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value, message", [
    (dt.datetime(2026, 3, 2, 14, 0), "must be a date without a time of day"),
    (46083.5, "must be a date without a time of day"), (60, "must be a real date (Excel's 29/02/1900 does not exist)"),
    (0, "must be a date (the number is not an Excel date)"), (True, "must be a date (dd/mm/yyyy, yyyy-mm-dd, or a "
                                                                     "date cell)"),
    ("2026-3-2", "must be a date (dd/mm/yyyy, yyyy-mm-dd, or a date cell)"),
    ("31/02/2026", "must be a date (dd/mm/yyyy, yyyy-mm-dd, or a date cell)")])
def test_bad_dates(value, message):
    with pytest.raises(CellError) as err:
        parse_date(value)
    assert str(err.value) == message


def test_other_values():
    booleans = {"yes": True, "no": False}
    assert parse_boolean(True, booleans) is True and parse_boolean(0, booleans) is False
    assert parse_boolean(" YES ", booleans) is True
    with pytest.raises(CellError, match="must be one of: Yes/No"):
        parse_boolean("perhaps", booleans)
    assert parse_integer(12.0) == 12 and parse_integer(" 12 ") == 12
    for bad in (True, 12.5, "twelve"):
        with pytest.raises(CellError, match="must be a whole number"):
            parse_integer(bad)
    assert as_text(100001.0) == "100001"
    with pytest.raises(CellError, match="must be text, not TRUE/FALSE"):
        as_text(False)
    with pytest.raises(CellError, match="must be text, not a date"):
        as_text(dt.date(2026, 1, 1))
    assert serial_to_date(2958465) == dt.date(9999, 12, 31)
