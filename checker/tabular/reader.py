"""Tables to response records: read every mapped sheet, join the rows into one record per response.

``open_input`` does everything that can stop a run before any record is
read: it resolves the mapping, opens the workbook or CSV files and checks
that every mapped column is in its header row (ConfigError otherwise, exit
2). ``TabularInput.items()`` then yields, in the order of the response rows,
a RawItem for each valid record and InputErrors for everything else. Every
error names the file, sheet, row and column and never quotes a cell. A bad
cell loses only the record (the response) it belongs to.

Order of work: response rows; child rows in the layout's order (parents
before children); link tables (join keys for young people); enrich tables
(fields from case-system extracts); "(recorded / none)" columns; then the
record's validation, whose problems are traced back to the cell they came from.
"""
from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from checker.errors import ConfigError, InputError
from checker.loading import WHOLE_FILE, RawItem, is_usable_id
from checker.tabular.layout import Column, Table
from checker.tabular.mapping import ColumnMap, Mapping, TableMap, default_mapping, find_mapping_file, load_mapping
from checker.tabular.sources import Sheet, SourceError, Workbook, csv_tables, normalise_name, read_csv
from checker.tabular.values import (CellError, as_text, is_blank, parse_boolean, parse_date, parse_integer,
                                    split_list)
from checker.vocab import SCHEMA_DEFS, active

# A code column of these vocabularies also reads a code's label or synonym (rules/vocabularies.yaml).
VOCABULARY_KINDS = {name: kind for kind, name in SCHEMA_DEFS.items()}  # "role_code" -> "roles"
FORMULA = "holds a formula: the checker reads values only (copy the column and paste it as values)"


@dataclass(frozen=True)
class LocatedItem(RawItem):
    """A record read from tables: ``input_errors(label, problems)`` names the cell of each problem."""

    input_errors: object = None


@dataclass
class _Where:
    sheet: Sheet
    row: int
    column: int | None = None

    def text(self) -> str:
        return self.sheet.where(self.row, self.column)


@dataclass
class _Response:
    data: dict
    source: str
    line: int
    position: int
    where: _Where
    bad: bool = False
    errors: list[InputError] = field(default_factory=list)
    cells: dict[str, _Where] = field(default_factory=dict)          # JSON pointer -> cell it came from
    rows: dict[str, tuple[_Where, TableMap]] = field(default_factory=dict)   # item pointer -> row, table
    index: dict[tuple[str, str], tuple[dict, str]] = field(default_factory=dict)   # (table, id) -> item, pointer
    states: list[tuple[dict, str, Column, str, _Where]] = field(default_factory=list)


@dataclass
class _Bound:
    """A mapped table with its sheet and the index of each heading in the header row."""
    tm: TableMap
    sheet: Sheet | None
    index: dict[str, int] = field(default_factory=dict)


def is_tabular(path: Path) -> bool:
    """True for what this package reads: an .xlsx file, or a folder with a mapping file or a responses table."""
    if path.is_file():
        return path.suffix.lower() == ".xlsx"
    if path.is_dir():
        return find_mapping_file(path) is not None or "responses" in csv_tables(path)
    return False


def open_input(path: str | os.PathLike[str], mapping: str | os.PathLike[str] | Mapping | None = None) -> "TabularInput":
    """Open one tabular input (an .xlsx file or a folder of CSV tables) with its mapping.

    The mapping is, in order: the one given; a mapping file in the folder; the default mapping."""
    given = os.fspath(path)
    root = Path(path)
    if isinstance(mapping, Mapping):
        chosen = mapping
    elif mapping is not None:
        chosen = load_mapping(mapping)
    elif root.is_dir() and find_mapping_file(root):
        chosen = load_mapping(find_mapping_file(root))  # type: ignore[arg-type]
    else:
        chosen = default_mapping()
    return TabularInput(given, root, chosen)


