"""The tracker workbook: written from the layout (so from the schema), empty or filled with records.

Sheets: README (what each column means and the chapter clauses it serves),
one sheet per table of the layout, and Codes (every code list, with labels,
which the drop-down lists point at). Each heading has a note giving the
record field, its meaning and the allowed values; code, yes/no and
"(recorded / none)" columns have drop-down lists; date columns are formatted
dd/mm/yyyy. ``write_workbook(path, records)`` fills the same sheets with
records, exactly as the default mapping reads them back.
"""
from __future__ import annotations

import io
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable

from checker.tabular.layout import NONE, Column, Layout, Table, layout
from checker.tabular.values import cell_value
from checker.vocab import active

FORMATTED_ROWS = 500          # empty rows given date formats and drop-downs in a new template
DATE_FORMAT = "DD/MM/YYYY"
_LABELS = {"state": {"recorded": "recorded, even where every detail is blank", "none": "recorded as none"}}
KIND_TEXT = {"string": "text", "date": "date (dd/mm/yyyy)", "boolean": "Yes / No", "integer": "whole number",
             "code": "code (drop-down)", "list": "codes or text separated by ;", "state": "recorded / none"}


def field_clauses(rules_dir=None) -> dict[str, list[str]]:
    """Record field (dotted, from the response) -> clause ids of the rules that read it, from the rules."""
    from checker.api import DEFAULT_RULES
    from checker.tabular.checklists import rule_fields
    from checker.rulebook import load_rulebook
    from pathlib import Path

    try:
        rulebook = load_rulebook(Path(rules_dir or DEFAULT_RULES))
    except Exception:  # the template is still useful without the rules
        return {}
    out: dict[str, list[str]] = defaultdict(list)
    for rule in rulebook.rules:
        for name in rule_fields(rule):
            for clause in (rule.clause,):
                if clause not in out[name]:
                    out[name].append(clause)
    return out


def _plain(description: str) -> str:
    """The schema's description without its notes for exporters (open / closed object)."""
    return re.split(r"\s*(?:Open|Closed) object:", description, maxsplit=1)[0].strip()


def _describe(column: Column, table: Table) -> str:
    parts = [_plain(column.description)]
    if column.kind == "list" and column.codes:
        parts.append("Codes: " + ", ".join(column.codes) + ".")
    if column.kind == "state":
        parts.append("Leave blank when the rows or details are there (or unknown); 'none' = recorded as none; "
                     "'recorded' = recorded though every detail is blank.")
    elif column.nullable or column.kind == "list":
        parts.append(f"Blank = not recorded (unknown); {NONE} = recorded as none / not done.")
    return " ".join(p for p in parts if p)


def _full_field(table: Table, column: Column) -> str:
    path = [*table.path, *column.path]
    out = []
    for i, part in enumerate(path):
        out.append(part)
    return ".".join(out) or table.name


