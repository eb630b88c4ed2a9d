"""Strict CSV: one bad row costs only itself.

A CSV file is read line by line from its bytes (UTF-8; a byte order mark is
allowed), so that:

- a line that is not UTF-8 is an error of that row only;
- a quoted cell may hold line breaks (RFC 4180), but only if the row it starts
  is then well formed, has as many cells as the header and spans at most
  ``MAX_CSV_ROW_LINES`` lines; otherwise the quote is *unbalanced*: the row
  where it starts is an error and reading goes on at the very next line, so a
  stray quote never swallows the rest of the feed;
- a row with more or fewer cells than the header, a quote inside an unquoted
  cell, a NUL byte or an oversized row is an error of that row only.

:func:`read_rows` yields :class:`Row` (the header first) and
:class:`RowError`, each with its 1-based line number; the caller names the
file and the record. Messages never repeat a value from the input.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Iterator

from .limits import MAX_CSV_ROW_LINES, MAX_RECORD_BYTES

UNBALANCED = "unbalanced quote: a quoted cell is not closed on this row"


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    cells: list[str] | None = None  # when the row could be split into cells (wrong number of cells)


class _Dialect(csv.excel):
    strict = True


def read_rows(raw: bytes) -> Iterator[Row | RowError]:
    """The header row, then every data row or its error; blank lines are skipped.

    Data rows are checked against the header's number of cells. A header that
    cannot be read is a RowError and nothing else is yielded."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.splitlines(keepends=True)
    width: int | None = None
    plain_limit = min(csv.field_size_limit(), MAX_RECORD_BYTES)
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        outcome = _plain_row(line, i + 1, plain_limit) if width is not None else None
        if outcome is not None:
            taken = 1
        else:
            taken, outcome = _one_row(lines, i)
        if isinstance(outcome, Row) and width is not None and not any(c.strip() for c in outcome.cells):
            i += taken  # a row of empty cells is a blank row
            continue
        if width is None:  # the header: nothing can be read without it
            if isinstance(outcome, RowError):
                yield outcome
                return
            width = len(outcome.cells)
            yield outcome
            i += taken
            continue
        if isinstance(outcome, Row) and len(outcome.cells) != width:
            if taken > 1:  # a quoted line break gave the wrong shape: the quote was a stray one
                outcome, taken = RowError(i + 1, UNBALANCED), 1
            else:
                outcome = RowError(i + 1, "row has more cells than the header row" if len(outcome.cells) > width
                                   else "row has fewer cells than the header row", outcome.cells)
        elif isinstance(outcome, RowError):
            taken = 1
        yield outcome
        i += taken


def _plain_row(line: bytes, number: int, limit: int) -> Row | None:
    """The fast path for a line with no quote and no NUL (most rows of a feed): its cells are what lies between
    the commas, as the csv module would read them; None (take the full path) for any other line."""
    if b'"' in line or b"\0" in line or len(line) > limit:
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return Row(number, text.rstrip("\r\n").split(","))  # (bytes.splitlines left line breaks only at the end)


def _one_row(lines: list[bytes], start: int) -> tuple[int, Row | RowError]:
    """(lines used, the row or its error) for the row starting at ``lines[start]``."""
    parts: list[str] = []
    quotes = 0
    size = 0
    for n in range(start, min(len(lines), start + MAX_CSV_ROW_LINES)):
        size += len(lines[n])
        if size > MAX_RECORD_BYTES:
            return 1, RowError(start + 1, "row is too long to read")
        try:
            text = lines[n].decode("utf-8")
        except UnicodeDecodeError:
            return 1, RowError(start + 1, f"not valid UTF-8 text at line {n + 1}" if n == start else UNBALANCED)
        parts.append(text)
        quotes += text.count('"')
        if quotes % 2 == 0:
            return n - start + 1, _parse("".join(parts), start + 1)
    return 1, RowError(start + 1, UNBALANCED)


def _parse(text: str, line: int) -> Row | RowError:
    try:
        rows = list(csv.reader([text], _Dialect))
    except csv.Error:
        return RowError(line, f"not valid CSV at line {line}")
    if len(rows) != 1:
        return RowError(line, f"not valid CSV at line {line}")
    return Row(line, rows[0])
