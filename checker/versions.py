"""Effective dating: chapter versions, dated rules and dated parameter values (issue 11).

A rule set directory is one *chapter version*. Its ``version.yaml`` names it and
gives its review date; the first version is in force from the parameter
``chapter_in_force_from``. A later version is an *overlay directory* (by
convention ``rules/versions/<valid_from>/``) whose ``version.yaml`` says which
version it ``inherits``, from when it is in force (``valid_from``) and lists
what it ``adds``, ``changes`` and ``removes`` (rule ids); its rule files are the
added and changed rules, its ``parameters.yaml`` the parameter values it
changes (each in force from ``valid_from``) and any new parameter. Nothing in
the inherited directory is touched. ``valid_to`` is always exclusive: the first
day a rule, a value or a version is no longer in force.

Each response is judged by the rule versions in force on ONE date: its
identification date (``identified_on``). A rule file may also carry its own
``valid_from`` / ``valid_to`` / ``next_review``. A rule whose parameters have
dated values is compiled once per window in which its values are constant.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .params import Parameter, _iso, _parameter_spec, add_dated_value
from .workdays import epoch_day
from .yamlio import read_yaml

VERSION_FILE = "version.yaml"
VERSIONS_DIR = "versions"
MANIFEST_KEYS = {"version", "title", "inherits", "valid_from", "next_review", "adds", "changes", "removes",
                 "description"}


@dataclass
class ChapterVersion:
    name: str
    directory: Path
    valid_from: str = ""                # ISO; the first version: chapter_in_force_from
    valid_to: str | None = None         # exclusive: the next version's valid_from
    next_review: str | None = None
    title: str = ""
    description: str = ""
    inherits: Path | None = None
    adds: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "valid_from": self.valid_from}
        if self.valid_to:
            out["valid_to"] = self.valid_to
        if self.next_review:
            out["next_review"] = self.next_review
        if self.title:
            out["title"] = self.title
        return out

    def words(self) -> str:
        span = f"in force from {self.valid_from}" + (f" to {self.valid_to} (exclusive)" if self.valid_to else "")
        review = f", next review {self.next_review}" if self.next_review else ""
        return f"chapter version {self.name} ({span}{review})"


def _date(value: Any, where: str, what: str) -> str:
    """A manifest's date as YYYY-MM-DD (one check for every date of the rules: checker/params.py)."""
    return _iso(value, where, what)


def read_manifest(directory: Path) -> dict:
    path = directory / VERSION_FILE
    if not path.is_file():
        return {}
    doc = read_yaml(path, "chapter version")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a chapter version file holds one mapping (version, valid_from, ...)")
    unknown = sorted(set(doc) - MANIFEST_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(map(repr, unknown))} "
                          f"(known: {', '.join(sorted(MANIFEST_KEYS))})")
    for key in ("adds", "changes", "removes"):
        if not isinstance(doc.get(key, []), list) or not all(isinstance(v, str) for v in doc.get(key, [])):
            raise ConfigError(f"{path}: {key} must be a list of rule ids")
    return doc


def version_chain(directory: Path) -> list[ChapterVersion]:
    """The chapter versions from the first to the one in ``directory`` (each overlay inherits the one before)."""
    chain: list[ChapterVersion] = []
    seen: set[Path] = set()
    current: Path | None = Path(directory)
    while current is not None:
        key = current.resolve()
        if key in seen:
            raise ConfigError(f"{current / VERSION_FILE}: 'inherits' goes round in a circle")
        seen.add(key)
        if not current.is_dir():
            raise ConfigError(f"{current}: rules directory not found")
        doc = read_manifest(current)
        where = str(current / VERSION_FILE)
        inherits = Path(os.path.normpath(current / str(doc["inherits"]))) if doc.get("inherits") else None
        if inherits is None and "valid_from" in doc:
            raise ConfigError(f"{where}: the first chapter version is in force from the parameter "
                              "chapter_in_force_from; give valid_from only in a version that inherits another")
        if inherits is not None and "valid_from" not in doc:
            raise ConfigError(f"{where}: a version that inherits another needs valid_from")
        if inherits is None and any(doc.get(k) for k in ("adds", "changes", "removes")):
            raise ConfigError(f"{where}: adds / changes / removes need 'inherits' (the version they change)")
        chain.append(ChapterVersion(
            name=str(doc.get("version", current.name if inherits is not None else "1")), directory=current,
            valid_from=_date(doc["valid_from"], where, "valid_from") if "valid_from" in doc else "",
            next_review=_date(doc["next_review"], where, "next_review") if doc.get("next_review") else None,
            title=str(doc.get("title", "")), description=" ".join(str(doc.get("description", "")).split()),
            inherits=inherits, adds=list(doc.get("adds", [])), changes=list(doc.get("changes", [])),
            removes=list(doc.get("removes", []))))
        current = inherits
    chain.reverse()
    return chain


