"""The JSON report of exchange format v1 (section 4), extended additively."""
from __future__ import annotations

import json

from typing import Iterator

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


_RESPONSES = b'\n  "responses": [],\n'  # where the responses go in the indented report (always followed by more keys)


def iter_json(report: Report) -> Iterator[bytes]:
    """The bytes of :func:`render_json`, in chunks: one response at a time is turned into a dict and encoded,
    so the report is never whole in memory as a dict, a string and bytes (tests/test_report_streaming.py)."""
    head = encode_json(report.to_dict(responses=False)).encode("utf-8")
    at = head.find(_RESPONSES)
    if at < 0 or not report.responses:  # (no responses: the head is the report)
        yield head
        return
    yield head[:at + len(_RESPONSES) - 3]  # up to and including '"responses": ['
    separator = b"\n    "
    for response in report.responses:
        yield separator
        yield encode_json(response.to_dict()).rstrip("\n").encode("utf-8").replace(b"\n", b"\n    ")
        separator = b",\n    "
    yield b"\n  ]" + head[at + len(_RESPONSES) - 2:]
