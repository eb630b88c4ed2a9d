"""Validating input records against the exchange-format schemas.

A record is valid when it satisfies its JSON Schema (``checker/schemas``) and
the checks a schema cannot express (ids that must be unique, ids that must
refer to something in the record). Every problem of a record is reported,
sorted by JSON pointer, and an invalid record is left out of the check.

Messages are built here from the schema keyword and the schema itself, never
from jsonschema's own messages, which quote the input value (possibly a
child's name).
"""
from __future__ import annotations

import copy
import datetime
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from checker.errors import InputError
from checker.fastvalidate import is_valid, plain_incident
from checker.inputs_guard import id_problems
from checker.limits import DATE_RANGE_MESSAGE, in_date_range
from checker.loading import SUFFIXES, RawItem, is_usable_id, iter_raw, record_label, skipped_files
from checker.vocab import KINDS, Vocabularies, active, v1_codes

Problem = tuple[str, str]  # (JSON pointer, message)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_MESSAGE = "must be a real date in the form YYYY-MM-DD"
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date")
def is_date(value: object) -> bool:
    """True for a real calendar date written exactly YYYY-MM-DD, from 1900-01-01 to 2199-12-31
    (checker.limits: the range the working-day arithmetic is exact over); non-strings are left to ``type``.

    The one definition of the schemas' ``date`` format: every validator of a schema uses it."""
    if not isinstance(value, str):
        return True
    day = parse_date(value)
    return day is not None and in_date_range(day)