def write_workbook(path: str | os.PathLike[str] | io.BytesIO, records: Iterable[dict] = (),
                   lay: Layout | None = None, rules_dir=None, clauses: dict[str, list[str]] | None = None,
                   formatted_rows: int = FORMATTED_ROWS) -> None:
    """Write the tracker workbook to ``path``, filled with ``records`` (none: an empty template).

    ``clauses`` (record field -> clause ids) defaults to what the rules in ``rules_dir`` read;
    ``formatted_rows``: empty rows given date formats and drop-downs below the records."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lay = lay or layout()
    records = list(records)
    clauses = field_clauses(rules_dir) if clauses is None else clauses
    book = Workbook()
    readme = book.active
    readme.title = "README"
    tables = lay.tables()
    sheets = {t.name: book.create_sheet(t.title) for t in tables}
    codes_sheet = book.create_sheet("Codes")
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")

    # Codes: the code lists one below the other (a heading row, then code | meaning); the drop-downs point here
    ranges: dict[str, str] = {}
    codes_sheet.cell(1, 1, "code").font = bold
    codes_sheet.cell(1, 2, "meaning").font = bold
    row = 3
    for name, codes in lay.vocabularies().items():
        labels = {"role_code": active().roles, "agency_code": active().agencies,
                  "item_code": active().items}.get(name) or _LABELS.get(name, {})
        codes_sheet.cell(row, 1, name).font = bold
        for i, code in enumerate(codes, start=row + 1):
            codes_sheet.cell(i, 1, code)
            codes_sheet.cell(i, 2, labels.get(code, ""))
        ranges[name] = f"Codes!$A${row + 1}:$A${row + len(codes)}"
        row += len(codes) + 2
    codes_sheet.column_dimensions["A"].width = 34
    codes_sheet.column_dimensions["B"].width = 70
    codes_sheet.freeze_panes = "A2"

    rows = _rows(lay, records)
    for t in tables:
        ws = sheets[t.name]
        headings = [(h, None) for _, h in t.keys()] + [(c.heading, c) for c in t.columns]
        for j, (heading, column) in enumerate(headings, start=1):
            cell = ws.cell(1, j, heading)
            cell.font, cell.fill, cell.alignment = bold, head_fill, wrap
            if column is None:
                note = "Joins the row to its parent: the same value as in the parent's sheet."
            else:
                field_name = _full_field(t, column)
                note = f"Field: {field_name}\n{KIND_TEXT[column.kind]}\n{_describe(column, t)}"
            cell.comment = Comment(note[:1500], "shg-check", width=320, height=180)
            ws.column_dimensions[get_column_letter(j)].width = min(max(12, len(heading) + 2), 34)
        ws.freeze_panes = "A2"
        n_rows = max(len(rows[t.name]), 0)
        for i, values in enumerate(rows[t.name], start=2):
            for j, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(i, j, value)
        last = n_rows + formatted_rows + 1
        if last < 2:
            continue
        offset = len(t.keys())
        for j, column in enumerate(t.columns, start=offset + 1):
            letter = get_column_letter(j)
            if column.kind == "date":
                for i in range(2, last + 1):
                    ws.cell(i, j).number_format = DATE_FORMAT
            formula = None
            if column.kind in ("code", "state") and column.vocabulary in ranges:
                formula = ranges[column.vocabulary]
                if column.nullable and column.kind == "code":
                    formula = None  # (none) is allowed too: list it inline when short
                    listed = [*column.codes, NONE]
                    if len(",".join(listed)) < 250:
                        formula = '"' + ",".join(listed) + '"'
                    else:
                        formula = ranges[column.vocabulary]
            elif column.kind == "boolean":
                formula = '"Yes,No"'
            if formula:
                dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=column.kind == "boolean")
                dv.error = "Choose a value from the list"
                dv.add(f"{letter}2:{letter}{last}")
                ws.add_data_validation(dv)

    _write_readme(readme, lay, clauses, bold, wrap)
    for ws in book.worksheets:   # printable: landscape, one page wide, headings on every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        width = sum((ws.column_dimensions[get_column_letter(j)].width or 13) for j in range(1, ws.max_column + 1))
        ws.page_setup.fitToWidth = max(1, math.ceil(width / 200)) if ws.title not in ("README", "Codes") else 1
        ws.page_setup.fitToHeight = 0
        if ws.title not in ("README", "Codes"):
            ws.print_title_rows = "1:1"
            ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(len(rows[_by_title(tables, ws.title)]) + 1, 2)}"
    book.save(path)


def _by_title(tables: list[Table], title: str) -> str:
    return next(t.name for t in tables if t.title == title)


def _rows(lay: Layout, records: list[dict]) -> dict[str, list[list]]:
    """The cell values of every table for ``records``, in record order."""
    out: dict[str, list[list]] = defaultdict(list)

    def emit(table: Table, item: object, keys: list[str]) -> None:
        row = list(keys)
        if table.scalar:
            row.append(item)
            out[table.name].append(row)
            return
        assert isinstance(item, dict)
        for column in table.columns:
            row.append(_value(item, column))
        out[table.name].append(row)
        for child in table.children:
            rel = table.relative(child)
            found = _get(item, rel)
            own = keys + ([item.get(table.id_field)] if table.is_array and table.id_field else [])
            if table.parent is None:
                own = [item.get("response_id")]
            if child.is_array and isinstance(found, list):
                for element in found:
                    emit(child, element, own)
            elif not child.is_array and isinstance(found, dict):
                emit(child, found, own)

    for record in records:
        emit(lay.root, record, [])
    return out


_ABSENT = object()


def _get(item: object, path: tuple[str, ...]) -> object:
    for part in path:
        if not isinstance(item, dict) or part not in item:
            return _ABSENT
        item = item[part]
    return item


def _value(item: dict, column: Column) -> object:
    value = _get(item, column.path)
    if column.kind == "state":
        if value is _ABSENT:
            return None
        if value is None or value == []:
            return "none"
        if value == {}:
            return "recorded"
        return None
    if value is _ABSENT:
        return None
    return cell_value(column.kind, value)


def _write_readme(ws, lay: Layout, clauses: dict[str, list[str]], bold, wrap) -> None:
    lines = [
        "shg-check response tracker",
        "One sheet per table; one row per response, young person, meeting, attendee, item covered, ... "
        "Rows join to their response by Response ID (and to their young person or meeting by its ID).",
        "Blank cell = not recorded (unknown: the checker says 'insufficient data', never a gap). "
        f"{NONE} = recorded as none / not done. Dates: dd/mm/yyyy. Yes/No columns: Yes or No.",
        "Codes: pick from the drop-down lists; the Codes sheet lists every code and its meaning.",
        "Never type a child's name: young people are identified by pseudonymous IDs only.",
        "Check the tracker with:  shg-check validate tracker.xlsx   then   shg-check check tracker.xlsx",
        "Generated from the exchange-format schema (checker/schemas/response-record.schema.json) and the rules.",
    ]
    for i, line in enumerate(lines, start=1):
        cell = ws.cell(i, 1, line)
        cell.alignment = wrap
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=6)   # README is never read back
        if i == 1:
            cell.font = bold
    start = len(lines) + 2
    headings = ["Sheet", "Column", "Field", "Kind", "Meaning", "Chapter clauses"]
    for j, h in enumerate(headings, start=1):
        ws.cell(start, j, h).font = bold
    r = start + 1
    for t in lay.tables():
        for _, heading in t.keys():
            ws.cell(r, 1, t.title)
            ws.cell(r, 2, heading)
            ws.cell(r, 4, "key")
            ws.cell(r, 5, "Joins the row to its parent.")
            r += 1
        for column in t.columns:
            name = _full_field(t, column)
            ws.cell(r, 1, t.title)
            ws.cell(r, 2, column.heading)
            ws.cell(r, 3, name)
            ws.cell(r, 4, KIND_TEXT[column.kind])
            meaning = _describe(column, t)
            ws.cell(r, 5, meaning).alignment = wrap
            clause_text = ", ".join(clauses.get(name, []))
            ws.cell(r, 6, clause_text).alignment = wrap
            for j in (1, 2, 3, 4):
                ws.cell(r, j).alignment = wrap
            lines = max(math.ceil(len(meaning) / 62), math.ceil(len(clause_text) / 22),
                        math.ceil(len(name) / 30), 1)
            ws.row_dimensions[r].height = 13 * lines + 2
            r += 1
    for letter, width in zip("ABCDEF", (16, 28, 32, 18, 66, 24)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(start + 1, 1)
