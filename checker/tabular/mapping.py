"""Mappings: which sheet and column gives which record field. Loaded, validated, resolved against the layout.

A mapping file is YAML, validated against ``checker/schemas/mapping.schema.json``
and then resolved: every table must name a table of the layout, every field a
field of that table, every key a key of it. Any problem is a ConfigError
(exit 2) naming the mapping file, before any record is read.

The default mapping is made from the layout (so from the schema): it reads
the workbook that ``shg-check template`` writes, sheet by sheet and heading by
heading. Its columns are optional, so a tracker filled in from an older
template (fewer columns) is still read.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from jsonschema import Draft202012Validator

from checker.errors import ConfigError
from checker.tabular.layout import NONE, Column, Layout, Table, layout
from checker.tabular.values import DEFAULT_BOOLEANS, DEFAULT_DATE_FORMATS

MAPPING_FILES = ("mapping.yaml", "mapping.yml", "shg-mapping.yaml")


@dataclass
class ColumnMap:
    heading: str
    column: Column
    values: dict[str, object] = field(default_factory=dict)    # casefolded local value -> record value
    date_formats: tuple[str, ...] | None = None
    optional: bool = False


@dataclass
class TableMap:
    table: Table
    sheet: str | None
    file: str | None
    mode: str                                  # rows | enrich | link
    columns: list[ColumnMap]
    keys: dict[str, str] = field(default_factory=dict)          # key name -> heading
    set: dict[str, tuple[Column, object]] = field(default_factory=dict)
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    enrich: tuple[str, str] | None = None      # (key, heading)
    link: dict | None = None
    during: tuple[str, str | None] | None = None
    pick: str = "earliest"
    otherwise: dict[str, tuple[Column, object]] = field(default_factory=dict)
    optional: bool = False
    header_row: int = 1
    index: int = 0

    def label(self) -> str:
        return f"tables[{self.index}]"

    def headings(self) -> set[str]:
        """Every column heading this table reads."""
        out = {c.heading for c in self.columns} | set(self.keys.values()) | set(self.where)
        if self.enrich:
            out.add(self.enrich[1])
        if self.link:
            out |= {self.link["column"], self.link["key_column"]}
        if self.during:
            out |= {h for h in self.during if h}
        return out


@dataclass
class Mapping:
    tables: list[TableMap]
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    booleans: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_BOOLEANS))
    none: tuple[str, ...] = (NONE,)
    path: Path | None = None                   # the mapping file (None: the default mapping)
    title: str = ""

    @property
    def name(self) -> str:
        return os.fspath(self.path) if self.path else "the default mapping"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads((files("checker") / "schemas" / "mapping.schema.json").read_text("utf-8")))


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read, validate and resolve a mapping file; ConfigError lists every problem."""
    from checker.yamlio import read_yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{os.fspath(path)}: mapping file not found")
    doc = read_yaml(path, "mapping")
    problems = []
    for error in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where = "".join(f"/{p}" for p in error.absolute_path) or "/"
        problems.append(f"{where}: {_schema_message(error)}")
    if problems:
        raise ConfigError(f"{os.fspath(path)}: not a valid mapping:\n  " + "\n  ".join(problems))
    return resolve(doc, layout(), path)


def _schema_message(error) -> str:
    if error.validator == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        return "missing " + ", ".join(missing) if missing else "missing a required field"
    if error.validator == "additionalProperties":
        return "unknown field(s): " + ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
    if error.validator == "anyOf":
        return "must name a sheet or a file"
    if error.validator == "oneOf":
        return "must be a field name, or {field, values, date_formats, optional}"
    return error.message if len(error.message) < 200 else f'fails the "{error.validator}" rule'


