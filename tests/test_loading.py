"""Reading input files: JSON, JSON Lines, CSV, folders; errors with exact source, record, path, line and message."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from checker.errors import InputError, UsageError
from checker.loading import RawItem, iter_raw, read_incident_csv
from checker.validation import DATE_MESSAGE, load_incidents, load_responses

MISSING_ID = 'required property "response_id" is missing'


def good(response_id: str = "R-GOOD") -> dict:
    return {"response_id": response_id, "status": "open", "identified_on": "2026-03-02", "young_people": [{"id": "YP-A"}]}


def bad_date() -> dict:
    return {**good("R-BADDATE"), "identified_on": "2026-02-30"}


def no_id() -> dict:
    record = good()
    del record["response_id"]
    return record


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def json_array(records: list) -> str:
    """A JSON array with one element per line, starting at line 2."""
    return "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"


def json_lines(records: list) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# -- good and broken records in each layout -------------------------------------------------------------------


def test_json_array_with_one_good_and_two_broken_records(tmp_path):
    source = write(tmp_path / "export.json", json_array([bad_date(), good(), no_id()]))
    result = load_responses([source])
    assert [r.data["response_id"] for r in result.records] == ["R-GOOD"]
    assert (result.records[0].source, result.records[0].position, result.records[0].line) == (source, 2, 3)
    assert result.errors == [
        InputError(source, "R-BADDATE", "/identified_on", DATE_MESSAGE, line=2),
        InputError(source, "#3", "/response_id", MISSING_ID, line=4),
    ]


def test_single_object_files(tmp_path):
    folder = tmp_path / "export"
    write(folder / "a.json", json.dumps(bad_date(), indent=2))
    write(folder / "b.json", json.dumps(good(), indent=2))
    write(folder / "c.json", json.dumps(no_id(), indent=2))
    result = load_responses([str(folder)])
    assert [r.data["response_id"] for r in result.records] == ["R-GOOD"]
    assert result.errors == [
        InputError(str(folder / "a.json"), "R-BADDATE", "/identified_on", DATE_MESSAGE),
        InputError(str(folder / "c.json"), "#1", "/response_id", MISSING_ID),
    ]


def test_json_lines_with_a_broken_line_loses_only_that_line(tmp_path):
    text = json_lines([bad_date(), good()]) + "\n" + '{"response_id": "R-X", "status": \n' + json_lines([no_id(), good("R-LAST")])
    source = write(tmp_path / "export.jsonl", text)
    result = load_responses([source])
    assert [(r.data["response_id"], r.position, r.line) for r in result.records] == [("R-GOOD", 2, 2), ("R-LAST", 5, 6)]
    assert result.errors == [
        InputError(source, "R-BADDATE", "/identified_on", DATE_MESSAGE, line=1),
        InputError(source, "#3", "", "not valid JSON at line 4 column 34", line=4),
        InputError(source, "#4", "/response_id", MISSING_ID, line=5),
    ]


def test_ndjson_with_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good()).encode() + b"\r\n\r\n" + json.dumps(good("R-2")).encode() + b"\r\n")
    result = load_responses([str(path)])
    assert result.errors == []
    assert [(r.position, r.line) for r in result.records] == [(1, 1), (2, 3)]


def test_json_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good()).encode())
    assert load_responses([str(path)]).errors == []


# -- unreadable input -----------------------------------------------------------------------------------------


def test_invalid_json_file_is_one_error(tmp_path):
    source = write(tmp_path / "broken.json", '[\n  {"response_id": "R-1",\n   "status": }\n]\n')
    result = load_responses([source])
    assert result.records == []
    assert result.errors == [InputError(source, "", "", "not valid JSON at line 3 column 14", line=3)]


@pytest.mark.parametrize("text, line, column", [
    ('{"response_id": "R-1"} {"response_id": "R-2"}', 1, 24),   # two objects in a .json file
    ('[{"response_id": "R-1"}\n {"response_id": "R-2"}]', 2, 2),  # missing comma between elements
    ('[{"response_id": "R-1"},]', 1, 25),                         # trailing comma
    ("[", 1, 2),
])
def test_json_syntax_errors_say_where(tmp_path, text, line, column):
    source = write(tmp_path / "broken.json", text)
    assert list(iter_raw([source], "response")) == [
        InputError(source, "", "", f"not valid JSON at line {line} column {column}", line=line)]


def test_empty_and_non_utf8_files(tmp_path):
    empty = write(tmp_path / "a.json", "  \n")
    latin = tmp_path / "b.json"
    latin.write_bytes(b'{"response_id": "R-1",\n "x": "caf\xe9"}')
    lines = tmp_path / "c.jsonl"
    lines.write_bytes(json.dumps(good()).encode() + b'\n{"x": "caf\xe9"}\n')
    assert list(iter_raw([str(tmp_path)], "response")) == [
        InputError(empty, "", "", "file is empty"),
        InputError(str(latin), "", "", "not valid UTF-8 text at line 2", line=2),
        RawItem(str(lines), 1, 1, good()),
        InputError(str(lines), "#2", "", "not valid UTF-8 text at line 2", line=2),
    ]


def test_non_object_items_are_errors(tmp_path):
    array = write(tmp_path / "a.json", json_array([1, good(), "text", [good()], None, True]))
    scalar = write(tmp_path / "b.json", '"just a string"')
    lines = write(tmp_path / "c.jsonl", "[]\n" + json.dumps(good("R-2")) + "\n")
    result = load_responses([array, scalar, lines])
    assert [r.data["response_id"] for r in result.records] == ["R-GOOD", "R-2"]
    assert result.errors == [
        InputError(array, "#1", "", "must be a JSON object, not a number", line=2),
        InputError(array, "#3", "", "must be a JSON object, not a string", line=4),
        InputError(array, "#4", "", "must be a JSON object, not an array", line=5),
        InputError(array, "#5", "", "must be a JSON object, not null", line=6),
        InputError(array, "#6", "", "must be a JSON object, not a boolean", line=7),
        InputError(scalar, "#1", "", "must be a JSON object, not a string"),
        InputError(lines, "#1", "", "must be a JSON object, not an array", line=1),
    ]


def test_empty_array_gives_nothing(tmp_path):
    assert list(iter_raw([write(tmp_path / "a.json", "[ ]")], "response")) == []


# -- across files ---------------------------------------------------------------------------------------------


def test_duplicate_response_id_across_two_files(tmp_path):
    first = write(tmp_path / "a.json", json_array([good("R-1"), good("R-2")]))
    second = write(tmp_path / "b.jsonl", json_lines([good("R-3"), {**good("R-2"), "status": "done"}]))
    result = load_responses([first, second])
    assert [r.data["response_id"] for r in result.records] == ["R-1", "R-2", "R-3"]
    assert result.errors == [
        InputError(second, "R-2", "/response_id", f"duplicate response_id: first seen in {first} #2", line=2),
        InputError(second, "R-2", "/status", "must be one of: open, closed", line=2),
    ]


def test_folder_recursion_is_sorted_and_skips_other_and_hidden_files(tmp_path):
    root = tmp_path / "export"
    write(root / "b" / "z.json", json.dumps(good("R-BZ")))
    write(root / "b" / "a" / "x.ndjson", json_lines([good("R-BAX")]))
    write(root / "a.jsonl", json_lines([good("R-A1"), good("R-A2")]))
    write(root / "c.JSON", json.dumps(good("R-C")))
    write(root / "notes.txt", "not an export")
    write(root / "incidents.csv", "incident_id\nI-1\n")
    write(root / ".hidden.json", "{broken")
    write(root / ".cache" / "d.json", "{broken")
    given = str(root) + os.sep
    result = load_responses([given, str(root / "a.jsonl")])  # a file met twice is read once
    assert result.errors == []
    assert [(r.data["response_id"], r.source) for r in result.records] == [
        ("R-A1", os.path.join(given, "a.jsonl")),
        ("R-A2", os.path.join(given, "a.jsonl")),
        ("R-BAX", os.path.join(given, "b", "a", "x.ndjson")),
        ("R-BZ", os.path.join(given, "b", "z.json")),
        ("R-C", os.path.join(given, "c.JSON")),
    ]


def test_nonexistent_path_raises_usage_error_before_reading(tmp_path):
    source = write(tmp_path / "a.json", json.dumps(good()))
    missing = str(tmp_path / "nope.json")
    with pytest.raises(UsageError) as raised:
        iter_raw([source, missing], "response")
    assert str(raised.value) == f"path not found: {missing}"
    with pytest.raises(UsageError):
        load_responses([missing])


def test_unsupported_file_given_by_name(tmp_path):
    source = write(tmp_path / "export.txt", "{}")
    with pytest.raises(UsageError, match="not a supported input file"):
        iter_raw([source], "response")
    with pytest.raises(UsageError):
        iter_raw([write(tmp_path / "feed.csv", "incident_id\n")], "response")


def test_inputs_are_not_changed(tmp_path):
    paths = [
        write(tmp_path / "a.json", json_array([good(), bad_date()])),
        write(tmp_path / "b.jsonl", json_lines([good("R-2"), no_id()]) + "{oops\n"),
        write(tmp_path / "c.json", "{oops"),
        write(tmp_path / "incidents.csv", "incident_id,young_person_id,age,date,connections\nI-1,YP-A,14,2026-02-27,YP-B\n"),
    ]
    past = 1_700_000_000_000_000_000
    for path in paths:
        os.utime(path, ns=(past, past))
    before = {p: (Path(p).read_bytes(), os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in paths}
    load_responses([str(tmp_path)])
    load_incidents([str(tmp_path)])
    assert {p: (Path(p).read_bytes(), os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in paths} == before
    assert sorted(os.listdir(tmp_path)) == ["a.json", "b.jsonl", "c.json", "incidents.csv"]


def test_input_error_to_dict():
    assert InputError("a.json", "#1", "", "m").to_dict() == {"source": "a.json", "record": "#1", "path": "", "message": "m"}
    assert InputError("a.csv", "I-1", "/date", "m", 3).to_dict() == {
        "source": "a.csv", "record": "I-1", "path": "/date", "message": "m", "line": 3}


def test_no_input_value_in_loading_errors(tmp_path):
    name = "Zebedee Quux"
    source = write(tmp_path / "a.jsonl", json.dumps({"response_id": 7, "status": name, "identified_on": name,
                                                     "young_people": [{"id": "YP-A", "age": name, "setting_id": [name]}],
                                                     "referral": {name: True}})
                   + "\n" + '{"x": "' + name + '" oops}\n' + json.dumps([name]) + "\n")
    errors = load_responses([source]).errors
    assert len(errors) == 7
    for error in errors:
        assert name not in error.message and name not in error.record and name not in error.path


# -- incident feeds -------------------------------------------------------------------------------------------


CSV_HEADER = "incident_id,young_person_id,date_of_birth,age,date,setting_id,area,connections,reported_by\n"


def test_incident_csv_with_bad_rows(tmp_path):
    source = write(tmp_path / "incidents.csv", CSV_HEADER
                   + "I-1,YP-A,,14,2026-02-27,100001,E10000001,YP-B; YP-C ;,health\n"
                   + "I-2,YP-B,2011-05-01,,2026-02-30,100001,E10000001,,\n"
                   + "\n"
                   + "I-3,,,15,2026-02-28,100002,E10000001,YP-A,\n"
                   + ' I-4 , YP-C ,,twelve,2026-03-01,,E10000002,"YP-A;\nYP-B",police\n'
                   + "I-5,YP-D,,13,2026-03-02,,,,\n")
    result = load_incidents([source])
    assert [(r.data, r.position, r.line) for r in result.records] == [
        ({"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27", "setting_id": "100001",
          "area": "E10000001", "connections": ["YP-B", "YP-C"], "reported_by": "health"}, 1, 2),
        ({"incident_id": "I-5", "young_person_id": "YP-D", "age": 13, "date": "2026-03-02", "connections": []}, 5, 8),
    ]
    assert result.errors == [
        InputError(source, "I-2", "/date", DATE_MESSAGE, line=3),
        InputError(source, "I-3", "/young_person_id", 'required property "young_person_id" is missing', line=5),
        InputError(source, "I-4", "/age", "must be of type integer", line=6),
    ]


def test_incident_csv_reader_details(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(b"\xef\xbb\xbf incident_id ,young_person_id,age,date\r\nI-1,YP-A,14,2026-02-27\r\n,,,\r\n"
                     b"I-2,YP-B,14,2026-02-27,surplus\r\nI-3,YP-C,0014,2026-02-28\r\n")
    assert list(read_incident_csv(path)) == [
        RawItem(str(path), 1, 2, {"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27"}),
        InputError(str(path), "I-2", "", "row has more cells than the header row", line=4),
        RawItem(str(path), 3, 5, {"incident_id": "I-3", "young_person_id": "YP-C", "age": 14, "date": "2026-02-28"}),
    ]


def test_incident_csv_header_problems(tmp_path):
    empty = write(tmp_path / "a.csv", "")
    twice = write(tmp_path / "b.csv", "incident_id,date,date\nI-1,2026-01-01,2026-01-02\n")
    assert list(iter_raw([str(tmp_path)], "incident")) == [
        InputError(empty, "", "", "file is empty"),
        InputError(twice, "", "/date", "column appears more than once in the header row", line=1),
    ]


def test_incident_csv_that_is_not_utf8_loses_only_that_row(tmp_path):
    """Issue 9 item 5: one non-UTF-8 byte costs its row, not the feed."""
    path = tmp_path / "feed.csv"
    path.write_bytes(b"incident_id,young_person_id,age,date\nI-1,YP-A,14,2026-02-27\nI-2,Zo\xeb,14,2026-02-27\n"
                     b"I-3,YP-C,15,2026-02-28\n")
    items = list(read_incident_csv(path))
    assert items == [
        RawItem(str(path), 1, 2, {"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27"}),
        InputError(str(path), "#2", "", "not valid UTF-8 text at line 3", line=3),
        RawItem(str(path), 3, 4, {"incident_id": "I-3", "young_person_id": "YP-C", "age": 15, "date": "2026-02-28"}),
    ]
    header = tmp_path / "header.csv"
    header.write_bytes(b"incident_id,young_\xffperson_id\nI-1,YP-A\n")
    assert list(read_incident_csv(header)) == [InputError(str(header), "", "", "not valid UTF-8 text at line 1", line=1)]


def test_incident_json_array_and_json_lines(tmp_path):
    rows = [
        {"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27", "connections": ["YP-B"]},
        {"incident_id": "I-2", "young_person_id": "YP-B", "date": "2026-02-27"},
        {"incident_id": "I-3", "young_person_id": "YP-C", "date_of_birth": "2011-02-29", "date": "2026-02-27"},
    ]
    array = write(tmp_path / "a.json", json_array(rows))
    lines = write(tmp_path / "b.jsonl", json_lines([{**row, "incident_id": row["incident_id"] + "L"} for row in rows]))
    result = load_incidents([array, lines])
    assert [r.data["incident_id"] for r in result.records] == ["I-1", "I-1L"]
    assert result.errors == [
        InputError(array, "I-2", "/date_of_birth", 'required property "date_of_birth" (or "age") is missing', line=3),
        InputError(array, "I-3", "/date_of_birth", DATE_MESSAGE, line=4),
        InputError(lines, "I-2L", "/date_of_birth", 'required property "date_of_birth" (or "age") is missing', line=2),
        InputError(lines, "I-3L", "/date_of_birth", DATE_MESSAGE, line=3),
    ]


def test_duplicate_incident_id(tmp_path):
    source = write(tmp_path / "a.jsonl", json_lines([
        {"incident_id": "I-1", "young_person_id": "YP-A", "age": 14, "date": "2026-02-27"},
        {"incident_id": "I-1", "young_person_id": "YP-B", "age": 14, "date": "2026-02-28"}]))
    result = load_incidents([source])
    assert len(result.records) == 1
    assert result.errors == [InputError(source, "I-1", "/incident_id", f"duplicate incident_id: first seen in {source} #1", line=2)]


def test_unreadable_and_too_deep_files(tmp_path, monkeypatch):
    deep = "[" * 100_000 + "]" * 100_000
    paths = [write(tmp_path / "a.json", deep), write(tmp_path / "b.jsonl", deep + "\n" + json.dumps(good()) + "\n")]
    assert list(iter_raw(paths, "response")) == [
        InputError(paths[0], "", "", "JSON nested too deeply to read"),
        InputError(paths[1], "#1", "", "JSON nested too deeply to read at line 1", line=1),
        RawItem(paths[1], 2, 2, good()),
    ]

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    paths.append(write(tmp_path / "c.csv", CSV_HEADER))
    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "open", refuse)  # JSON Lines are read line by line
    assert list(iter_raw(paths, "incident")) == [
        InputError(path, "", "", "cannot be read: Permission denied") for path in paths]


def test_csv_that_the_csv_module_rejects(tmp_path):
    source = write(tmp_path / "feed.csv", "incident_id,young_person_id,age,date\nI-1,YP-A,14,2026-02-27\nI-2," + "x" * 200_000 + ",14,2026-02-27\n")
    items = list(read_incident_csv(source))
    assert items[1:] == [InputError(source, "#2", "", "not valid CSV at line 3", line=3)]
    header = write(tmp_path / "header.csv", "y" * 200_000 + "\n")
    assert list(read_incident_csv(header)) == [InputError(header, "", "", "not valid CSV at line 1", line=1)]


def test_unknown_kind_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        iter_raw([str(tmp_path)], "meeting")  # type: ignore[arg-type]