class TabularInput:
    def __init__(self, given: str, root: Path, mapping: Mapping):
        self.given, self.root, self.mapping = given, root, mapping
        self.file_errors: list[InputError] = []
        self._workbooks: dict[Path, Workbook | None] = {}
        self._csv = csv_tables(root) if root.is_dir() else {}
        self.bound: list[_Bound] = []
        try:
            self._bind()
        finally:
            for book in self._workbooks.values():
                if book is not None:
                    book.close()

    # -- opening ---------------------------------------------------------------------------------------------------

    def _source_name(self, path: Path) -> str:
        if self.root.is_dir():
            return os.path.join(self.given, os.path.relpath(path, self.root))
        return self.given if path == self.root else os.fspath(path)

    def _workbook(self, path: Path) -> Workbook | None:
        if path not in self._workbooks:
            source = self._source_name(path)
            try:
                self._workbooks[path] = Workbook(path, source)
            except SourceError as exc:
                self.file_errors.append(InputError(source, WHOLE_FILE, "", str(exc)))
                self._workbooks[path] = None
        return self._workbooks[path]

    def _sheet(self, tm: TableMap) -> Sheet | None:
        """The table's sheet, None when it is optional and missing or its file cannot be read."""
        base = self.root if self.root.is_dir() else (self.mapping.path.parent if self.mapping.path else self.root.parent)
        if tm.file:
            path = base / tm.file
            if not path.is_file():
                if tm.optional:
                    return None
                raise ConfigError(f"{self.mapping.name}: {tm.label()}: file not found: {os.fspath(path)}")
            if path.suffix.lower() == ".xlsx":
                book = self._workbook(path)
                if book is None:
                    return None
                sheet_name = tm.sheet or book.sheet_names[0]
                return self._book_sheet(book, sheet_name, tm)
            return self._read_csv(path, tm)
        assert tm.sheet is not None
        if self.root.is_dir():
            path = self._csv.get(normalise_name(tm.sheet))
            if path is None:
                if tm.optional:
                    return None
                raise ConfigError(f"{self.given}: no CSV file for table \"{tm.sheet}\" "
                                  f"(named in {self.mapping.name}, {tm.label()})")
            return self._read_csv(path, tm)
        book = self._workbook(self.root)
        return None if book is None else self._book_sheet(book, tm.sheet, tm)

    def _read_csv(self, path: Path, tm: TableMap) -> Sheet | None:
        try:
            return read_csv(path, self._source_name(path), tm.header_row)
        except SourceError as exc:
            self.file_errors.append(InputError(self._source_name(path), WHOLE_FILE, "", str(exc)))
            return None

    def _book_sheet(self, book: Workbook, name: str, tm: TableMap) -> Sheet | None:
        if not book.has_sheet(name):
            if tm.optional:
                return None
            raise ConfigError(f"{book.source}: no sheet \"{name}\" (named in {self.mapping.name}, {tm.label()})")
        try:
            sheet = book.sheet(name, tm.header_row)
        except SourceError as exc:
            self.file_errors.append(InputError(book.source, WHOLE_FILE, "", str(exc)))
            return None
        if sheet.hidden and not any(e.message.startswith(f"sheet {sheet.name} is hidden") for e in self.file_errors
                                    if e.source == book.source):
            self.file_errors.append(InputError(book.source, WHOLE_FILE, "", f"sheet {sheet.name} is hidden: its rows "
                                               "were read; unhide it so that what is checked is what the tracker shows"))
        return sheet

    def _bind(self) -> None:
        for tm in self.mapping.tables:
            sheet = self._sheet(tm)
            bound = _Bound(tm, sheet)
            if sheet is not None:
                positions = {}
                for i, heading in enumerate(sheet.header):
                    if heading and heading.casefold() not in positions:
                        positions[heading.casefold()] = i
                missing = []
                for heading in sorted(tm.headings()):
                    i = positions.get(heading.strip().casefold())
                    if i is None:
                        optional = any(c.heading == heading and c.optional for c in tm.columns)
                        if not optional:
                            missing.append(heading)
                    else:
                        bound.index[heading] = i
                if missing:
                    shown = ", ".join(f'"{h}"' for h in missing)
                    raise ConfigError(f"{sheet.source}{', ' + sheet.where() if sheet.name else ''}: the mapping "
                                      f"({self.mapping.name}, {tm.label()}) names column(s) {shown}, not in the "
                                      f"header row (row {sheet.header_row})")
            self.bound.append(bound)

    def unmapped_columns(self) -> list[str]:
        """One line per sheet with columns no table of the mapping reads (they are ignored)."""
        used: dict[tuple[str, str | None], set[int]] = defaultdict(set)
        sheets: dict[tuple[str, str | None], Sheet] = {}
        for b in self.bound:
            if b.sheet is not None:
                key = (b.sheet.source, b.sheet.name)
                sheets[key] = b.sheet
                used[key] |= set(b.index.values())
        out = []
        for key, sheet in sheets.items():
            names = [sheet.where(None, i).split("column ", 1)[1] if sheet.name else
                     sheet.where(None, i).split("column ", 1)[1] for i, h in enumerate(sheet.header)
                     if h and i not in used[key]]
            if names:
                place = f"{sheet.source}, sheet {sheet.name}" if sheet.name else sheet.source
                out.append(f"{place}: ignored column(s) not in the mapping: {', '.join(names)}")
        return out

    # -- reading ---------------------------------------------------------------------------------------------------

    def items(self) -> Iterator[RawItem | InputError]:
        yield from self.file_errors
        responses: dict[str, _Response] = {}
        loose: list[InputError] = []
        rows_tables = [b for b in self.bound if b.tm.mode == "rows" and b.sheet is not None]
        rows_tables.sort(key=lambda b: len(b.tm.table.path))
        for b in rows_tables:
            if b.tm.table.parent is None:
                self._read_responses(b, responses, loose)
            else:
                self._read_children(b, responses, loose)
        keys = _KeyIndex()
        for b in self.bound:
            if b.tm.mode == "link" and b.sheet is not None:
                self._link(b, responses, keys)
        for b in self.bound:
            if b.tm.mode == "enrich" and b.sheet is not None:
                self._enrich(b, responses, keys)
        yield from loose
        for rid, resp in responses.items():
            if not resp.bad:
                self._apply_states(resp)
            if resp.bad:   # list every problem: also what the record's validation finds elsewhere
                from checker.validation import validate_response

                reported = {e.path for e in resp.errors}
                rest = [(p, m) for p, m in validate_response(resp.data)
                        if p not in reported and not any(p.startswith(r + "/") for r in reported if r)]
                yield from sorted([*resp.errors, *self._located_errors(resp, rid, rest)],
                                  key=lambda e: (e.line or 0, e.path))
            else:
                yield LocatedItem(resp.source, resp.position, resp.line, resp.data,
                                  lambda label, problems, resp=resp: self._located_errors(resp, label, problems))

    def _located_errors(self, resp: _Response, label: str, problems) -> list[InputError]:
        """The record's validation problems, each traced back to the cell (or row) it came from."""
        out = []
        for pointer, message in problems:
            where = self._locate(resp, pointer)
            out.append(InputError(where.sheet.source if where else resp.source, label, pointer,
                                  f"{where.text()}: {message}" if where else message,
                                  where.row if where else resp.line))
        return out

    def _fail(self, resp: _Response, rid: str, pointer: str, message: str, where: _Where | None) -> None:
        resp.bad = True
        text = f"{where.text()}: {message}" if where else message
        source = where.sheet.source if where else resp.source
        resp.errors.append(InputError(source, rid, pointer, text, where.row if where else None))

    def _locate(self, resp: _Response, pointer: str) -> _Where | None:
        """The cell a record value came from, or the row of its item and the column its field maps from."""
        if pointer in resp.cells:
            return resp.cells[pointer]
        parts = pointer.split("/")
        for n in range(len(parts) - 1, -1, -1):
            prefix = "/".join(parts[:n])
            if prefix in resp.rows:
                where, tm = resp.rows[prefix]
                rest = ".".join(p for p in parts[n:] if not p.isdigit())
                for cm in tm.columns:
                    if cm.column.field == rest:
                        b = next(b for b in self.bound if b.tm is tm)
                        if cm.heading in b.index:
                            return _Where(where.sheet, where.row, b.index[cm.heading])
                return where
            if prefix in resp.cells:
                return resp.cells[prefix]
        return None

    def _cell(self, b: _Bound, cells: tuple, heading: str) -> object:
        i = b.index.get(heading)
        return None if i is None or i >= len(cells) else cells[i]

    def _check_cell(self, b: _Bound, number: int, heading: str, value: object) -> str | None:
        """Why a mapped cell cannot be used as it is (formula, merged), or None."""
        i = b.index.get(heading)
        if i is None:
            return None
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            return FORMULA
        if b.sheet is not None and b.sheet.merged:
            merge = b.sheet.merged_at(number, i)
            if merge and (merge[0] != merge[2] or merge[1] != merge[3]):
                return "is part of merged cells: unmerge them and give each row its own value"
        return None

    def _key_text(self, b: _Bound, number: int, cells: tuple, heading: str) -> tuple[str | None, str | None]:
        """(text of a key cell, None) or (None, why it is not usable)."""
        value = self._cell(b, cells, heading)
        problem = self._check_cell(b, number, heading, value)
        if problem:
            return None, problem
        if is_blank(value):
            return None, "is empty (it is needed to join the row to its response)"
        try:
            text = as_text(value)
        except CellError as exc:
            return None, str(exc)
        if not is_usable_id(text):
            return None, "is not a usable id (at most 200 printable characters)"
        return text, None

    def _where(self, b: _Bound, number: int, heading: str | None = None) -> _Where:
        assert b.sheet is not None
        return _Where(b.sheet, number, b.index.get(heading) if heading else None)

    def _read_responses(self, b: _Bound, responses: dict[str, _Response], loose: list[InputError]) -> None:
        assert b.sheet is not None
        rid_heading = next(c.heading for c in b.tm.columns if c.column.field == "response_id")
        for position, (number, cells) in enumerate(b.sheet.rows, start=1):
            if not self._wanted(b, cells):
                continue
            rid, problem = self._key_text(b, number, cells, rid_heading)
            where = self._where(b, number, rid_heading)
            if rid is None:
                loose.append(InputError(b.sheet.source, f"#{position}", "/response_id", f"{where.text()}: {problem}",
                                        number))
                continue
            if rid in responses:
                first = responses[rid]
                loose.append(InputError(b.sheet.source, rid, "/response_id",
                                        f"{where.text()}: duplicate response ID: first in row {first.line}; "
                                        "this row is not read", number))
                continue
            resp = _Response({}, b.sheet.source, number, position, where)
            responses[rid] = resp
            resp.rows[""] = (self._where(b, number), b.tm)
            self._fill(b, number, cells, resp, rid, resp.data, "")

    def _wanted(self, b: _Bound, cells: tuple) -> bool:
        for heading, allowed in b.tm.where.items():
            value = self._cell(b, cells, heading)
            text = "" if is_blank(value) else str(int(value) if isinstance(value, float) and value.is_integer()
                                                    else value).strip()
            if text.casefold() not in {a.casefold() for a in allowed}:
                return False
        return True

    def _read_children(self, b: _Bound, responses: dict[str, _Response], loose: list[InputError]) -> None:
        assert b.sheet is not None
        table = b.tm.table
        key_names = [k for k, _ in table.keys()]
        for number, cells in b.sheet.rows:
            if not self._wanted(b, cells):
                continue
            values = {}
            for name in key_names:
                heading = b.tm.keys[name]
                text, problem = self._key_text(b, number, cells, heading)
                if text is None:
                    where = self._where(b, number, heading)
                    rid = values.get("response_id")
                    if rid and rid in responses:
                        self._fail(responses[rid], rid, "", f"{problem}", where)
                    else:
                        loose.append(InputError(b.sheet.source, "", "", f"{where.text()}: {problem}", number))
                    break
                values[name] = text
            else:
                self._child_row(b, number, cells, values, responses, loose)

    def _child_row(self, b: _Bound, number: int, cells: tuple, keys: dict[str, str],
                   responses: dict[str, _Response], loose: list[InputError]) -> None:
        assert b.sheet is not None
        table = b.tm.table
        rid = keys["response_id"]
        resp = responses.get(rid)
        if resp is None:
            where = self._where(b, number, b.tm.keys["response_id"])
            # the value is not a known response id (it could be anything typed there): not repeated
            loose.append(InputError(b.sheet.source, "", "", f"{where.text()}: no response with this Response ID "
                                    "in the responses table; the row is not read", number))
            return
        anchor, anchor_ptr, anchor_table = resp.data, "", None
        for t in table.ancestors()[1:]:
            if t.is_array and t.id_field:
                found = resp.index.get((t.name, keys[t.name]))
                if found is None:
                    self._fail(resp, rid, "", f"no {t.title.lower()} row with this {b.tm.keys[t.name]} for the "
                               f"response (sheet or table {t.title})", self._where(b, number, b.tm.keys[t.name]))
                    return
                anchor, anchor_ptr = found
                anchor_table = t
        rel = table.path[len(anchor_table.path):] if anchor_table else table.path
        container, ptr = anchor, anchor_ptr
        for part in rel[:-1]:
            nxt = container.get(part)
            if isinstance(nxt, list):   # a table under a list whose items have no id: rows cannot be joined
                self._fail(resp, rid, f"{ptr}/{part}", f"rows of {table.title} cannot be joined to their parent "
                           "(its items have no id)", self._where(b, number))
                return
            if not isinstance(nxt, dict):
                nxt = container[part] = {}
            container, ptr = nxt, f"{ptr}/{part}"
        last = rel[-1]
        if table.is_array:
            items = container.get(last)
            if not isinstance(items, list):
                items = container[last] = []
            item_ptr = f"{ptr}/{last}/{len(items)}"
            if table.scalar:
                cm = b.tm.columns[0] if b.tm.columns else None
                if cm is None:
                    return
                value = self._cell(b, cells, cm.heading)
                where = self._where(b, number, cm.heading)
                problem = self._check_cell(b, number, cm.heading, value)
                if problem or is_blank(value):
                    self._fail(resp, rid, item_ptr, problem or "is empty", where)
                    return
                try:
                    items.append(self._convert(cm, value))
                except CellError as exc:
                    self._fail(resp, rid, item_ptr, str(exc), where)
                    return
                resp.cells[item_ptr] = where
                return
            item: dict = {}
            items.append(item)
        else:
            item_ptr = f"{ptr}/{last}"
            if isinstance(container.get(last), dict) and container[last] and item_ptr in resp.rows:
                self._fail(resp, rid, item_ptr, f"a second row for this response (one row per response in "
                           f"{table.title})", self._where(b, number))
                return
            item = container[last] if isinstance(container.get(last), dict) else {}
            container[last] = item
        resp.rows[item_ptr] = (self._where(b, number), b.tm)
        self._fill(b, number, cells, resp, rid, item, item_ptr)
        if table.id_field and isinstance(item.get(table.id_field), str):
            resp.index.setdefault((table.name, item[table.id_field]), (item, item_ptr))

    def _fill(self, b: _Bound, number: int, cells: tuple, resp: _Response, rid: str, item: dict, item_ptr: str,
              columns: list[ColumnMap] | None = None) -> None:
        for cm in b.tm.columns if columns is None else columns:
            if cm.heading not in b.index:
                continue
            value = self._cell(b, cells, cm.heading)
            pointer = item_ptr + "".join(f"/{p}" for p in cm.column.path)
            where = self._where(b, number, cm.heading)
            problem = self._check_cell(b, number, cm.heading, value)
            if problem:
                self._fail(resp, rid, pointer, problem, where)
                continue
            if is_blank(value):
                continue
            try:
                converted = self._convert(cm, value)
            except CellError as exc:
                self._fail(resp, rid, pointer, str(exc), where)
                continue
            if cm.column.kind == "state":
                resp.states.append((item, item_ptr, cm.column, converted, where))  # type: ignore[arg-type]
                continue
            _put(item, cm.column.path, converted)
            resp.cells[pointer] = where
        for name, (column, value) in b.tm.set.items():
            _put(item, column.path, value)

    def _convert(self, cm: ColumnMap, value: object) -> object:
        column, m = cm.column, self.mapping
        if isinstance(value, str):
            text = value.strip()
            folded = text.casefold()
            vocab_kind = VOCABULARY_KINDS.get(column.vocabulary)  # roles, agencies, items: labels and synonyms read too
            if column.kind == "list":
                if folded in {n.casefold() for n in m.none}:
                    return []
                return [cm.values[part.casefold()] if part.casefold() in cm.values
                        else (vocab_kind and active().lookup(vocab_kind, part)) or part for part in split_list(text)]
            if folded in cm.values:
                return cm.values[folded]
            if vocab_kind and column.kind == "code" and active().lookup(vocab_kind, text):
                return active().lookup(vocab_kind, text)
            if folded in {n.casefold() for n in m.none}:
                if column.kind == "state":
                    return "none"
                if column.kind == "boolean":
                    raise CellError("must be Yes or No (a yes/no field cannot be none: leave it blank if unknown)")
                return None
        elif cm.values:
            key = str(int(value) if isinstance(value, float) and value.is_integer() else value).casefold()
            if key in cm.values:
                return cm.values[key]
        kind = column.kind
        if kind == "date":
            return parse_date(value, cm.date_formats or m.date_formats)
        if kind == "boolean":
            return parse_boolean(value, m.booleans)
        if kind == "integer":
            return parse_integer(value)
        if kind == "list":
            return split_list(value)
        if kind == "state":
            text = as_text(value).casefold()
            if text not in ("recorded", "none"):
                raise CellError("must be recorded or none (or blank)")
            return text
        return as_text(value)

    def _apply_states(self, resp: _Response) -> None:
        rid = resp.data.get("response_id", "")
        for item, item_ptr, column, state, where in sorted(resp.states, key=lambda s: -len(s[2].path)):
            parent = item
            for part in column.path[:-1]:
                nxt = parent.get(part)
                if not isinstance(nxt, dict):
                    nxt = parent[part] = {}
                parent = nxt
            last = column.path[-1]
            current = parent.get(last)
            pointer = item_ptr + "".join(f"/{p}" for p in column.path)
            if state == "none":
                if current:
                    self._fail(resp, rid, pointer, "says none, but details are recorded for it", where)
                    continue
                parent[last] = [] if column.item_kind == "array" else None if column.nullable else {}
            elif last not in parent:
                parent[last] = [] if column.item_kind == "array" else {}
            resp.cells.setdefault(pointer, where)

    # -- joins with case-system extracts ---------------------------------------------------------------------------

    def _link(self, b: _Bound, responses: dict[str, _Response], keys: "_KeyIndex") -> None:
        assert b.sheet is not None
        link, table = b.tm.link, b.tm.table
        assert link is not None
        targets: dict[str, list[tuple[_Response, dict]]] = defaultdict(list)
        for resp in responses.values():
            for (tname, _), (item, _) in resp.index.items():
                if tname == table.name and isinstance(item.get(link["match"]), str):
                    targets[item[link["match"]]].append((resp, item))
        for number, cells in b.sheet.rows:
            if not self._wanted(b, cells):
                continue
            match, _ = self._key_text(b, number, cells, link["column"])
            key, _ = self._key_text(b, number, cells, link["key_column"])
            if match is None or key is None:
                continue  # a row that links nothing is not about these responses
            for resp, item in targets.get(match, ()):
                keys.add(link["key"], key, resp, item, table)

    def _enrich(self, b: _Bound, responses: dict[str, _Response], keys: "_KeyIndex") -> None:
        assert b.sheet is not None and b.tm.enrich is not None
        key_name, heading = b.tm.enrich
        table = b.tm.table
        chosen: dict[int, tuple[_Response, dict, str, list]] = {}
        for number, cells in b.sheet.rows:
            if not self._wanted(b, cells):
                continue
            value, _ = self._key_text(b, number, cells, heading)
            if value is None:
                continue
            for resp, item, item_table in keys.get(key_name, value):
                target, ptr = (resp.data, "") if table.parent is None else (item, keys.pointer(resp, item))
                if table.parent is not None and item_table is not table:
                    continue
                when = self._during(b, number, cells, resp)
                if when is False:
                    continue
                slot = chosen.setdefault(id(target), (resp, target, ptr, []))
                slot[3].append((when, number, cells))
        for resp, target, ptr, candidates in chosen.values():
            rid = resp.data.get("response_id", "")
            dated = [c for c in candidates if isinstance(c[0], str)]
            if b.tm.pick == "first" or not dated:
                pick = candidates[0]
            else:
                pick = (min if b.tm.pick == "earliest" else max)(dated, key=lambda c: (c[0], c[1]))
            _, number, cells = pick
            self._fill(b, number, cells, resp, rid, target, ptr)
        for resp, item, item_table in keys.all(key_name):
            target = resp.data if table.parent is None else item
            if table.parent is not None and item_table is not table:
                continue
            if id(target) not in chosen:
                for name, (column, value) in b.tm.otherwise.items():
                    if _get(target, column.path) is _ABSENT:
                        _put(target, column.path, value)

    def _during(self, b: _Bound, number: int, cells: tuple, resp: _Response) -> str | bool | None:
        """The row's start date (ISO) when it falls in the response's time, False when it does not."""
        if b.tm.during is None:
            return None
        start_h, end_h = b.tm.during
        identified = resp.data.get("identified_on")
        if not isinstance(identified, str):
            return False
        rid = resp.data.get("response_id", "")
        dates = []
        for heading in (start_h, end_h):
            value = self._cell(b, cells, heading) if heading else None
            if is_blank(value):
                dates.append(None)
                continue
            try:
                dates.append(parse_date(value, self.mapping.date_formats))
            except CellError as exc:
                self._fail(resp, rid, "", str(exc), self._where(b, number, heading))
                return False
        start, end = dates
        if start is None:
            return False
        if end_h:
            return start if end is None or end >= identified else False
        return start if start >= identified else False


