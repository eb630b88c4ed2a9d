"""Guards between raw input and validation: what JSON syntax allows but a record must not carry.

* **Duplicate keys.** ``{"status": "open", "status": "closed"}`` is valid JSON
  syntax, but which value the export meant is unknown: the parser would keep
  the last one silently. Every repeated key is an input error at its pointer.
* **Lone surrogates.** ``"\\ud800"`` is valid JSON syntax but not text: it
  cannot be written to any report (UTF-8 refuses it). Any string, key or value,
  holding one is an input error at its pointer.
* **Containment.** :func:`contained_error` turns any failure while checking
  one record into that record's input error (file, record, line), so one
  record never stops the run. Messages name the kind of failure only, never a
  value from the input.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from .errors import InputError, looks_like_field_name

Problem = tuple[str, str]  # (JSON pointer, message)

DUPLICATE_KEY_MESSAGE = "key appears more than once in the same object (which value is meant is unknown)"
SURROGATE_MESSAGE = "contains a lone surrogate escape (such as \\ud800): not valid Unicode text"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _DuplicateKeys(dict):
    """A JSON object that had repeated keys (the last value kept, as ``json`` does); ``duplicates`` names them."""

    duplicates: tuple[str, ...] = ()


class _Seen:
    duplicates = 0  # objects with a repeated key parsed so far (lets readers skip the walk when none)


def duplicates_seen() -> int:
    return _Seen.duplicates


def object_pairs(pairs: list[tuple[str, Any]]) -> dict:
    """``object_pairs_hook`` for the json module: a plain dict, marked when a key repeats."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    _Seen.duplicates += 1
    seen: set[str] = set()
    repeated = []
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    marked = _DuplicateKeys(out)
    marked.duplicates = tuple(repeated)
    return marked


def may_have_surrogates(text: str) -> bool:
    """Cheap test of the JSON text: can a decoded string hold a lone surrogate?"""
    return bool(_SURROGATE_ESCAPE.search(text)) or bool(_SURROGATE.search(text))


def value_problems(value: object, check_surrogates: bool = True) -> list[Problem]:
    """Duplicate keys and lone surrogates anywhere in a parsed JSON value, with their pointers."""
    return list(_walk(value, "", check_surrogates))


def _walk(value: object, pointer: str, surrogates: bool) -> Iterator[Problem]:
    """Depth-first, without recursion. A key that does not look like a field name could be data (a
    child's name used as a key): the pointer stops at the object that holds it."""
    stack: list[tuple[object, str, bool]] = [(value, pointer, False)]
    while stack:
        node, ptr, frozen = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _DuplicateKeys):
                for key in node.duplicates:
                    shown = not frozen and looks_like_field_name(key)
                    yield (ptr + "/" + key if shown else ptr), DUPLICATE_KEY_MESSAGE
            for key, child in node.items():
                if surrogates and not _is_text(key):
                    yield ptr, "a key " + SURROGATE_MESSAGE.replace("contains", "that contains", 1)
                    continue
                shown = not frozen and looks_like_field_name(key)
                stack.append((child, ptr + "/" + key if shown else ptr, not shown or frozen))
        elif isinstance(node, list):
            stack.extend((child, ptr if frozen else f"{ptr}/{i}", frozen) for i, child in enumerate(node))
        elif surrogates and isinstance(node, str) and not _is_text(node):
            yield ptr, SURROGATE_MESSAGE


def _is_text(value: str) -> bool:
    return not _SURROGATE.search(value)


def contained_error(rec: Any, id_key: str, exc: BaseException, pointer: str = "") -> InputError:
    """The input error for a record (``source``, ``position``, ``line``, ``data``) whose check failed."""
    from .loading import record_label

    return InputError(rec.source, record_label(rec.data, id_key, rec.position), pointer,
                      f"could not be checked ({type(exc).__name__}); the other records were checked", rec.line)


# -- ids: no control characters ----------------------------------------------------------------------------------

# Fields that hold ids or codes (exchange format v1, response records and incident rows), at any depth.
# Reports print them, so a line break or control character in one could forge a report line.
ID_FIELDS = frozenset({
    "response_id", "id", "to", "feeds_back_to", "final_meeting", "meeting", "young_person", "incident_id",
    "young_person_id", "connections", "setting_id", "previous_setting_id", "area", "areas", "home_area",
    "local_authority",
})
ID_CONTROL_MESSAGE = "must not contain control characters, line breaks or invisible formatting characters"
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def has_control(text: str) -> bool:
    import unicodedata

    return not text.isprintable() and any(unicodedata.category(c) in _BAD_CATEGORIES for c in text)


def id_problems(record: object) -> list[Problem]:
    """Id and code fields (``ID_FIELDS``, at any depth; strings or lists of strings) holding control characters."""
    if type(record) is dict and _flat_and_printable(record):
        return []  # (an incident row, say: nothing nested, and no string could hold a control character)
    if _ids_printable(record):
        return []  # (a response record, nearly always: the walk below would only build pointers to find nothing)
    return _id_walk(record)


def _ids_printable(record: object) -> bool:
    """True when every string ``_id_walk`` could object to is printable: every id field's string at any depth,
    under any key, and every string in any list. This is a superset of what the walk looks at (it descends only
    into field-name keys, and reads lists only under id fields), and ``has_control`` needs a string that is not
    printable, so True means the walk finds nothing. No pointer is built: on a heavy response this is about
    a tenth of the walk's time."""
    stack = [record]
    pop, push, ids = stack.pop, stack.append, ID_FIELDS
    while stack:
        node = pop()
        if type(node) is dict:
            for key, value in node.items():
                kind = type(value)
                if kind is str:
                    if key in ids and not value.isprintable():
                        return False
                elif kind is dict or kind is list:
                    push(value)
                elif isinstance(value, (dict, list, str)):
                    return False  # (a subclass: not from a JSON parser; let the walk judge it)
        elif type(node) is list:
            for item in node:
                kind = type(item)
                if kind is str:
                    if not item.isprintable():
                        return False
                elif kind is dict or kind is list:
                    push(item)
                elif isinstance(item, (dict, list, str)):
                    return False
        else:
            return False
    return True


def _id_walk(record: object) -> list[Problem]:
    out: list[Problem] = []
    stack: list[tuple[object, str]] = [(record, "")]
    while stack:
        node, ptr = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    continue
                here = f"{ptr}/{key}" if looks_like_field_name(key) else ptr
                if key in ID_FIELDS:
                    if isinstance(value, str) and has_control(value):
                        out.append((here, ID_CONTROL_MESSAGE))
                    elif isinstance(value, list):
                        out.extend((f"{here}/{i}", ID_CONTROL_MESSAGE) for i, v in enumerate(value)
                                   if isinstance(v, str) and has_control(v))
                if isinstance(value, (dict, list)) and looks_like_field_name(key):
                    stack.append((value, here))
        elif isinstance(node, list):
            stack.extend((child, f"{ptr}/{i}") for i, child in enumerate(node) if isinstance(child, (dict, list)))
    return out


def _flat_and_printable(record: dict) -> bool:
    """True when no value is a dict and every string, alone or in a list of strings, is printable: then no
    id field can hold a control character (``has_control`` needs a string that is not printable)."""
    for value in record.values():
        kind = type(value)
        if kind is str:
            if not value.isprintable():
                return False
        elif kind is list:
            for item in value:
                if type(item) is not str or not item.isprintable():
                    return False
        elif kind is dict or isinstance(value, (dict, list)):
            return False
    return True
