"""Reading tables: the sheets of an .xlsx workbook, or CSV files. Nothing here interprets a cell.

A workbook is checked before openpyxl opens it: it must be a zip archive, and
its parts must not expand beyond ``MAX_EXPANDED`` bytes nor by more than
``MAX_RATIO`` times (a "zip bomb" is refused, not unpacked). It is then read
in openpyxl's read-only, streaming mode, values only: formulas are never
evaluated (a mapped cell holding one is an input error), merged cells are
found in the sheet's XML (a mapped cell inside a merge is an input error) and
a hidden sheet is flagged. The file is opened read-only and never changed.
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_EXPANDED = 512 * 1024 * 1024      # bytes a workbook may expand to
MAX_RATIO = 200                       # expanded / compressed, per part (ordinary sheets: 5-20)
MAX_PARTS = 10_000
MAX_ROWS = 50_000                     # data rows per sheet: a bigger sheet is refused (use CSV tables or JSON Lines)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\b(?:r:)?id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
                  rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')


class SourceError(Exception):
    """A whole file or sheet cannot be read (becomes one input error)."""


@dataclass
class Sheet:
    """The cells of one table, as read: a header row and data rows (1-based row numbers)."""
    source: str                    # the file, as the user gave it
    name: str | None               # sheet name; None for a CSV file
    header: list[str]              # headings, stripped ("" where the heading cell is blank or not text)
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)   # min_row, min_col, max_row, max_col
    hidden: bool = False
    header_row: int = 1

    def where(self, row: int | None = None, column: int | None = None) -> str:
        """'sheet Meetings, row 14, column "Date"' (no sheet for a CSV file)."""
        parts = [f"sheet {self.name}"] if self.name is not None else []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f'column {column_name(self, column)}')
        return ", ".join(parts)

    def merged_at(self, row: int, column: int) -> tuple[int, int, int, int] | None:
        for merge in self.merged:
            if merge[0] <= row <= merge[2] and merge[1] <= column <= merge[3]:
                return merge
        return None


def column_letter(index: int) -> str:
    """0-based column index to its spreadsheet letters (0 -> A)."""
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_name(sheet: Sheet, index: int) -> str:
    """How a message names a column: its heading in quotes when it is a plain heading, else its letter."""
    heading = sheet.header[index] if index < len(sheet.header) else ""
    if heading and len(heading) <= 60 and heading.isprintable() and '"' not in heading:
        return f'"{heading}"'
    return column_letter(index)


def _heading(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- workbooks -----------------------------------------------------------------------------------------------------


class Workbook:
    """An .xlsx file opened for reading sheets by name. Raises SourceError when it cannot be opened."""

    def __init__(self, path: Path, source: str):
        self.path, self.source = path, source
        self._sheets: dict[str, Sheet] = {}
        self._check_archive()
        import warnings

        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
        except Exception:  # openpyxl raises many kinds for a damaged file; none of them is the user's data
            raise SourceError("not a readable Excel workbook (.xlsx): the file is damaged or of another kind") from None
        self.sheet_names = list(self._book.sheetnames)

    def _check_archive(self) -> None:
        try:
            if not zipfile.is_zipfile(self.path):
                raise SourceError("not an Excel workbook (.xlsx): the file is not a zip archive")
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            if isinstance(exc, SourceError):
                raise
            raise SourceError("not an Excel workbook (.xlsx): the zip archive is damaged") from None
        if len(infos) > MAX_PARTS:
            raise SourceError(f"refused: the workbook has more than {MAX_PARTS} parts")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise SourceError(f"refused: a part of the workbook expands more than {MAX_RATIO} times "
                                  "(a zip bomb?); save it again from Excel")
        if total > MAX_EXPANDED:
            raise SourceError(f"refused: the workbook would expand to more than {MAX_EXPANDED // 2**20} MB")
        self._count_rows(infos)

    def _count_rows(self, infos) -> None:
        """Refuse a sheet of more than MAX_ROWS rows before openpyxl parses it (it would, to size it)."""
        names = _sheet_names_by_part(self.path)
        with zipfile.ZipFile(self.path) as archive:
            for info in infos:
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                rows, tail = 0, b""
                with archive.open(info) as handle:
                    while chunk := handle.read(1 << 20):
                        data = tail + chunk
                        rows += len(_ROW.findall(data)) - len(_ROW.findall(tail))
                        tail = data[-8:]
                        if rows > MAX_ROWS + 1:
                            name = names.get(info.filename, info.filename)
                            raise SourceError(f"sheet {name}: more than {MAX_ROWS} rows; the workbook is not read "
                                              "(split it, or export CSV tables)")

    def close(self) -> None:
        self._book.close()

    def has_sheet(self, name: str) -> bool:
        return self.find(name) is not None

    def find(self, name: str) -> str | None:
        """The sheet's real name: exact, else ignoring case and spaces at the ends."""
        if name in self.sheet_names:
            return name
        folded = name.strip().casefold()
        for real in self.sheet_names:
            if real.strip().casefold() == folded:
                return real
        return None

    def sheet(self, name: str, header_row: int = 1) -> Sheet:
        real = self.find(name)
        if real is None:
            raise KeyError(name)
        key = f"{real}\0{header_row}"
        if key not in self._sheets:
            self._sheets[key] = self._read(real, header_row)
        return self._sheets[key]

    def _read(self, name: str, header_row: int) -> Sheet:
        ws = self._book[name]
        sheet = Sheet(self.source, name, [], hidden=getattr(ws, "sheet_state", "visible") != "visible",
                      header_row=header_row)
        try:
            rows = ws.iter_rows(min_row=header_row, values_only=True)
            header = next(rows, ())
            sheet.header = [_heading(v) for v in header]
            while sheet.header and not sheet.header[-1]:
                sheet.header.pop()
            width = len(sheet.header)
            for number, row in enumerate(rows, start=header_row + 1):
                cells = tuple(row[:width])
                if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in cells):
                    if len(sheet.rows) == MAX_ROWS:
                        raise SourceError(f"sheet {name}, row {number}: more than {MAX_ROWS} rows with data; the "
                                          "sheet is not read (split the workbook, or export CSV tables)")
                    sheet.rows.append((number, cells))
            sheet.merged = self._merges(ws)
        except SourceError:
            raise
        except Exception:
            raise SourceError(f"sheet {name}: cannot be read (the sheet's XML is damaged)") from None
        return sheet

    def _merges(self, ws) -> list[tuple[int, int, int, int]]:
        path = getattr(ws, "_worksheet_path", None)
        if not path:
            return []
        out = []
        with zipfile.ZipFile(self.path) as archive:
            with archive.open(path.lstrip("/")) as handle:
                tail = b""
                while chunk := handle.read(1 << 20):
                    data = tail + chunk
                    for m in _MERGE.finditer(data):
                        out.append((int(m.group(2)), _column_index(m.group(1).decode()),
                                    int(m.group(4)), _column_index(m.group(3).decode())))
                    tail = data[-200:]
        return sorted(set(out))