class _KeyIndex:
    """Join keys given to items by link tables: (key, value) -> [(response, item, table)]."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], list[tuple[_Response, dict, Table]]] = defaultdict(list)
        self._all: dict[str, list[tuple[_Response, dict, Table]]] = defaultdict(list)
        self._seen: set[tuple[str, int]] = set()

    def add(self, key: str, value: str, resp: _Response, item: dict, table: Table) -> None:
        self._by[(key, value)].append((resp, item, table))
        if (key, id(item)) not in self._seen:
            self._seen.add((key, id(item)))
            self._all[key].append((resp, item, table))

    def get(self, key: str, value: str) -> list[tuple[_Response, dict, Table]]:
        return self._by.get((key, value), [])

    def all(self, key: str) -> list[tuple[_Response, dict, Table]]:
        return self._all.get(key, [])

    @staticmethod
    def pointer(resp: _Response, item: dict) -> str:
        for found, ptr in resp.index.values():
            if found is item:
                return ptr
        return ""


_ABSENT = object()


def _get(item: dict, path: tuple[str, ...]) -> object:
    for part in path:
        if not isinstance(item, dict) or part not in item:
            return _ABSENT
        item = item[part]
    return item


def _put(item: dict, path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        nxt = item.get(part)
        if not isinstance(nxt, dict):
            nxt = item[part] = {}
        item = nxt
    item[path[-1]] = value


def read_tabular(path: str | os.PathLike[str], mapping=None) -> Iterator[RawItem | InputError]:
    """Open (raising ConfigError at once) and return the items of one tabular input."""
    return open_input(path, mapping).items()
