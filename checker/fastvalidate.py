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
"""
from __future__ import annotations

import copy
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
    from .validation import FORMAT_CHECKER, _record_schema

    definition = copy.deepcopy(_record_schema(name, key))
    definition["$schema"] = DRAFT
    formats = {fmt: func for fmt, (func, _raises) in FORMAT_CHECKER.checkers.items()}
    try:  # (detailed_exceptions=False fails to compile these schemas in fastjsonschema 2.22)
        return fastjsonschema.compile(definition, formats=formats, use_default=False)
    except Exception:  # pragma: no cover - a schema keyword fastjsonschema does not know
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
