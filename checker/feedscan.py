"""Incident feeds in CSV read fast, on one core or two: episodes straight from the file's lines.

``checker.groups.find_groups`` reads a CSV feed here; every other feed (JSON, JSON Lines) goes
the general way (checker.loading -> checker.validation -> checker.detection.prepare).

A CSV file is *scanned*: each line that is plainly a good row (no quote, no NUL, no space, printable,
as many cells as the header, every value one the schema plainly accepts, an id not seen before, a
date of birth not after the episode) becomes its episode at once, with no dict per row and each
distinct date parsed once. Every other row is *marked*: it is read and registered (its id counts for
duplicates), and later taken the general way, one row at a time, in input order, with its position in
the file: ``checker.loading``'s row reading, ``checker.validation.validate_incident`` and
``checker.detection`` 's episode making. So errors, their order and their messages are those of the
general way, and the episodes are the same (detection sorts them by day, child and incident id, a
total order, so the order they come in does not matter).

**Two cores.** With ``jobs`` > 1 a large file is cut in two at a line boundary that no row can
straddle: a line preceded by ``MAX_CSV_ROW_LINES`` lines with no quote character (a row spans at most
that many lines, and a row of more than one line begins and ends on a line with a quote). A forked
worker scans the second half while this process scans the first; positions in the second half are
offset by the number of rows of the first. If no such line is found near the middle, the file is read
by one scanner. If the halves share an incident id (a duplicate across the cut), the first half did not
end exactly at the cut, or the worker fails, the second half is taken the general way in this process:
the result is always that of one process.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import csvio
from .csvio import Row, RowError
from .detection import Episode, Prepared, _prepare_row
from .errors import InputError
from .fastvalidate import INCIDENT_REPORTED_BY
from .inputs_guard import contained_error
from .limits import MAX_CSV_ROW_LINES, MAX_RECORD_BYTES
from .loading import (CSV_SUFFIXES, SUFFIXES, _csv_item, _find_files, _read_bytes, _read_files, is_usable_id,
                      record_label)
from .parallel import Forked
from .validation import Record, _sorted, validate_incident

SPLIT_MIN_BYTES = 4 << 20  # a smaller file is read by one scanner (a fork costs more than it saves)



@dataclass
class Feed:
    """What the general loop of ``find_groups`` keeps: read errors in input order, rows read, episodes."""

    prepared: Prepared = field(default_factory=Prepared)
    errors: list[InputError] = field(default_factory=list)
    read: int = 0


class _FirstSeen(dict):
    """incident id -> (source, position) of its first row, across files; scanned ranges are kept as they came
    (id -> position in the range) and looked up first."""

    def __init__(self) -> None:
        super().__init__()
        self.scans: list[tuple[str, int, dict[str, int]]] = []

    def setdefault(self, key, default):  # type: ignore[override]
        for source, offset, ids in self.scans:
            pos = ids.get(key)
            if pos is not None:
                return source, offset + pos
        return dict.setdefault(self, key, default)

    def clashes(self, ids: dict[str, int]) -> bool:
        return not self.keys().isdisjoint(ids) or any(not seen.keys().isdisjoint(ids) for _, _, seen in self.scans)


@dataclass
class _Scan:
    """One range of a CSV file scanned: episodes as columns, the marked rows, ids, counts."""

    end: int = 0                      # the line index after the last row read
    rows: int = 0                     # rows (positions) in the range
    ids: dict[str, int] = field(default_factory=dict)   # usable incident id -> position in the range (first)
    marked: list[tuple[int, int]] = field(default_factory=list)  # (line index, position in the range)
    read: int = 0                     # valid rows among the plain ones
    adults: int = 0
    after_as_of: int = 0
    episodes: list = field(default_factory=list)


class _Plan:
    """The columns of a feed's header, and what a scan needs to know."""

    def __init__(self, names: list[str], as_of: dt.date, adult_age: int) -> None:
        self.names, self.width = names, len(names)
        col = {name: i for i, name in enumerate(names)}
        self.id, self.child, self.date = col.get("incident_id"), col.get("young_person_id"), col.get("date")
        self.born, self.age, self.setting = col.get("date_of_birth"), col.get("age"), col.get("setting_id")
        self.area, self.conn, self.by = col.get("area"), col.get("connections"), col.get("reported_by")
        self.usable = self.id is not None and self.child is not None and self.date is not None and (
            self.born is not None or self.age is not None)
        self.as_of, self.adult_age = as_of.toordinal(), adult_age


