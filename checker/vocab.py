"""The codes of the exchange format (section 3) as data: roles, agencies and items, their labels and synonyms.

The vocabularies live in ``vocabularies.yaml`` next to the rules (``rules/vocabularies.yaml``;
a rules directory without one uses the bundled file). A partnership's override files
(``--vocab FILE``, repeatable, later wins) have the same shape and are layered on top:
they add codes, change labels and synonyms, and set the local names of the front door.
Every file is checked against ``checker/schemas/vocabularies.schema.json`` first.
A code of exchange format v1 (the enums of ``checker/schemas/response-record.schema.json``)
can never be removed, so every v1 record stays valid.

Record validation takes its role, agency and item codes from the vocabularies in use
(``active()``: the bundled ones unless a command or ``using()`` chose others).
``ROLES``, ``AGENCIES``, ``ITEMS`` and ``LABELS`` are the bundled defaults.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from jsonschema import Draft202012Validator

from . import bundled
from .errors import ConfigError
from .yamlio import read_yaml

VOCAB_FILE = "vocabularies.yaml"
KINDS = ("roles", "agencies", "items")
SINGULAR = {"roles": "role", "agencies": "agency", "items": "item"}
SCHEMA_DEFS = {"roles": "role_code", "agencies": "agency_code", "items": "item_code"}  # the record schema's $defs
DEFAULT_FRONT_DOOR = ("IFD", "MASH")


@dataclass(frozen=True, eq=False)
class Vocabularies:
    """Role, agency and item codes (code -> label, in file order), their synonyms and the local settings."""

    roles: dict[str, str]
    agencies: dict[str, str]
    items: dict[str, str]
    synonym_lists: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # kind -> code -> synonyms
    settings: dict = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # the files read, base first
    role_agencies: dict[str, str] = field(default_factory=dict)  # role code -> the agency it belongs to

    def agency_of_role(self, role: object) -> str | None:
        """The agency of a role whose agency is unambiguous (its ``agency:`` in the vocabularies), else None:
        an attendee recorded without ``agency`` is counted for that agency (7-P3 "each agency")."""
        return self.role_agencies.get(role) if isinstance(role, str) else None

    def codes(self, kind: str) -> tuple[str, ...]:
        return tuple(getattr(self, kind))

    def synonyms(self, kind: str) -> dict[str, tuple[str, ...]]:
        """code -> its synonyms, for one kind (roles, agencies or items)."""
        return dict(self.synonym_lists.get(kind, {}))

    @property
    def key(self) -> tuple:
        """What record validation depends on (the codes of each kind): a cache key."""
        return tuple(self.codes(kind) for kind in KINDS)

    @property
    def labels(self) -> dict[str, str]:
        return {**self.agencies, **self.items, **self.roles}

    def label_of(self, code: str) -> str:
        """The label for a known code; anything else (a child's pseudonymous id, a rule's own code) as it is."""
        labels = self.labels
        return f"{labels[code]} ({code})" if code in labels else code

    def lookup(self, kind: str, text: str) -> str | None:
        """The code that ``text`` names (the code itself, its label or a synonym, ignoring case), else None."""
        return _lookup_table(self)[kind].get(text.strip().casefold())

    @property
    def front_door(self) -> str:
        """How messages name the front door: the local names joined ("IFD / MASH" by default)."""
        return " / ".join(self.settings.get("front_door_names") or DEFAULT_FRONT_DOOR)


# -- loading ------------------------------------------------------------------------------------------------------


@cache
def v1_codes() -> dict[str, tuple[str, ...]]:
    """The codes of exchange format v1, by kind: the enums of the record schema (the contract)."""
    text = (files("checker") / "schemas" / "response-record.schema.json").read_text(encoding="utf-8")
    defs = json.loads(text)["$defs"]
    return {kind: tuple(c for c in defs[name]["enum"] if c is not None) for kind, name in SCHEMA_DEFS.items()}


@cache
def _validator() -> Draft202012Validator:
    text = (files("checker") / "schemas" / "vocabularies.schema.json").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def vocabulary_file(rules_dir: str | os.PathLike[str] | None) -> Path:
    """The base vocabularies of a rules directory: its own vocabularies.yaml, else the bundled one."""
    own = Path(rules_dir) / VOCAB_FILE if rules_dir is not None else None
    return own if own is not None and own.is_file() else bundled.bundled_rules_dir() / VOCAB_FILE


def load_vocabularies(rules_dir: str | os.PathLike[str] | None = None,
                      overrides: Sequence[str | os.PathLike[str]] = ()) -> Vocabularies:
    """The vocabularies of ``rules_dir`` (its vocabularies.yaml, else the bundled one) with ``overrides``
    layered on top in order (later wins). A ConfigError (one line) names the file and the problem."""
    rules_dir = rules_dir if rules_dir is not None else bundled.rules_dir()
    return _load((*(os.fspath(p) for p in chain_files(rules_dir)), *(os.fspath(p) for p in overrides)))


def chain_files(rules_dir: str | os.PathLike[str]) -> list[Path]:
    """The vocabulary files of a rule set: the first chapter version's (its own, else the bundled one), then
    the ``vocabularies.yaml`` of each later version (an overlay, checker/versions.py) layered on top, like
    an override: a new chapter version may add codes."""
    from .versions import version_chain

    try:
        chain = [v.directory for v in version_chain(Path(rules_dir))]
    except ConfigError:  # reported where the rules are loaded
        chain = [Path(rules_dir)]
    return [vocabulary_file(chain[0]), *(d / VOCAB_FILE for d in chain[1:] if (d / VOCAB_FILE).is_file())]


@cache
def _load_cached(paths: tuple[str, ...], stamps: tuple) -> Vocabularies:
    codes: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    synonyms: dict[str, dict[str, tuple[str, ...]]] = {kind: {} for kind in KINDS}
    role_agencies: dict[str, str] = {}
    settings: dict = {}
    for n, path in enumerate(paths):
        doc = _read(Path(path))
        for kind in KINDS:
            for code, entry in (doc.get(kind) or {}).items():
                where = f"{path}: /{kind}/{code}"
                what = SINGULAR[kind]
                if entry is None:  # removal
                    if kind == "roles":
                        role_agencies.pop(code, None)
                    if code in v1_codes()[kind]:
                        raise ConfigError(f"{where}: removing {what} code {code!r} is refused: it is a code of "
                                          f"exchange format v1 and every v1 record must stay valid")
                    codes[kind].pop(code, None)
                    synonyms[kind].pop(code, None)
                    continue
                if code not in codes[kind] and "label" not in entry:
                    raise ConfigError(f"{where}: a new {what} code needs a label")
                if "label" in entry:
                    codes[kind][code] = " ".join(entry["label"].split())
                if "synonyms" in entry:
                    synonyms[kind][code] = tuple(" ".join(s.split()) for s in entry["synonyms"])
                if kind == "roles" and "agency" in entry:
                    role_agencies[code] = entry["agency"]
        settings.update(doc.get("settings") or {})
        if n == 0:  # the base file lists every v1 code
            for kind in KINDS:
                missing = [c for c in v1_codes()[kind] if c not in codes[kind]]
                if missing:
                    raise ConfigError(f"{path}: {SINGULAR[kind]} code(s) {', '.join(missing)} of exchange format v1 "
                                      f"missing (a v1 code cannot be removed: every v1 record must stay valid)")
    for role, agency in role_agencies.items():
        if role in codes["roles"] and agency not in codes["agencies"]:
            raise ConfigError(f"{paths[-1]}: /roles/{role}/agency: {agency!r} is not an agency code of the "
                              f"vocabularies in use")
    out = Vocabularies(codes["roles"], codes["agencies"], codes["items"],
                       {k: {c: s for c, s in v.items() if c in codes[k]} for k, v in synonyms.items()},
                       settings, paths, {r: a for r, a in role_agencies.items() if r in codes["roles"]})
    _lookup_table(out)  # an ambiguous synonym is a ConfigError now, not when a workbook is read
    return out


def _load(paths: tuple[str, ...]) -> Vocabularies:
    stamps = []
    for p in paths:
        try:
            st = os.stat(p)
            stamps.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append(None)  # read_yaml reports it
    return _load_cached(paths, tuple(stamps))


def _read(path: Path) -> dict:
    doc = read_yaml(path, "vocabularies")
    if doc is None:
        doc = {}
    problems: list[str] = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        pointer = "".join(f"/{p}" for p in err.absolute_path) or "/"
        if "propertyNames" in err.schema_path and isinstance(err.instance, str):  # a code is named badly
            pointer = f"{pointer.rstrip('/')}/{err.instance}"
        problem = f"{pointer}: {_message(err)}"
        if problem not in problems:
            problems.append(problem)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ConfigError(f"{path}: {problems[0]}{more}")
    return doc


def _message(err) -> str:
    """A schema problem in words (never quoting a value: a synonym could be anything)."""
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        allowed = ", ".join(err.schema.get("properties", {}))
        return f"unknown field(s) {', '.join(map(repr, extra))} (allowed: {allowed})"
    if "propertyNames" in err.schema_path:
        return "a code is lower-case letters, digits and _ (starting with a letter, at most 64 characters)"
    if err.validator == "type":
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return "must be " + " or ".join({"object": "a mapping", "array": "a list", "string": "text",
                                          "null": "empty"}.get(t, t) for t in expected)
    if err.validator in ("minLength", "pattern"):
        return "must not be empty"
    if err.validator == "minItems":
        return "must name at least one"
    if err.validator == "uniqueItems":
        return "must not repeat a synonym"
    return f'is not valid (fails the "{err.validator}" rule of the vocabularies schema)'


def _lookup_table(v: Vocabularies) -> dict[str, dict[str, str]]:
    """kind -> casefolded code, label or synonym -> code; a ConfigError when one text names two codes."""
    cached = getattr(v, "_table", None)
    if cached is not None:
        return cached
    table: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        names: dict[str, str] = {}
        entries = getattr(v, kind)
        for code in entries:
            names[code.casefold()] = code
        for code, label in entries.items():
            names.setdefault(label.casefold(), code)
        for code, words in v.synonym_lists.get(kind, {}).items():
            for word in words:
                other = names.setdefault(word.casefold(), code)
                if other != code:
                    raise ConfigError(f"{', '.join(v.sources)}: /{kind}/{code}: synonym {word!r} also names "
                                      f"{SINGULAR[kind]} code {other!r} (a synonym names one code)")
        table[kind] = names
    object.__setattr__(v, "_table", table)
    return table


# -- the vocabularies in use ---------------------------------------------------------------------------------------

BUNDLED = load_vocabularies(bundled.bundled_rules_dir())
_active: list[Vocabularies] = []


def chosen() -> Vocabularies | None:
    """The vocabularies a caller chose with ``using()``, else None."""
    return _active[-1] if _active else None


def active() -> Vocabularies:
    """The vocabularies in use: the innermost ``using()``, else the bundled ones."""
    return _active[-1] if _active else BUNDLED


@contextmanager
def using(vocabularies: Vocabularies) -> Iterator[Vocabularies]:
    """Validate records, name codes and read workbooks with ``vocabularies`` inside the block."""
    _active.append(vocabularies)
    try:
        yield vocabularies
    finally:
        _active.pop()


def vocabularies_for(rules_dir: str | os.PathLike[str] | None, vocab_files: Sequence[str | os.PathLike[str]] = ()):
    """A context in which the vocabularies of ``rules_dir`` (its chapter-version chain; default: the default
    rules) with ``vocab_files`` on top are in use; without ``vocab_files``, vocabularies a caller already chose
    (``using()``, as the CLI does) are kept."""
    if not vocab_files and chosen() is not None:
        return nullcontext()
    return using(load_vocabularies(rules_dir or bundled.rules_dir(), vocab_files))


def with_vocabularies(func):
    """Run a library function with the vocabularies of its ``rules_dir`` argument (default: the default rules)
    and its ``vocab_files`` argument (overrides, later wins) in use: record validation, code labels and
    front-door names. Without ``vocab_files``, vocabularies a caller already chose (``using()``, as the CLI
    does) are kept."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        with vocabularies_for(bound.arguments.get("rules_dir"), bound.arguments.get("vocab_files") or ()):
            return func(*args, **kwargs)
    return wrapper


