"""The tracker's tables, derived at run time from the response-record schema.

Nothing here lists columns: every column comes from a property of
``checker/schemas/response-record.schema.json``, so a field added to the
schema (exchange format 1.x) becomes a column of the template, of the default
mapping and of the README sheet without a code change. The few choices the
schema cannot make are below as data: which nested objects get a sheet of
their own, which lists of codes get one row per code, and a few headings.

How a record becomes tables:

- the record is one row of the Responses sheet; every array of objects
  (young people, meetings, attendees, ...) is a sheet of its own, one row per
  element, joined to its parent by the parent's keys (Response ID, then the
  id of the young person or meeting);
- a nested object (referral, chair, decisions, ...) is flattened into its
  parent's row as "Referral: date", "Referral: route", ...;
- a list of codes is one cell, codes separated by ";", except the lists named
  in ``OWN_TABLE`` (items covered), which get one row per code;
- a nested object or array that can be absent, null or empty gets one more
  column, "<name> (recorded / none)", so that the tracker can say "none"
  (null or []) apart from "not recorded" (blank), as the exchange format does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

# Choices the schema cannot make (paths as dotted names inside the record).
OWN_SHEET = {"closure"}                    # objects that get a sheet (one row per response) of their own
OWN_TABLE = {"meetings.covered"}           # lists of codes that get one row per code
TITLES = {                                 # sheet titles; others come from the field name
    "": "Responses", "young_people": "Young people", "young_people.self_harm_episodes": "Self-harm episodes",
    "young_people.connections": "Connections", "meetings": "Meetings", "meetings.attendees": "Attendees",
    "meetings.covered": "Items covered", "information_sharing.school_meetings": "School meetings",
    "information_sharing.drop_in_sessions": "Drop-in sessions", "closure": "Closure",
    "closure.agency_reviews": "Agency reviews", "closure.lessons_actions": "Lessons actions",
}
WORDS = {"id": "ID", "ehe": "EHE", "cme": "CME", "s47": "S47", "la": "LA", "ifd": "IFD", "mash": "MASH"}
HEADINGS = {                               # a clearer heading than the field name gives
    "young_people.id": "Young person ID", "meetings.id": "Meeting ID", "meetings.type": "Meeting type",
    "meetings.date": "Meeting date", "meetings.covered.item": "Item covered",
    "information_sharing.school_meetings.young_person": "Young person ID",
    "closure.date": "Closure date",
}
KEY_HEADINGS = {"response_id": "Response ID", "young_people": "Young person ID", "meetings": "Meeting ID"}
NONE = "(none)"                            # what a cell says for an explicit null / empty list
STATE_VALUES = ("recorded", "none")        # values of a "(recorded / none)" column


@dataclass
class Column:
    """One column of a sheet: a field of the table's item (``path`` relative to the item)."""
    path: tuple[str, ...]
    kind: str                  # string | date | boolean | integer | code | list | state
    heading: str
    description: str = ""
    codes: tuple[str, ...] = ()    # code / list of codes: the allowed codes
    vocabulary: str = ""       # name of the code list (a $defs name, or the field name)
    nullable: bool = False
    required: bool = False
    item_kind: str = ""        # list: kind of each element (string | code | date); state: array | object

    @property
    def field(self) -> str:
        return ".".join(self.path)


@dataclass
class Table:
    """One sheet: the items found at ``path`` in a record (an array, or an object with OWN_SHEET)."""
    name: str                  # dotted path in the record ("" = the response itself)
    title: str
    path: tuple[str, ...]
    is_array: bool
    parent: "Table | None"
    description: str = ""
    scalar: bool = False       # an OWN_TABLE list of codes: each row is one code, in ``columns[0]``
    id_field: str | None = None    # the field that identifies an item (young people and meetings: id)
    columns: list[Column] = field(default_factory=list)
    children: list["Table"] = field(default_factory=list)
    required: tuple[str, ...] = ()

    def ancestors(self) -> list["Table"]:
        out, t = [], self.parent
        while t is not None:
            out.append(t)
            t = t.parent
        return out[::-1]

    def keys(self) -> list[tuple[str, str]]:
        """(key name, heading) of the columns joining a row to its parent: response_id, then parents' ids."""
        if self.parent is None:
            return []
        out = [("response_id", KEY_HEADINGS["response_id"])]
        for t in self.ancestors()[1:]:
            if t.is_array and t.id_field:
                out.append((t.name, KEY_HEADINGS.get(t.name, f"{t.title} ID")))
        return out

    def relative(self, other: "Table") -> tuple[str, ...]:
        """Path of ``other`` (a descendant) relative to this table's item."""
        return other.path[len(self.path):]


@dataclass
class Layout:
    root: Table
    definitions: dict

    def tables(self) -> list[Table]:
        out: list[Table] = []

        def walk(t: Table) -> None:
            out.append(t)
            for c in t.children:
                walk(c)
        walk(self.root)
        return out

    def table(self, name: str) -> Table:
        for t in self.tables():
            if t.name == name:
                return t
        raise KeyError(name)

    def vocabularies(self) -> dict[str, tuple[str, ...]]:
        """Every code list used by a column, by name, in first-use order."""
        out: dict[str, tuple[str, ...]] = {}
        for t in self.tables():
            for c in t.columns:
                if c.codes and c.vocabulary not in out:
                    out[c.vocabulary] = c.codes
        return out


