"""The fast paths of reading incident feeds (issue 13, detect on a million rows) agree with the full paths.

* a CSV line with no quote and no NUL is split on commas: the same cells as the csv module reads;
* ``plain_incident`` only accepts rows the incident schema accepts, and knows the schema as it is;
* ``id_problems`` skips the walk only for flat rows where the walk finds nothing.
"""
from __future__ import annotations

import copy
import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import csvio, fastvalidate
from checker.inputs_guard import ID_FIELDS, _id_walk, id_problems
from checker.validation import schema, validate_incident, validator

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INCIDENT = {"incident_id": "I-1", "young_person_id": "YP-1", "date_of_birth": "2011-04-02", "age": 14,
            "date": "2026-03-02", "setting_id": "URN-1", "area": "LA-1", "connections": ["YP-2"],
            "reported_by": "education"}
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 30), st.floats(allow_nan=False, width=16),
                   st.sampled_from(["", " ", "x", "police", "2026-02-30", "2026-13-01", "2026-3-2", "1899-12-31",
                                    "2026-03-02", "2024-02-29", "YP-1", "a\nb", "\u200b", "\x85"]),
                   st.just([]), st.just({}), st.just([{}]), st.just(["x"]), st.just([""]), st.just([1]),
                   st.just(["a\tb"]), st.just({"id": "a\nb"}))


@st.composite
def mutated_rows(draw):
    row = copy.deepcopy(INCIDENT)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if action == "add":
            row[draw(st.sampled_from(["x_local", "id", "areas", "Name"]))] = copy.deepcopy(draw(VALUES))
        elif row:
            key = draw(st.sampled_from(sorted(row)))
            if action == "delete":
                del row[key]
            else:
                row[key] = copy.deepcopy(draw(VALUES))
    return row


@SETTINGS
@given(mutated_rows())
def test_a_plain_incident_is_valid_for_jsonschema(row):
    if fastvalidate.plain_incident(row):
        assert not any(True for _ in validator("incident").iter_errors(row))


def test_the_common_row_is_plain_and_its_verdict_unchanged():
    assert fastvalidate.plain_incident(INCIDENT)
    assert validate_incident(INCIDENT) == []
    bad_id = {**INCIDENT, "incident_id": "I-\n1"}
    assert fastvalidate.plain_incident(bad_id)  # the schema accepts it: the id check still runs
    assert validate_incident(bad_id) == [("/incident_id", "must not contain control characters, line breaks "
                                                           "or invisible formatting characters")]


def test_plain_incident_knows_the_schema_as_it_is():
    """A change to the incident schema must be made in plain_incident too: this fails until it is."""
    incident = schema("incident")
    assert set(incident["required"]) == set(fastvalidate.INCIDENT_REQUIRED)
    assert incident["anyOf"] == [{"required": ["date_of_birth"]}, {"required": ["age"]}]
    props = incident["properties"]
    assert set(props) == {*fastvalidate.INCIDENT_REQUIRED, *fastvalidate.INCIDENT_OPTIONAL_TEXT,
                          *fastvalidate.INCIDENT_DATES, "age", "connections", "reported_by"}
    assert set(props["reported_by"]["enum"]) == fastvalidate.INCIDENT_REPORTED_BY
    for key in fastvalidate.INCIDENT_OPTIONAL_TEXT:
        assert props[key]["type"] == ["string", "null"]
    for key in fastvalidate.INCIDENT_DATES:
        assert props[key]["$ref"] == "#/$defs/date"
    assert props["age"] == {**props["age"], "type": "integer", "minimum": 0}
    assert props["connections"]["items"] == {"type": "string", "minLength": 1}
    for key in ("incident_id", "young_person_id"):
        assert props[key]["type"] == "string" and props[key]["minLength"] == 1


@SETTINGS
@given(mutated_rows())
def test_id_problems_fast_path_agrees_with_the_walk(row):
    assert id_problems(row) == _id_walk(row)


@SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(ID_FIELDS) + ["x", "Name"]),
                       st.one_of(st.text(max_size=6), st.lists(st.text(max_size=4), max_size=3),
                                 st.integers(), st.none()), max_size=6))
def test_id_problems_on_flat_rows_of_any_text(row):
    assert id_problems(row) == _id_walk(row)


CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab ,;\t-1\x0b\x0c\x1c\x85\u2028é€\x01")), max_size=12)


def _csv_module_cells(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line, newline=""), strict=True))


@SETTINGS
@given(st.lists(CELL_TEXT, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\r", ""]))
def test_plain_csv_lines_split_as_the_csv_module_reads_them(cells, ending):
    line = ",".join(cells)
    data = ("h1,h2\n" + line + ending).encode("utf-8")
    rows = list(csvio.read_rows(data))
    if not line.strip():
        assert rows == [csvio.Row(1, ["h1", "h2"])]  # a blank line is skipped either way
        return
    assert csvio._plain_row(line.encode("utf-8") + ending.encode(), 2, 1 << 20) is not None
    expected = _csv_module_cells(line)
    if not any(c.strip() for c in expected):
        assert rows == [csvio.Row(1, ["h1", "h2"])]  # a row of blank cells is a blank row either way
        return
    got = rows[1]
    if isinstance(got, csvio.RowError):  # the wrong number of cells, or a row of blank cells
        assert len(expected) != 2 and got.cells == expected
    else:
        assert got.cells == expected


def test_lines_with_quotes_or_nul_take_the_full_path():
    assert csvio._plain_row(b'a,"b"\n', 2, 1 << 20) is None
    assert csvio._plain_row(b"a,b\x00\n", 2, 1 << 20) is None
    assert csvio._plain_row(b"a," + b"b" * 50 + b"\n", 2, 10) is None
    assert csvio._plain_row(b"a,\xff\n", 2, 1 << 20) is None
