"""The fast path of validation: a compiled validator for the records that are valid.

jsonschema's schemas (``checker/schemas``, with the role, agency and item codes of the
vocabularies in use: checker.validation.record_schema) stay the contract, and jsonschema
stays the judge of every record this fast path does not accept: it alone
produces the messages. The same schema is compiled once per process by
fastjsonschema (as draft-07 code: every keyword the schemas use means the same
there), with the *same* format-check functions as jsonschema's
``checker.validation.FORMAT_CHECKER``, so the two cannot disagree on a format.

A record the compiled validator accepts is valid. Anything else (rejected, or
the compiled code failing in any way) goes to jsonschema's detailed walk, whose
verdict stands: if jsonschema finds nothing wrong, the record is valid. So a
difference between the two can only cost time, never change a verdict, except
where the compiled code accepts what jsonschema would reject; the property tests
(tests/test_fastvalidate.py) mutate records to show that does not happen.

Only the verdict of the compiled code is used, never its message: so the code is generated once
(``fastjsonschema.compile_to_code``) and its eager building of error names is taken out before it
is run. fastjsonschema passes every ``$ref`` call inside an array the name of the item, built with
``"...".format(**locals())`` on every call (about 350 times a heavy response record) though it is
read only in a raised exception's message; the name becomes ``"data"``. That took the compiled
validator from about 4.4 to 1.0-1.7 ms a heavy response. Should the generated code ever not have
that shape, or not run, ``fastjsonschema.compile`` is used as it comes.
"""
from __future__ import annotations

import copy
import functools
import re
from functools import cache
from typing import Callable

import fastjsonschema

DRAFT = "http://json-schema.org/draft-07/schema#"


def compiled(name: str, vocabularies=None) -> Callable[[object], object] | None:
    """The compiled validator of schema ``name`` with the role, agency and item codes of ``vocabularies``
    (default: the vocabularies in use), or None when it cannot be compiled (jsonschema alone then)."""
    from .vocab import active

    return _compiled(name, (vocabularies or active()).key)


@cache
def _compiled(name: str, key: tuple) -> Callable[[object], object] | None:
    definition = compiled_schema(name, key)
    formats = _formats()
    try:  # (detailed_exceptions=False fails to compile these schemas in fastjsonschema 2.22)
        return _without_eager_names(definition, formats) or fastjsonschema.compile(
            definition, formats=formats, use_default=False)
    except Exception:  # pragma: no cover - a schema keyword fastjsonschema does not know
        return None


def compiled_schema(name: str, key: tuple | None = None) -> dict:
    """The schema as compiled: the record schema with the vocabularies' codes, as draft-07 (a copy)."""
    from .validation import _record_schema
    from .vocab import active

    definition = copy.deepcopy(_record_schema(name, key if key is not None else active().key))
    definition["$schema"] = DRAFT
    return definition


def _formats() -> dict:
    from .validation import FORMAT_CHECKER

    return {fmt: func for fmt, (func, _raises) in FORMAT_CHECKER.checkers.items()}


# The name fastjsonschema builds for a $ref call or a message: ``(name_prefix or "data") + "[{i}]".format(**locals())``
_EAGER_NAME = re.compile(r'\(name_prefix or "data"\) \+ "[^"\n]*"\.format\(\*\*locals\(\)\)')
_FUNCTION = re.compile(r"^def (validate_\w+)\(data, custom_formats=\{\}, name_prefix=None\):$", re.MULTILINE)


def _without_eager_names(definition: dict, formats: dict) -> Callable[[object], object] | None:
    """The compiled validator with its error names made constant (see the module docstring), or None."""
    try:
        code = fastjsonschema.compile_to_code(definition, formats=formats, use_default=False)
        entry = _FUNCTION.search(code)
        if entry is None or "format(**locals())" not in code:
            return None
        code = _EAGER_NAME.sub('"data"', code)
        if "locals()" in code:
            return None
        namespace: dict = {}
        exec(compile(code, "<fastjsonschema>", "exec"), namespace)  # noqa: S102 - code generated from our own schema
        return functools.partial(namespace[entry.group(1)], custom_formats=formats)
    except Exception:  # pragma: no cover - another fastjsonschema: its own compile() is used
        return None


def is_valid(name: str, data: object, vocabularies=None) -> bool:
    """True when the compiled validator accepts ``data`` (False: ask jsonschema); codes as in ``compiled``."""
    check = compiled(name, vocabularies)
    if check is None:  # pragma: no cover - see compiled()
        return False
    try:
        check(data)
    except Exception:  # JsonSchemaValueException, or anything the compiled code or a format check raised
        return False
    return True


# -- incident rows: a plain check before the compiled one ----------------------------------------------------------

# What the incident schema (checker/schemas/incident.json) says of each property, as a cheap test that only ever
# accepts rows the schema accepts: anything it is not sure of goes on to the compiled validator, then jsonschema.
# tests/test_fastvalidate.py checks it against the schema (same properties, same required keys, same enum) and
# against jsonschema on mutated rows.
INCIDENT_REQUIRED = ("incident_id", "young_person_id", "date")
INCIDENT_OPTIONAL_TEXT = ("setting_id", "area")  # a string or null
INCIDENT_DATES = ("date", "date_of_birth")
INCIDENT_REPORTED_BY = frozenset({"childrens_services", "police", "health", "education", "local_authority",
                                  "district_council", "early_help", "third_sector", "other", None})


_KNOWN_DATES: dict[str, bool] = {}  # is_date of the date strings seen (a feed repeats a few thousand dates)


def _is_date(value: str) -> bool:
    known = _KNOWN_DATES.get(value)
    if known is None:
        from .validation import is_date

        if len(_KNOWN_DATES) >= 100_000:
            _KNOWN_DATES.clear()
        known = _KNOWN_DATES[value] = is_date(value)
    return known


def plain_incident(data: object) -> bool:
    """True when an incident row is plainly valid (the common row of a feed); False: not sure, ask the validators."""
    if type(data) is not dict:
        return False
    for key in INCIDENT_REQUIRED:
        value = data.get(key)
        if type(value) is not str or not value:
            return False
    for key in INCIDENT_DATES:
        if key in data and (type(data[key]) is not str or not _is_date(data[key])):
            return False
    if "age" in data:
        age = data["age"]
        if type(age) is not int or age < 0:
            return False
    elif "date_of_birth" not in data:
        return False
    for key in INCIDENT_OPTIONAL_TEXT:
        value = data.get(key)
        if value is not None and type(value) is not str:
            return False
    if "connections" in data:
        value = data["connections"]
        if type(value) is not list or not all(type(c) is str and c for c in value):
            return False
    value = data.get("reported_by")
    return (type(value) is str or value is None) and value in INCIDENT_REPORTED_BY