def overlay_parameters(params: dict[str, Parameter], chain: list[ChapterVersion]) -> dict[str, Parameter]:
    """The parameters with each overlay's values added, each in force from its version's valid_from."""
    out = dict(params)
    for before, version in zip(chain, chain[1:]):
        path = version.directory / "parameters.yaml"
        if not path.is_file():
            continue
        doc = read_yaml(path, "parameters")
        if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
            raise ConfigError(f"{path}: expected a mapping 'parameters:'")
        for name, spec in doc["parameters"].items():
            if name in out:
                if not isinstance(spec, dict) or "value" not in spec or not set(spec) <= {"value", "reference"}:
                    raise ConfigError(f"{path}: parameter {name!r}: a version changes a value with "
                                      "{value, reference?} (in force from the version's valid_from)")
                if name == "chapter_in_force_from":
                    raise ConfigError(f"{path}: chapter_in_force_from cannot change in a later version")
                out[name] = add_dated_value(out[name], spec["value"], version.valid_from,
                                            str(spec.get("reference", "")), str(path), before.valid_from)
            else:
                out[name] = _parameter_spec(name, spec, str(path))
    return out


@dataclass
class Entry:
    """One rule file in force over a span of identification dates (valid_to exclusive; None = open)."""
    path: Path
    doc: dict
    valid_from: str
    valid_to: str | None
    chapter_version: str
    withdrawn_by: str = ""   # the chapter version that removed or replaced it


def rule_entries(chain: list[ChapterVersion], files_of, read) -> tuple[dict[str, list[Entry]], list[str]]:
    """Every rule id's entries over the chain of versions, and the problems found (manifest vs files)."""
    entries: dict[str, list[Entry]] = {}
    problems: list[str] = []
    for i, version in enumerate(chain):
        docs = [(p, read(p)) for p in files_of(version.directory)]
        where = version.directory / VERSION_FILE
        if i == 0:
            for path, doc in docs:
                entries.setdefault(str(doc.get("id")), []).append(
                    Entry(path, doc, version.valid_from, None, version.name))
            continue
        ids = {str(doc.get("id")): (path, doc) for path, doc in docs}
        for rid in version.removes:
            if rid not in entries or entries[rid][-1].valid_to is not None:
                problems.append(f"{where}: removes {rid!r}, which the version it inherits does not have in force")
            elif rid in ids:
                problems.append(f"{where}: removes {rid!r} but also has a rule file with that id")
        for rid, (path, _) in ids.items():
            inherited = rid in entries and entries[rid][-1].valid_to is None
            if inherited and rid not in version.changes:
                problems.append(f"{path}: rule {rid!r} changes an inherited rule: list it under 'changes' in {where}")
            if not inherited and rid not in version.adds:
                problems.append(f"{path}: rule {rid!r} is new in this version: list it under 'adds' in {where}")
        for key in ("adds", "changes"):
            for rid in getattr(version, key):
                if rid not in ids:
                    problems.append(f"{where}: {key} {rid!r}, but no rule file in {version.directory} has that id")
        for rid in version.removes:
            if rid in entries and entries[rid][-1].valid_to is None:
                entries[rid][-1].valid_to = version.valid_from
                entries[rid][-1].withdrawn_by = version.name
        for rid, (path, doc) in ids.items():
            if rid in entries and entries[rid][-1].valid_to is None:
                entries[rid][-1].valid_to = version.valid_from
                entries[rid][-1].withdrawn_by = version.name
            entries.setdefault(rid, []).append(Entry(path, doc, version.valid_from, None, version.name))
    return entries, problems