_DATES: dict[str, tuple[int, int, int] | None] = {}  # date text -> (ordinal, year, month * 100 + day), None: not plain


def _date(text: str) -> tuple[int, int, int] | None:
    from .validation import is_date

    if len(_DATES) >= 100_000:
        _DATES.clear()
    if not is_date(text):
        _DATES[text] = None
        return None
    day = dt.date.fromisoformat(text)
    out = _DATES[text] = (day.toordinal(), day.year, day.month * 100 + day.day)
    return out


def _row_at(lines: list[bytes], i: int, width: int, limit: int) -> tuple[int, Row | RowError | None]:
    """(lines used, the data row at ``lines[i]`` or its error; None for a row of empty cells), as
    ``csvio.read_rows`` reads it (``lines[i]`` is not blank)."""
    outcome = csvio._plain_row(lines[i], i + 1, limit)
    if outcome is not None:
        taken = 1
    else:
        taken, outcome = csvio._one_row(lines, i)
    if isinstance(outcome, Row):
        if not any(c.strip() for c in outcome.cells):
            return taken, None
        if len(outcome.cells) != width:
            if taken > 1:
                return 1, RowError(i + 1, csvio.UNBALANCED)
            return 1, RowError(i + 1, "row has more cells than the header row" if len(outcome.cells) > width
                               else "row has fewer cells than the header row", outcome.cells)
        return taken, outcome
    return 1, outcome


def _scan(lines: list[bytes], lo: int, hi: int, plan: _Plan, source: str, fast: bool = True) -> _Scan:
    """Scan the rows starting in ``lines[lo:hi]`` (see the module docstring); ``fast=False``: mark every row."""
    out = _Scan()
    ids, marked, episodes = out.ids, out.marked, out.episodes
    add, mark = episodes.append, marked.append
    width, limit = plan.width, min(csvio.csv.field_size_limit(), MAX_RECORD_BYTES)
    fast = fast and plan.usable
    I_ID, I_CHILD, I_DATE, I_BORN, I_AGE = plan.id, plan.child, plan.date, plan.born, plan.age
    I_SET, I_AREA, I_CONN, I_BY = plan.setting, plan.area, plan.conn, plan.by
    as_of, adult_age = plan.as_of, plan.adult_age
    dates, date_of, by_ok = _DATES, _date, INCIDENT_REPORTED_BY
    shared: dict[str, str] = {}
    share = shared.setdefault
    read = adults = after = 0
    position = 0
    i = lo
    while i < hi:
        line = lines[i]
        if fast and b'"' not in line and b"\0" not in line and len(line) <= limit:
            try:
                text = line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                text = None
            if text is not None and " " not in text and text.isprintable():
                cells = text.split(",")
                if len(cells) == width:
                    iid = cells[I_ID]
                    child = cells[I_CHILD]
                    if iid and child and len(iid) <= 200 and iid not in ids:
                        d = cells[I_DATE]
                        day = dates.get(d) or (date_of(d) if d else None)
                        born = cells[I_BORN] if I_BORN is not None else ""
                        age_text = cells[I_AGE] if I_AGE is not None else ""
                        by = cells[I_BY] if I_BY is not None else ""
                        if day is not None and (born or age_text) and (not by or by in by_ok) and (
                                not age_text or age_text.isascii() and age_text.isdigit()):
                            b = (dates.get(born) or date_of(born)) if born else None
                            if b is not None or not born:
                                position += 1
                                ids[iid] = position
                                read += 1
                                if day[0] > as_of:
                                    after += 1
                                    i += 1
                                    continue
                                if b is not None:
                                    if b[0] > day[0]:  # an input error: the general way reports it
                                        del ids[iid]
                                        position -= 1
                                        read -= 1
                                    else:
                                        age = day[1] - b[1] - (day[2] < b[2])
                                        if age >= adult_age:
                                            adults += 1
                                        else:
                                            _episode(add, share, iid, child, day[0], cells, I_SET, I_AREA, I_CONN)
                                        i += 1
                                        continue
                                else:
                                    if int(age_text) >= adult_age:
                                        adults += 1
                                    else:
                                        _episode(add, share, iid, child, day[0], cells, I_SET, I_AREA, I_CONN)
                                    i += 1
                                    continue
        # the general way: read the row now (to register its id), take it later in input order
        if not line.strip():
            i += 1
            continue
        taken, row = _row_at(lines, i, width, limit)
        if row is None:
            i += taken
            continue
        position += 1
        if isinstance(row, Row):
            rid = _csv_item(plan.names, row.cells, source, position, row.line).data.get("incident_id")
            if is_usable_id(rid) and rid not in ids:
                ids[rid] = position
        mark((i, position))
        i += taken
    out.end, out.rows, out.read, out.adults, out.after_as_of = i, position, read, adults, after
    return out


