"""Errors about the input: what the report lists under ``input_errors``.

Records are children's personal data, so an :class:`InputError` names where a
problem is (file, record, JSON pointer, line) and what is wrong, but never
repeats a value from the input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def looks_like_field_name(key: str) -> bool:
    """True for a lower-case snake_case name, like every name of the exchange format.

    Only such names of unexpected keys or columns are shown in messages and
    pointers: any other key could be input data (say, a child's name used as a key).
    """
    return bool(_FIELD_NAME.fullmatch(key))


class UsageError(Exception):
    """The command was used wrongly (e.g. a path that does not exist): exit code 2."""


@dataclass(frozen=True)
class InputError:
    """One problem with one input record (or with a whole file).

    ``source``: the file path as given by the user (for files found in a
    folder: the folder as given joined with the path inside it).
    ``record``: the record's ``response_id`` / ``incident_id`` when it has a
    usable one, else ``#<1-based position in the file>``; ``""`` when the
    whole file could not be read.
    ``path``: JSON pointer inside the record (``""`` = the whole record); for
    CSV the column as a pointer, ``/<column>``.
    ``message``: plain English, never containing a value from the input.
    ``line``: line number in the file, where known.
    """

    source: str
    record: str
    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict:
        """The error as it appears in the JSON report (``line`` only when known)."""
        out: dict = {"source": self.source, "record": self.record, "path": self.path, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        return out


class ConfigError(Exception):
    """Rules, parameters, waivers or options are wrong: exit code 2, nothing evaluated."""