def _iso_day(iso: str) -> int:
    return epoch_day(dt.date.fromisoformat(iso))


def windows(entry: Entry, params: dict[str, Parameter]) -> list[tuple[str, str | None]]:
    """The spans of identification dates over which the entry and its parameters' values are constant."""
    doc = entry.doc
    start = max(entry.valid_from, _date(doc["valid_from"], entry.path.name, "valid_from")) \
        if doc.get("valid_from") else entry.valid_from
    end = entry.valid_to
    if doc.get("valid_to"):
        own = _date(doc["valid_to"], entry.path.name, "valid_to")
        end = own if end is None else min(end, own)
    if end is not None and end <= start:
        return []
    cuts = sorted({d for name in doc.get("parameters", []) if name in params
                   for d in params[name].change_days() if start < d and (end is None or d < end)})
    bounds = [start, *cuts]
    return [(a, b) for a, b in zip(bounds, [*cuts, end])]


def chapter_version_on(chain: list[ChapterVersion], iso: str) -> str:
    """The name of the chapter version in force on ``iso`` (the latest that began on or before it)."""
    name = chain[0].name
    for v in chain:
        if v.valid_from and v.valid_from <= iso:
            name = v.name
    return name


def dated_versions(entries: list[Entry], params: dict[str, Parameter], normalise, chapter_from: str,
                   chain: list[ChapterVersion] | None = None) -> list:
    """The Rule versions of one rule id, oldest first, each in force over one window (see ``windows``);
    each names the chapter version in force when its window begins."""
    spans = [(entry, a, b) for entry in entries for a, b in windows(entry, params)]
    out = []
    for k, (entry, a, b) in enumerate(spans):
        day = dt.date.fromisoformat(a)
        rule = normalise(entry.doc, {n: p.on(day) for n, p in params.items()}, str(entry.path))
        prev_end = spans[k - 1][2] if k else None
        has_before = k == 0 or (prev_end is not None and prev_end < a)
        if k == 0 and a == chapter_from:
            before_reason = ""   # the v1 words: identified before the chapter came into force
        elif k == 0:
            before_reason = f"identified before this rule came into force (in force from {a})"
        else:
            before_reason = f"identified from {prev_end} to before {a}, when this rule was not in force"
        last = k == len(spans) - 1
        after = ""
        if last and b is not None:
            by = f" (withdrawn by chapter version {entry.withdrawn_by})" if entry.withdrawn_by else ""
            after = f"identified on or after {b}, when this rule is no longer in force{by}"
        out.append(dataclasses.replace(
            rule, in_force_from=_iso_day(a), valid_to=_iso_day(b) if b else None, version=a,
            chapter_version=chapter_version_on(chain, a) if chain else entry.chapter_version, window=k, windows=len(spans), has_before=has_before,
            before_from=_iso_day(prev_end) if k and has_before and prev_end else None,
            before_reason=before_reason, after_reason=after,
            next_review=_date(entry.doc["next_review"], entry.path.name, "next_review")
            if entry.doc.get("next_review") else ""))
    return out


def review_notices(chapter_versions: list[ChapterVersion], versions: dict[str, list], as_of: dt.date) -> list[str]:
    """Warnings for a chapter version, or a rule, past its review date on ``as_of``."""
    out = []
    day = as_of.isoformat()
    for v in chapter_versions:
        if v.next_review and v.next_review < day and (v.valid_to is None or v.valid_to > v.next_review):
            out.append(f"Chapter version {v.name} is past its review date ({v.next_review}): check that the "
                       "rules still say what the chapter says.")
    for rid, rule_versions in sorted(versions.items()):
        reviews = sorted({r.next_review for r in rule_versions if r.next_review and r.next_review < day})
        if reviews:
            out.append(f"Rule {rid} is past its review date {reviews[-1]}.")
    return out
