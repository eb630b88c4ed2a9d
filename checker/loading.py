"""Reading input files into raw items, before any validation.

Inputs are files or folders. A folder is searched recursively (hidden files
and folders are skipped) and its files are read in sorted order, so a run is
deterministic. Files are opened read-only and never changed.

- ``.json``: one JSON object, or a JSON array of objects;
- ``.jsonl`` / ``.ndjson``: JSON Lines, one object per non-blank line;
- ``.csv`` (incident feeds only): see :func:`read_incident_csv`.

What cannot be read becomes an :class:`~checker.errors.InputError` and the
rest of the input is still read: in JSON Lines and CSV only the bad line or
row is lost, in a broken ``.json`` file the whole file is. Messages never
repeat input values.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import stat
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from checker import csvio
from checker.errors import InputError, UsageError, looks_like_field_name
from checker.inputs_guard import duplicates_seen, may_have_surrogates, object_pairs, value_problems
from checker.limits import MAX_INPUT_BYTES, MAX_RECORD_BYTES


Kind = Literal["response", "incident"]

JSON_SUFFIXES = (".json",)
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
SUFFIXES: dict[str, tuple[str, ...]] = {
    "response": JSON_SUFFIXES + JSON_LINES_SUFFIXES,
    "incident": JSON_SUFFIXES + JSON_LINES_SUFFIXES + CSV_SUFFIXES,
}
WHOLE_FILE = ""  # the `record` of an error about a whole file rather than one record
_JSON_WHITESPACE = " \t\n\r"
_DIGITS = re.compile(r"[0-9]+")
_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null"}


@dataclass(frozen=True)
class RawItem:
    """One parsed item of an input file, not yet validated.

    ``position`` is 1-based within the file; ``line`` is the line where the
    item starts (JSON Lines, CSV and elements of a JSON array), else None.
    """

    source: str
    position: int
    line: int | None
    data: object


def record_label(data: object, id_key: str, position: int) -> str:
    """How errors name a record: its id when usable, else ``#<position>``.

    An id is usable when it is a non-blank, printable string of at most 200
    characters (so it can be printed on one line of a report).
    """
    value = data.get(id_key) if isinstance(data, dict) else None
    if is_usable_id(value):
        return value  # type: ignore[return-value]
    return f"#{position}"


def is_usable_id(value: object) -> bool:
    """True for a non-blank, printable string of at most 200 characters."""
    return isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable() and not value.isspace()


def iter_raw(paths: Sequence[str | os.PathLike[str]], kind: Kind,
             mapping: str | os.PathLike[str] | None = None) -> Iterator[RawItem | InputError]:
    """Read every input file under ``paths``, yielding items and errors in order.

    Raises :class:`UsageError` at once (before reading anything) when a path
    does not exist or a file given by name is not of a type accepted for
    ``kind``. Response records may also come from tabular inputs (.xlsx
    workbooks, folders of CSV tables; ``mapping`` says how to read them): see
    checker/tabular; a bad mapping is a ConfigError, also raised at once.
    """
    if kind not in SUFFIXES:
        raise ValueError(f"unknown kind of input: {kind!r}")
    tabular: list[Iterator[RawItem | InputError]] = []
    if kind == "response":  # tabular inputs (issue 12): one local dispatch
        from checker.tabular import split_inputs
        paths, tabular = split_inputs(paths, mapping)
    files = _find_files(paths, SUFFIXES[kind])
    return itertools.chain(*tabular, _read_files(files))


def read_incident_csv(path: str | os.PathLike[str], source: str | None = None) -> Iterator[RawItem | InputError]:
    """Read an incident feed in CSV, one item per data row.

    The file is read as UTF-8 (a byte order mark is allowed). Cells are
    stripped and empty cells are left out of the item, except ``connections``,
    which is split on ``;`` into a list of ids (``[]`` when empty). An
    all-digit ``age`` becomes an integer; any other age is kept as text so that
    validation reports it. Rows with every cell empty are skipped. The CSV is
    strict (checker.csvio): a row with an unbalanced quote, more or fewer cells
    than the header, or bytes that are not UTF-8 is an error of that row only,
    naming its line; every other row is read.
    """
    source = os.fspath(path) if source is None else source
    raw = yield from _read_bytes(Path(path), source)
    if raw is not None:
        yield from _read_csv_rows(raw, source)


# -- finding files -----------------------------------------------------------------------------------------------


def _find_files(paths: Sequence[str | os.PathLike[str]], suffixes: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(source, path) of every input file, in order, each file once."""
    for given in paths:
        if not Path(given).exists():
            raise UsageError(f"path not found: {os.fspath(given)}")
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for given in paths:
        root = Path(given)
        if root.is_dir():
            candidates = [(os.path.join(os.fspath(given), *rel), root.joinpath(*rel)) for rel in _folder_files(root, suffixes)]
        elif root.suffix.lower() in suffixes:
            candidates = [(os.fspath(given), root)]
        else:
            raise UsageError(f"not a supported input file (expected {', '.join(suffixes)}): {os.fspath(given)}")
        for source, path in candidates:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                found.append((source, path))
    return found