def _sheet_names_by_part(path: Path) -> dict[str, str]:
    """xl/worksheets/sheetN.xml -> the sheet's name, from the workbook's XML (empty when it cannot tell)."""
    import html

    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")[:2_000_000]
            rels = archive.read("xl/_rels/workbook.xml.rels")[:2_000_000]
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        target = target.decode("utf-8", "replace").lstrip("/")
        targets[rid.decode("utf-8", "replace")] = target if target.startswith("xl/") else f"xl/{target}"
    out = {}
    for m in _SHEET.finditer(book):
        part = targets.get(m.group(2).decode("utf-8", "replace"))
        if part:
            out[part] = html.unescape(m.group(1).decode("utf-8", "replace"))
    return out


# -- CSV -----------------------------------------------------------------------------------------------------------


def read_csv(path: Path, source: str, header_row: int = 1) -> Sheet:
    """A CSV file as a sheet (UTF-8, a byte order mark allowed); row numbers as a spreadsheet shows them."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror or 'input/output error'}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")   # Excel's "CSV" on Windows
        except UnicodeDecodeError:
            raise SourceError("not valid UTF-8 (or Windows-1252) text") from None
    sheet = Sheet(source, None, [], header_row=header_row)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(reader, start=1):
            if number < header_row:
                continue
            if number == header_row:
                sheet.header = [c.strip() for c in row]
                continue
            cells = tuple(row[: len(sheet.header)]) + (None,) * max(0, len(sheet.header) - len(row))
            if any(c and c.strip() for c in cells if c is not None):
                sheet.rows.append((number, tuple(c if c and c.strip() else None for c in cells)))
    except csv.Error:
        raise SourceError(f"not valid CSV at row {reader.line_num}") from None
    return sheet


def csv_tables(folder: Path) -> dict[str, Path]:
    """CSV files of a folder (not recursive) by normalised name: 'Young people.csv' -> 'young people'."""
    out = {}
    for entry in sorted(os.listdir(folder)):
        p = folder / entry
        if p.suffix.lower() == ".csv" and p.is_file() and not entry.startswith("."):
            out[normalise_name(p.stem)] = p
    return out


def normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip()).casefold()