def _episode(add, share, iid: str, child: str, day: int, cells: list[str], I_SET, I_AREA, I_CONN) -> None:
    child = share(child, child)
    setting = cells[I_SET] if I_SET is not None else ""
    area = cells[I_AREA] if I_AREA is not None else ""
    conns = cells[I_CONN] if I_CONN is not None else ""
    add((iid, child, day, share(setting, setting) if setting else None, share(area, area) if area else None,
         tuple([share(c, c) for c in conns.split(";") if c and c != child]) if conns else ()))


def _take_marked(lines: list[bytes], scan: _Scan, offset: int, plan: _Plan, source: str, first_seen: _FirstSeen,
                 own: bool, feed: Feed, as_of: dt.date, adult_age: int) -> None:
    """The marked rows of a scan, the general way, in input order. ``own``: the scan's ids are its range's first
    sightings (no clash with what came before): a row's first sighting is looked up there."""
    width, limit = plan.width, min(csvio.csv.field_size_limit(), MAX_RECORD_BYTES)
    share: dict[str, str] = {}
    for i, rel in scan.marked:
        position = offset + rel
        _, row = _row_at(lines, i, width, limit)
        if isinstance(row, RowError):
            cells = {n: c.strip() for n, c in zip(plan.names, row.cells or ())}
            feed.errors.append(InputError(source, record_label(cells, "incident_id", position), "", row.message,
                                          row.line))
            continue
        item = _csv_item(plan.names, row.cells, source, position, row.line)
        data = item.data
        problems = validate_incident(data)
        rid = data.get("incident_id")
        if is_usable_id(rid):
            if own:
                first = (source, offset + scan.ids[rid])
            else:
                first = first_seen.setdefault(rid, (source, position))
            if first != (source, position):
                problems = _sorted([*problems, ("/incident_id", f"duplicate incident_id: first seen in {first[0]} #{first[1]}")])
        if problems:
            label = record_label(data, "incident_id", position)
            feed.errors.extend(InputError(source, label, path, message, item.line) for path, message in problems)
            continue
        feed.read += 1
        rec = Record(source, position, item.line, data)
        try:
            _prepare_row(rec, as_of, adult_age, feed.prepared, share.setdefault)
        except Exception as exc:  # containment, as in checker.detection.prepare
            feed.prepared.errors.append(contained_error(rec, "incident_id", exc))


def _add_scan(scan: _Scan, feed: Feed) -> None:
    feed.read += scan.read
    feed.prepared.adults += scan.adults
    feed.prepared.after_as_of += scan.after_as_of
    feed.prepared.episodes.extend(map(Episode._make, scan.episodes))


# -- the feed ------------------------------------------------------------------------------------------------------