def _folder_files(root: Path, suffixes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Relative paths (as parts) of the accepted files under ``root``, sorted.

    Symbolic links to folders are followed (each real folder is searched once,
    so a link loop ends), as links to files are."""
    out = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel_dir = Path(dirpath).relative_to(root).parts
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in suffixes:
                out.append((*rel_dir, name))
    return sorted(out)


def skipped_files(paths: Sequence[str | os.PathLike[str]], kind: Kind) -> int:
    """How many (not hidden) files in the input folders are not of a type read for ``kind``."""
    count = 0
    for given in paths:
        if Path(given).is_dir():
            for dirpath, dirnames, filenames in os.walk(given, followlinks=True):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                count += sum(1 for n in filenames if not n.startswith(".")
                             and Path(n).suffix.lower() not in SUFFIXES[kind])
    return count


def _read_files(files: Iterable[tuple[str, Path]]) -> Iterator[RawItem | InputError]:
    for source, path in files:
        suffix = path.suffix.lower()
        if suffix in CSV_SUFFIXES:
            yield from read_incident_csv(path, source)
        elif suffix in JSON_LINES_SUFFIXES:
            yield from _read_json_lines(path, source)
        else:
            yield from _read_json(path, source)


# -- JSON and JSON Lines -----------------------------------------------------------------------------------------


def _read_json(path: Path, source: str) -> Iterator[RawItem | InputError]:
    """A ``.json`` file: one object, or an array of objects."""
    text = yield from _read_text(path, source)
    if text is None:
        return
    surrogates = may_have_surrogates(text)
    seen = duplicates_seen()
    if not text.strip(_JSON_WHITESPACE):
        yield _file_error(source, "file is empty")
        return
    try:
        values = _parse_json_document(text)
    except json.JSONDecodeError as exc:
        yield _file_error(source, f"not valid JSON at line {exc.lineno} column {exc.colno}", exc.lineno)
        return
    except RecursionError:
        yield _file_error(source, "JSON nested too deeply to read")
        return
    walk = surrogates or duplicates_seen() != seen
    for position, (line, value) in enumerate(values, start=1):
        yield from _items(source, position, line, value, surrogates, walk)


def _parse_json_document(text: str) -> list[tuple[int | None, object]]:
    """Parse a JSON document into (line, value) pairs.

    A top-level array gives one pair per element, with the line where the
    element starts; any other document gives one pair with line None. Raises
    ``json.JSONDecodeError`` (with the position in ``text``) when it is not
    valid JSON.
    """
    decoder = json.JSONDecoder(object_pairs_hook=object_pairs)
    start = _skip_whitespace(text, 0)
    if text[start] != "[":
        value, end = decoder.raw_decode(text, start)
        _expect_end(text, end)
        return [(None, value)]
    lines = _LineCounter(text)
    items: list[tuple[int | None, object]] = []
    index = _skip_whitespace(text, start + 1)
    if index < len(text) and text[index] == "]":
        _expect_end(text, index + 1)
        return items
    while True:
        value, end = decoder.raw_decode(text, index)
        items.append((lines.line_at(index), value))
        index = _skip_whitespace(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_whitespace(text, index + 1)
        elif index < len(text) and text[index] == "]":
            _expect_end(text, index + 1)
            return items
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


def _skip_whitespace(text: str, index: int) -> int:
    while index < len(text) and text[index] in _JSON_WHITESPACE:
        index += 1
    return index


def _expect_end(text: str, index: int) -> None:
    index = _skip_whitespace(text, index)
    if index != len(text):
        raise json.JSONDecodeError("Extra data", text, index)


class _LineCounter:
    """Line numbers of increasing offsets in a text, counted incrementally."""

    def __init__(self, text: str) -> None:
        self._text, self._offset, self._line = text, 0, 1

    def line_at(self, offset: int) -> int:
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def _read_json_lines(path: Path, source: str) -> Iterator[RawItem | InputError]:
    """A JSON Lines file, read line by line (streamed): one object per non-blank line; a bad line loses only
    itself. Parsed with the standard library and ``object_pairs`` so a repeated key is seen (orjson takes the
    last value silently)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            yield _file_error(source, "not a regular file (a pipe, device or socket): skipped")
            return
        if info.st_size > MAX_INPUT_BYTES:
            yield _file_error(source, f"larger than {MAX_INPUT_BYTES >> 30} GiB: skipped")
            return
        handle = path.open("rb")
    except OSError as exc:
        yield _file_error(source, _os_message(exc))
        return
    with handle:
        position = 0
        line_no = 0
        while True:
            try:
                chunk = handle.readline(MAX_RECORD_BYTES + 1)
                too_long = len(chunk) > MAX_RECORD_BYTES and not chunk.endswith(b"\n")
                while too_long:  # skip the rest of an over-long line
                    rest = handle.readline(MAX_RECORD_BYTES + 1)
                    if not rest or rest.endswith(b"\n"):
                        break
            except OSError as exc:
                yield _file_error(source, _os_message(exc))
                return
            if not chunk:
                return
            line_no += 1
            if chunk.endswith(b"\n"):
                chunk = chunk[:-1]
            if line_no == 1 and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
            if not chunk.strip():
                continue
            position += 1
            if too_long:
                yield InputError(source, f"#{position}", "", f"line {line_no} is too long to read "
                                 f"(more than {MAX_RECORD_BYTES >> 20} MiB)", line_no)
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                yield InputError(source, f"#{position}", "", f"not valid UTF-8 text at line {line_no}", line_no)
                continue
            seen = duplicates_seen()
            try:
                value = json.loads(text, object_pairs_hook=object_pairs)
            except json.JSONDecodeError as exc:
                yield InputError(source, f"#{position}", "", f"not valid JSON at line {line_no} column {exc.colno}",
                                 line_no)
                continue
            except RecursionError:
                yield InputError(source, f"#{position}", "", f"JSON nested too deeply to read at line {line_no}",
                                 line_no)
                continue
            surrogates = may_have_surrogates(text)
            yield from _items(source, position, line_no, value, surrogates, surrogates or duplicates_seen() != seen)


def _items(source: str, position: int, line: int | None, value: object,
           surrogates: bool = True, walk: bool = True) -> Iterator[RawItem | InputError]:
    """The item, or its errors: not an object, a key repeated, a lone surrogate (checker.inputs_guard)."""
    if not isinstance(value, dict):
        found = _TYPE_NAMES.get(type(value), "not an object")
        yield InputError(source, f"#{position}", "", f"must be a JSON object, not {found}", line)
        return
    problems = value_problems(value, surrogates) if walk else []
    if not problems:
        yield RawItem(source, position, line, value)
        return
    label = _label(value, position)
    for pointer, message in sorted(set(problems)):
        yield InputError(source, label, pointer, message, line)


def _label(value: dict, position: int) -> str:
    for key in ("response_id", "incident_id"):
        if is_usable_id(value.get(key)):
            return value[key]
    return f"#{position}"


# -- CSV ---------------------------------------------------------------------------------------------------------


def _read_csv_rows(raw: bytes, source: str) -> Iterator[RawItem | InputError]:
    rows = csvio.read_rows(raw)
    header = next(rows, None)
    if header is None:
        yield _file_error(source, "file is empty")
        return
    if isinstance(header, csvio.RowError):
        yield _file_error(source, header.message if header.message.startswith("not valid")
                          else f"not valid CSV at line {header.line}", header.line)
        return
    names = [name.strip() for name in header.cells]
    for name in names:
        if names.count(name) > 1:
            shown = looks_like_field_name(name)
            yield InputError(source, WHOLE_FILE, "/" + _escape(name) if shown else "",
                             "column appears more than once in the header row" if shown
                             else "a column appears more than once in the header row", 1)
            return
    position = 0
    for row in rows:
        position += 1
        if isinstance(row, csvio.RowError):
            cells = {n: c.strip() for n, c in zip(names, row.cells or ())}
            yield InputError(source, record_label(cells, "incident_id", position), "", row.message, row.line)
        else:
            yield _csv_item(names, row.cells, source, position, row.line)


def _csv_item(names: list[str], cells: list[str], source: str, position: int, line: int) -> RawItem | InputError:
    # (in column order: each non-empty cell stripped; connections always, as a list; an all-digit age an integer)
    data: dict[str, object] = {name: cell.strip() for name, cell in zip(names, cells)
                               if name == "connections" or not cell.isspace() and cell}
    value = data.get("connections")
    if value is not None:
        data["connections"] = [part.strip() for part in value.split(";") if part.strip()] if value else []
    value = data.get("age")
    if value is not None and _DIGITS.fullmatch(value):
        data["age"] = int(value)
    return RawItem(source, position, line, data)


# -- helpers -----------------------------------------------------------------------------------------------------


def _read_bytes(path: Path, source: str) -> Generator[InputError, None, bytes | None]:
    """The whole file, or None after yielding why it is not read: not a regular file (a FIFO, a
    device such as /dev/zero, a socket), larger than ``MAX_INPUT_BYTES``, or unreadable."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            yield _file_error(source, "not a regular file (a pipe, device or socket): skipped")
            return None
        if info.st_size > MAX_INPUT_BYTES:
            yield _file_error(source, f"larger than {MAX_INPUT_BYTES >> 30} GiB: skipped")
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        yield _file_error(source, _os_message(exc))
        return None
    if len(raw) > MAX_INPUT_BYTES:
        yield _file_error(source, f"larger than {MAX_INPUT_BYTES >> 30} GiB: skipped")
        return None
    return raw


def _read_text(path: Path, source: str) -> Generator[InputError, None, str | None]:
    """The whole file as text (UTF-8, byte order mark allowed), or None after yielding why it cannot be read."""
    raw = yield from _read_bytes(path, source)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        yield _file_error(source, f"not valid UTF-8 text at line {line}", line)
        return None


def _file_error(source: str, message: str, line: int | None = None) -> InputError:
    return InputError(source, WHOLE_FILE, "", message, line)


def _os_message(exc: OSError) -> str:
    return f"cannot be read: {exc.strerror or 'input/output error'}"


def _escape(key: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