# The bundled defaults (existing imports keep working).
ROLES = dict(BUNDLED.roles)
ITEMS = dict(BUNDLED.items)
AGENCIES = dict(BUNDLED.agencies)
LABELS = {**AGENCIES, **ITEMS, **ROLES}


def label_of(code: str) -> str:
    """The label for a known code of the vocabularies in use; anything else (a child's pseudonymous id,
    a rule's own code) as it is."""
    return active().label_of(code)


# -- local names in rule texts -------------------------------------------------------------------------------------

PLACEHOLDERS = ("{front_door}", "{front_door_or}")


def local_names(doc: object, vocabularies: Vocabularies | None = None) -> object:
    """A rule document with the front-door placeholders of its texts filled from the settings:
    ``{front_door}`` -> "IFD / MASH", ``{front_door_or}`` -> "IFD or MASH" by default. Examples are left alone."""
    v = vocabularies or active()
    names = v.settings.get("front_door_names") or DEFAULT_FRONT_DOOR
    words = {"{front_door}": " / ".join(names), "{front_door_or}": " or ".join(names)}

    def fill(node: object, key: object = None) -> object:
        if isinstance(node, str):
            for placeholder, text in words.items():
                node = node.replace(placeholder, text)
            return node
        if isinstance(node, dict):
            return {k: (v_ if k == "examples" and key is None else fill(v_, k)) for k, v_ in node.items()}
        if isinstance(node, list):
            return [fill(item, key) for item in node]
        return node
    return fill(doc)