def humanise(name: str) -> str:
    words = [WORDS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def layout() -> Layout:
    """The layout of the record schema, with the codes of the vocabularies in use (checker/vocab.py)."""
    from checker.vocab import active
    return _layout(active().key)


@cache
def _layout(key: tuple) -> Layout:
    from checker.validation import _record_schema
    return build_layout(_record_schema("response-record", key))


def build_layout(schema: dict) -> Layout:
    defs = schema.get("$defs", {})
    root = Table("", TITLES[""], (), False, None, schema.get("description", ""),
                 required=tuple(schema.get("required", ())))
    _fill(root, schema, (), (), defs)
    out = Layout(root, defs)
    _name_vocabularies(out)
    return out


def _name_vocabularies(out: Layout) -> None:
    """Name each code list by the $defs enum it equals, else by its field (qualified when two differ)."""
    by_codes = {tuple(c for c in d["enum"] if c is not None): name
                for name, d in out.definitions.items() if isinstance(d, dict) and "enum" in d}
    used: dict[str, tuple[str, ...]] = {}
    for t in out.tables():
        headings: set[str] = set()
        for c in t.columns:
            if c.heading in headings:  # two fields humanised alike: show the field
                c.heading = f"{c.heading} ({c.field})"
            headings.add(c.heading)
            if not c.codes or c.kind == "state":
                continue
            name = by_codes.get(c.codes) or c.path[-1] if c.path else (by_codes.get(c.codes) or t.path[-1])
            name = by_codes.get(c.codes, name)
            if used.get(name, c.codes) != c.codes:
                name = ".".join((*t.path, *c.path))
            used[name] = c.codes
            c.vocabulary = name


def _resolve(node: dict, defs: dict) -> tuple[dict, str]:
    """The schema node with its $ref followed (the referring node's keys win), and the $defs name."""
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        name = ref.rsplit("/", 1)[1]
        target, _ = _resolve(defs.get(name, {}), defs)
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}, name
    return node, ""


def _types(node: dict) -> list[str]:
    t = node.get("type")
    if t is None and "enum" in node:
        return ["code"] + (["null"] if None in node["enum"] else [])
    if t is None and "const" in node:
        return ["string"]
    return list(t) if isinstance(t, list) else [t] if t else []


def _scalar_kind(node: dict, types: list[str]) -> str:
    if "enum" in node:
        return "code"
    if node.get("format") == "date":
        return "date"
    for t in ("boolean", "integer", "number", "string"):
        if t in types:
            return {"number": "integer"}.get(t, t)
    return "string"


def _label(prefix: tuple[str, ...], name: str, table: Table) -> str:
    dotted = ".".join((*table.path, *prefix, name))
    if dotted in HEADINGS:
        return HEADINGS[dotted]
    parts = [humanise(p) for p in prefix] + [humanise(name)]
    return ": ".join(parts) if len(parts) > 1 else parts[0]


def _fill(table: Table, node: dict, prefix: tuple[str, ...], schema_path: tuple[str, ...], defs: dict) -> None:
    required = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        sub, defname = _resolve(sub, defs)
        types = _types(sub)
        path = (*prefix, name)
        dotted = ".".join((*table.path, *path))
        description = sub.get("description", "")
        if "array" in types:
            items, item_def = _resolve(sub.get("items", {}), defs)
            item_types = _types(items)
            if "object" in item_types or dotted in OWN_TABLE:
                child = Table(dotted, TITLES.get(dotted, humanise(name)), (*table.path, *path), True, table,
                              description, scalar="object" not in item_types,
                              required=tuple(items.get("required", ())))
                if child.scalar:
                    kind = _scalar_kind(items, item_types)
                    child.columns.append(Column((), kind, HEADINGS.get(f"{dotted}.item", humanise(name)),
                                                items.get("description", description),
                                                tuple(c for c in items.get("enum", ()) if c is not None),
                                                item_def or name, required=True))
                else:
                    if "id" in items.get("properties", {}):
                        child.id_field = "id"
                    _fill(child, items, (), (), defs)
                table.children.append(child)
                table.columns.append(Column(path, "state", f"{_label(prefix, name, table)} (recorded / none)",
                                            description, STATE_VALUES, "state", item_kind="array"))
            else:
                kind = _scalar_kind(items, item_types)
                table.columns.append(Column(path, "list", _label(prefix, name, table), description,
                                            tuple(c for c in items.get("enum", ()) if c is not None),
                                            item_def or name, item_kind=kind, required=name in required))
        elif "object" in types:
            if dotted in OWN_SHEET:
                child = Table(dotted, TITLES.get(dotted, humanise(name)), (*table.path, *path), False, table,
                              description, required=tuple(sub.get("required", ())))
                _fill(child, sub, (), (), defs)
                table.children.append(child)
            else:
                _fill(table, sub, path, (), defs)
            table.columns.append(Column(path, "state", f"{_label(prefix, name, table)} (recorded / none)",
                                        description, STATE_VALUES, "state", nullable="null" in types,
                                        item_kind="object"))
        else:
            kind = _scalar_kind(sub, types)
            codes = tuple(c for c in sub.get("enum", ()) if c is not None)
            table.columns.append(Column(path, kind, _label(prefix, name, table), description, codes,
                                        defname or name, nullable="null" in types or None in sub.get("enum", ()),
                                        required=name in required and not prefix))
    # state columns after the fields they describe
    table.columns.sort(key=lambda c: c.kind == "state")