def read_feeds(paths: Sequence[str | os.PathLike[str]], as_of: dt.date, adult_age: int, jobs: int = 1) -> Feed:
    """Every row of the feeds read, checked and made an episode (or counted, or an input error), as
    ``checker.groups.find_groups`` did row by row; CSV files are scanned (see the module docstring)."""
    from .validation import iter_validated

    feed = Feed()
    first_seen = _FirstSeen()
    prepared = feed.prepared
    share: dict[str, str] = {}
    for source, path in _find_files(paths, SUFFIXES["incident"]):
        if path.suffix.lower() in CSV_SUFFIXES:
            raw = yield_errors(_read_bytes(Path(path), source), feed)
            if raw is not None:
                _read_csv(raw, source, as_of, adult_age, jobs, first_seen, feed)
            continue
        for item in iter_validated(_read_files([(source, path)]), validate_incident, "incident_id",
                                   first_seen=first_seen):
            if isinstance(item, InputError):
                feed.errors.append(item)
                continue
            feed.read += 1
            try:
                _prepare_row(item, as_of, adult_age, prepared, share.setdefault)
            except Exception as exc:
                prepared.errors.append(contained_error(item, "incident_id", exc))
    return feed


def yield_errors(gen, feed: Feed):
    """Run a generator of InputErrors that returns a value: the errors to ``feed``, the value returned."""
    try:
        while True:
            feed.errors.append(next(gen))
    except StopIteration as stop:
        return stop.value


def _read_csv(raw: bytes, source: str, as_of: dt.date, adult_age: int, jobs: int, first_seen: _FirstSeen,
              feed: Feed) -> None:
    from .loading import _read_csv_rows
    from .validation import iter_validated

    header = _header(raw)
    if header is None:  # an empty file, a bad or repeated header: the general way says so
        for item in iter_validated(_read_csv_rows(raw, source), validate_incident, "incident_id",
                                   first_seen=first_seen):
            if isinstance(item, InputError):  # (a file without a usable header gives no row)
                feed.errors.append(item)
        return
    lines, start, names = header
    plan = _Plan(names, as_of, adult_age)
    cut = _cut(lines, start) if jobs > 1 and len(raw) >= SPLIT_MIN_BYTES else None
    if cut is None:
        scans = [(_scan(lines, start, len(lines), plan, source), start)]
    else:
        scans = _two_halves(lines, start, cut, plan, source)
    offset = 0
    for scan, lo in scans:
        if scan is None or first_seen.clashes(scan.ids):  # the general way for this range
            scan = _scan(lines, lo, len(lines) if scan is None else scan.end, plan, source, fast=False)
            _take_marked(lines, scan, offset, plan, source, first_seen, False, feed, as_of, adult_age)
        else:
            _add_scan(scan, feed)
            _take_marked(lines, scan, offset, plan, source, first_seen, True, feed, as_of, adult_age)
            first_seen.scans.append((source, offset, scan.ids))
        offset += scan.rows


def _header(raw: bytes) -> tuple[list[bytes], int, list[str]] | None:
    """(the file's lines, the index of the line after the header row, the column names), or None when the
    header is missing, cannot be read or names a column twice."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.splitlines(keepends=True)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return None
    taken, outcome = csvio._one_row(lines, i)
    if isinstance(outcome, RowError):
        return None
    names = [name.strip() for name in outcome.cells]
    if len(set(names)) != len(names):
        return None
    return lines, i + taken, names


def _cut(lines: list[bytes], start: int) -> int | None:
    """A line index near the middle of the data that no row straddles (see the module docstring), or None."""
    middle = (start + len(lines)) // 2
    quiet = 0  # lines without a quote just before i
    i = max(start, middle - MAX_CSV_ROW_LINES)
    limit = min(len(lines) - 1, middle + 20 * MAX_CSV_ROW_LINES)
    while i < limit:
        if quiet >= MAX_CSV_ROW_LINES and i >= middle:
            return i
        quiet = 0 if b'"' in lines[i] else quiet + 1
        i += 1
    return None


def _two_halves(lines: list[bytes], start: int, cut: int, plan: _Plan, source: str) -> list[tuple[_Scan | None, int]]:
    """Scan [start, cut) here and [cut, end) in a forked worker: [(scan, first line)] for the two ranges; the
    second scan is None when it must be taken the general way (worker failed, or the first half ran past the cut)."""
    worker = Forked(_scan, lines, cut, len(lines), plan, source)
    try:
        first = _scan(lines, start, cut, plan, source)
    finally:
        second = worker.result()
    if second is not None and not isinstance(second, _Scan):
        second = None
    if first.end != cut:  # a row of the first half ran past the cut: the rest the general way, from its end
        return [(first, start), (None, first.end)]
    return [(first, start), (second, cut)]