def resolve(doc: dict, lay: Layout, path: Path | None = None) -> Mapping:
    problems: list[str] = []
    tables = []
    for i, spec in enumerate(doc["tables"]):
        try:
            tables.append(_resolve_table(spec, lay, i))
        except ConfigError as exc:
            problems.append(f"tables[{i}]: {exc}")
    if problems:
        raise ConfigError(f"{os.fspath(path) if path else 'mapping'}: " + "; ".join(problems))
    booleans = {**DEFAULT_BOOLEANS, **{str(k).strip().casefold(): v for k, v in doc.get("booleans", {}).items()}}
    return Mapping(tables, tuple(doc.get("date_formats", DEFAULT_DATE_FORMATS)), booleans,
                   tuple(doc.get("none", (NONE,))), path, doc.get("title", ""))


def _find_column(table: Table, name: str) -> Column:
    for column in table.columns:
        if column.field == name:
            return column
    raise ConfigError(f'no field "{name}" in table "{table.name or "(response)"}" of the exchange format')


def _resolve_table(spec: dict, lay: Layout, index: int) -> TableMap:
    try:
        table = lay.table(spec["table"])
    except KeyError:
        names = ", ".join(repr(t.name) for t in lay.tables())
        raise ConfigError(f'unknown table "{spec["table"]}" (one of {names})') from None
    mode = "enrich" if "enrich" in spec else "link" if "link" in spec else "rows"
    columns = []
    for heading, target in spec.get("columns", {}).items():
        target = {"field": target} if isinstance(target, str) else target
        fname = "" if table.scalar and target["field"] in ("item", table.path[-1]) else target["field"]
        column = _find_column(table, fname)
        values = {str(k).strip().casefold(): v for k, v in target.get("values", {}).items()}
        columns.append(ColumnMap(str(heading), column, values,
                                 tuple(target["date_formats"]) if "date_formats" in target else None,
                                 bool(target.get("optional", False))))
    keys = dict(spec.get("keys", {}))
    if mode == "rows":
        wanted = [k for k, _ in table.keys()]
        if table.parent is not None and sorted(keys) != sorted(wanted):
            raise ConfigError(f"keys must be {', '.join(wanted)} (the columns joining a row to its parent)")
        if table.parent is None and not any(c.column.field == "response_id" for c in columns):
            raise ConfigError("the response table must have a column for response_id")
    sets = {name: (_find_column(table, name), value) for name, value in spec.get("set", {}).items()}
    otherwise = {name: (_find_column(table, name), value) for name, value in spec.get("otherwise", {}).items()}
    link = spec.get("link")
    if link:
        _find_column(table, link["match"])
    during = spec.get("during_response")
    return TableMap(table, spec.get("sheet"), spec.get("file"), mode, columns, keys, sets,
                    {k: tuple(str(v) for v in vs) for k, vs in spec.get("where", {}).items()},
                    (spec["enrich"]["key"], spec["enrich"]["column"]) if "enrich" in spec else None, link,
                    (during["start"], during.get("end")) if during else None, spec.get("pick", "earliest"),
                    otherwise, bool(spec.get("optional", False)), int(spec.get("header_row", 1)), index)


def default_document(lay: Layout | None = None) -> dict:
    """The default mapping as a document (what ``shg-check template --mapping`` writes)."""
    lay = lay or layout()
    tables = []
    for t in lay.tables():
        entry: dict = {"sheet": t.title, "table": t.name}
        if t.parent is not None:
            entry["optional"] = True
            entry["keys"] = {k: h for k, h in t.keys()}
        entry["columns"] = {c.heading: (c.field or "item") if c.field in ("response_id", "")
                            else {"field": c.field, "optional": True} for c in t.columns}
        tables.append(entry)
    return {"mapping": 1, "title": "shg-check tracker template (default mapping)", "tables": tables}


@cache
def default_mapping() -> Mapping:
    return resolve(default_document(), layout())


def find_mapping_file(folder: Path) -> Path | None:
    for name in MAPPING_FILES:
        if (folder / name).is_file():
            return folder / name
    return None