def parse_date(value: str) -> datetime.date | None:
    """The calendar date written exactly YYYY-MM-DD, else None (any range)."""
    if not _DATE.fullmatch(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def date_message(value: object) -> str:
    """Why ``value`` is not a schema ``date``: not a real date, or out of the supported range."""
    return DATE_RANGE_MESSAGE if isinstance(value, str) and parse_date(value) is not None else DATE_MESSAGE


@dataclass(frozen=True)
class Record:
    """A valid input record and where it came from."""

    source: str
    position: int
    line: int | None
    data: dict


@dataclass
class LoadResult:
    """Valid records, in input order, and the errors of everything else."""

    records: list[Record] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def load_responses(paths: Sequence[str | os.PathLike[str]], mapping: str | os.PathLike[str] | None = None) -> LoadResult:
    """Read and validate response records; a repeated ``response_id`` is an error (the first is kept).

    ``mapping``: how to read .xlsx workbooks and folders of CSV tables (checker/tabular).
    An input with no record at all (and so no error either) is an input error too (the empty-input rule):
    an empty export is never a clean night."""
    return _nothing_usable(_load(iter_raw(paths, "response", mapping), _bound(validate_response), "response_id"),
                           paths, "response", "response records")


def load_incidents(paths: Sequence[str | os.PathLike[str]]) -> LoadResult:
    """Read and validate incident feed rows; a repeated ``incident_id`` is an error (the first is kept).

    A feed with no row at all is an input error too (the empty-input rule)."""
    return _nothing_usable(_load(iter_raw(paths, "incident"), _bound(validate_incident), "incident_id"), paths,
                           "incident", "incident rows")


def _nothing_usable(result: LoadResult, paths: Sequence[str | os.PathLike[str]], kind, what: str) -> LoadResult:
    if not result.records and not result.errors:  # (with errors, the exit code is 3 already)
        result.errors.append(nothing_usable_error(paths, kind, what))
    return result


def nothing_usable_error(paths: Sequence[str | os.PathLike[str]], kind, what: str) -> InputError:
    """The input error of an input in which nothing at all was found (the empty-input rule)."""
    skipped = skipped_files(paths, kind)
    shown = ", ".join(os.fspath(p) for p in paths)
    note = f"; {skipped} file(s) skipped that are not {', '.join(SUFFIXES[kind])}" if skipped else ""
    return InputError(shown, "", "", f"no usable {what} in the input{note}")


def validate_response(data: object, vocabularies: Vocabularies | None = None) -> list[Problem]:
    """Every problem of one response record, sorted by JSON pointer ([] when valid).

    Codes are those of ``vocabularies`` (default: the vocabularies in use, checker.vocab.active())."""
    v = vocabularies or active()
    problems = [] if is_valid("response-record", data, v) else _schema_problems(validator("response-record", v), data)
    if isinstance(data, dict):
        problems.extend(_response_reference_problems(data))
    problems.extend(id_problems(data))
    return _sorted(problems)


def validate_incident(data: object, vocabularies: Vocabularies | None = None) -> list[Problem]:
    """Every problem of one incident feed row, sorted by JSON pointer ([] when valid)."""
    if plain_incident(data):  # (the common row, v1 codes only: only the id check is left)
        problems = id_problems(data)
        return _sorted(problems) if problems else problems
    v = vocabularies or active()
    problems = [] if is_valid("incident", data, v) else _schema_problems(validator("incident", v), data)
    return _sorted([*problems, *id_problems(data)])


@cache
def schema(name: str) -> dict:
    """The JSON Schema ``checker/schemas/<name>.schema.json`` (exchange format v1, as written)."""
    text = (files("checker") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def record_schema(name: str, vocabularies: Vocabularies | None = None) -> dict:
    """Schema ``name`` with its role, agency and item codes taken from ``vocabularies``
    (default: the vocabularies in use, checker.vocab.active())."""
    return _record_schema(name, (vocabularies or active()).key)


@cache
def _record_schema(name: str, key: tuple) -> dict:
    """The schema with every code list of a kind (its $defs enum, and each inline enum of the same v1
    codes) replaced by that kind's codes in ``key``, keeping null where it was allowed."""
    out = copy.deepcopy(schema(name))
    v1 = v1_codes()
    replace = {frozenset(v1[kind]): codes for kind, codes in zip(KINDS, key)}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            enum = node.get("enum")
            if isinstance(enum, list):
                codes = replace.get(frozenset(c for c in enum if c is not None))
                if codes is not None:
                    node["enum"] = [*codes, *([None] if None in enum else [])]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(out)
    return out


def validator(name: str, vocabularies: Vocabularies | None = None) -> Draft202012Validator:
    """A compiled validator for schema ``name`` with the codes of ``vocabularies`` (default: in use),
    with the strict ``date`` format check."""
    return _validator(name, (vocabularies or active()).key)


@cache
def _validator(name: str, key: tuple) -> Draft202012Validator:
    return Draft202012Validator(_record_schema(name, key), format_checker=FORMAT_CHECKER)


# -- loading -----------------------------------------------------------------------------------------------------


def _load(items: Iterable[RawItem | InputError], validate: Callable[[object], list[Problem]], id_key: str) -> LoadResult:
    result = LoadResult()
    for out in iter_validated(items, validate, id_key):
        if isinstance(out, InputError):
            result.errors.append(out)
        else:
            result.records.append(out)
    return result


def iter_responses(paths: Sequence[str | os.PathLike[str]],
                   mapping: str | os.PathLike[str] | None = None) -> Iterator[Record | InputError]:
    """Response records read and validated one at a time, in input order (what load_responses lists)."""
    return iter_validated(iter_raw(paths, "response", mapping), _bound(validate_response), "response_id")


def _bound(validate: Callable[..., list[Problem]]) -> Callable[[object], list[Problem]]:
    """``validate`` with the vocabularies in use now (a stream read later keeps them)."""
    v = active()
    return lambda data: validate(data, v)


def iter_validated(items: Iterable[RawItem | InputError], validate: Callable[[object], list[Problem]],
                   id_key: str, first_seen: dict[str, tuple[str, int]] | None = None) -> Iterator[Record | InputError]:
    """Each item validated as it comes: a Record, or its errors; only the ids seen are kept (in ``first_seen``
    when given: ids seen before these items, as (source, position), for a repeat across calls)."""
    if first_seen is None:
        first_seen = {}
    for item in items:
        if isinstance(item, InputError):
            yield item
            continue
        problems = validate(item.data)
        record_id = item.data.get(id_key) if isinstance(item.data, dict) else None
        if is_usable_id(record_id):
            first = first_seen.setdefault(record_id, (item.source, item.position))
            if first != (item.source, item.position):
                problems = _sorted([*problems, (f"/{id_key}", f"duplicate {id_key}: first seen in {first[0]} #{first[1]}")])
        if problems:
            label = record_label(item.data, id_key, item.position)
            located = getattr(item, "input_errors", None)  # tabular inputs name the sheet, row and column
            yield from (located(label, problems) if located else
                        (InputError(item.source, label, path, message, item.line) for path, message in problems))
        else:
            yield Record(item.source, item.position, item.line, item.data)  # type: ignore[arg-type]


# -- schema errors to messages -----------------------------------------------------------------------------------


def _schema_problems(checker: Draft202012Validator, data: object) -> list[Problem]:
    problems: list[Problem] = []
    for error in checker.iter_errors(data):
        problems.extend(_describe(error))
    return problems


def _describe(error: ValidationError) -> Iterator[Problem]:
    """(pointer, message) pairs for one jsonschema error, built without input values."""
    pointer = _pointer(error.absolute_path)
    keyword, expected = error.validator, error.validator_value
    own_schema = error.schema if isinstance(error.schema, dict) else {}
    custom = own_schema.get("errorMessage")
    if keyword == "required" and isinstance(error.instance, dict):
        for name in expected:
            if name not in error.instance:
                yield f"{pointer}/{_escape(name)}", custom or f'required property "{name}" is missing'
    elif custom:
        yield pointer, custom
    elif keyword == "format" and expected == "date":
        yield pointer, date_message(error.instance)
    elif keyword == "anyOf" and _alternatives_required(expected):
        names = [branch["required"][0] for branch in expected]
        others = " or ".join(f'"{n}"' for n in names[1:])
        yield f"{pointer}/{_escape(names[0])}", f'required property "{names[0]}" (or {others}) is missing'
    else:
        yield pointer, _message(keyword, expected)


def _message(keyword: str, expected: object) -> str:
    """Plain-English message for a keyword, from the schema's expectation only."""
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        named = " or ".join(t for t in types if t != "null")
        return f"must be of type {named}" + (" or null" if "null" in types else "")
    if keyword == "enum":
        values = [v for v in expected if v is not None]  # type: ignore[union-attr]
        return "must be one of: " + ", ".join(str(v) for v in values) + (" (or null)" if None in expected else "")  # type: ignore[operator]
    if keyword == "format":
        return DATE_MESSAGE if expected == "date" else f"must be a valid {expected}"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters long"
    if keyword == "minItems":
        return "must not be empty" if expected == 1 else f"must have at least {expected} items"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "pattern":
        return f"must match the pattern {expected}"
    if keyword == "uniqueItems":
        return "must not contain duplicates"
    if keyword == "const":
        return f"must be {json.dumps(expected)}"
    return f'is not valid (fails the "{keyword}" rule of the schema)'


def _alternatives_required(branches: object) -> bool:
    return isinstance(branches, list) and len(branches) > 1 and all(
        isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches)


# -- checks the schema cannot express ----------------------------------------------------------------------------


def _response_reference_problems(data: dict) -> Iterator[Problem]:
    """Unique ids, and ids that must refer to something inside the record."""
    people = data.get("young_people")
    if isinstance(people, list):
        first_person: dict[str, int] = {}
        for i, person in enumerate(people):
            if not isinstance(person, dict) or not isinstance(person.get("id"), str):
                continue
            own_id = person["id"]
            if own_id in first_person:
                yield f"/young_people/{i}/id", f"duplicate young person id: also used by /young_people/{first_person[own_id]}"
            else:
                first_person[own_id] = i
            connections = person.get("connections")
            for j, connection in enumerate(connections if isinstance(connections, list) else []):
                if isinstance(connection, dict) and connection.get("to") == own_id:
                    yield f"/young_people/{i}/connections/{j}/to", "must not be the young person's own id"

    meetings = data.get("meetings")
    meeting_list = meetings if isinstance(meetings, list) else []
    meeting_types: dict[str, object] = {}
    first_meeting: dict[str, int] = {}
    for i, meeting in enumerate(meeting_list):
        if isinstance(meeting, dict) and isinstance(meeting.get("id"), str):
            if meeting["id"] in first_meeting:
                yield f"/meetings/{i}/id", f"duplicate meeting id: also used by /meetings/{first_meeting[meeting['id']]}"
            else:
                first_meeting[meeting["id"]] = i
                meeting_types[meeting["id"]] = meeting.get("type")
    # A reference to a meeting that is missing or of another type is not malformed: the
    # rules judge it (operational-feeds-back, closure-final-meeting), and the rest of the
    # record is still checked. Only a meeting feeding back to itself is nonsense.
    for i, meeting in enumerate(meeting_list):
        target = meeting.get("feeds_back_to") if isinstance(meeting, dict) else None
        if isinstance(target, str) and target == meeting.get("id"):
            yield f"/meetings/{i}/feeds_back_to", "must not be the meeting's own id"


# -- pointers ----------------------------------------------------------------------------------------------------


def _escape(key: object) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _pointer(parts: Iterable[object]) -> str:
    return "".join("/" + _escape(part) for part in parts)


def _pointer_key(problem: Problem) -> tuple:
    """Sort key: pointer tokens in order, array indexes numerically, then the message."""
    tokens = problem[0].split("/")[1:] if problem[0] else []
    return tuple((0, int(t), "") if t.isascii() and t.isdigit() else (1, 0, t) for t in tokens), problem[1]


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems), key=_pointer_key)
