"""The JSON report of exchange format v1 (section 4), extended additively."""
from __future__ import annotations

import json

from ..api import Report

try:  # orjson writes the same bytes as json.dumps(indent=2, ensure_ascii=False), about 20x faster
    import orjson as _orjson
except ImportError:  # pragma: no cover - a declared dependency
    _orjson = None


def encode_json(value: object) -> str:
    """``value`` as indented JSON text (two spaces, non-ASCII kept), ending in a newline."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, option=_orjson.OPT_INDENT_2 | _orjson.OPT_APPEND_NEWLINE).decode("utf-8")
        except TypeError:  # e.g. an integer beyond 64 bits or a key that is not a string: the standard library
            pass
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def render_json(report: Report) -> str:
    return encode_json(report.to_dict())
