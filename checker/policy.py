"""The chapter as data (``policy/chapter.yaml``): one loader for the author tools and the reports.

The file is the bundled chapter (``policy/chapter.yaml``, shipped in the package: checker/bundled.py)
or ``$SHG_CHECK_POLICY``. ``load_policy`` is strict (the author tools stop on a
broken file); ``load_chapter`` is the reports' view, which shows clause ids
alone when the file cannot be read.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import bundled
from .errors import ConfigError
from .yamlio import read_yaml

DEFAULT_POLICY = bundled.bundled_policy_file()  # policy/chapter.yaml, shipped in the package (checker/bundled.py)


@dataclass
class Clause:
    id: str
    section: str
    text: str
    kind: str
    reason: str = ""
    note: str = ""
    strength: str = ""   # must | should | may | indicative | definition | none (the chapter's words)
    version: int = 1     # amended clauses: 2, 3, ... (scripts/build_policy.py keeps the id)
    previous: tuple = ()  # earlier texts: ({"version": 1, "text": ...}, ...)


@dataclass
class Policy:
    meta: dict
    clauses: dict[str, Clause]
    path: Path
    sections: dict[str, str] = field(default_factory=dict)   # "4.1" -> title


@dataclass(frozen=True)
class Chapter:
    """What a report quotes: the chapter's title, section titles and clause texts."""
    title: str = ""
    sections: dict[str, str] = field(default_factory=dict)   # "4.1" -> title
    clauses: dict[str, str] = field(default_factory=dict)    # "4-P2" -> text

    def clause_text(self, clause_id: str) -> str:
        return self.clauses.get(clause_id, "")

    def section_title(self, section: str) -> str:
        return self.sections.get(section, "")


def policy_path() -> Path:
    """$SHG_CHECK_POLICY, else the chapter shipped in the package."""
    return bundled.policy_file()


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """Every clause with its kind; a ConfigError naming the file when it is not usable."""
    path = Path(path or policy_path())
    doc = read_yaml(path, "policy")
    if not isinstance(doc, dict) or not isinstance(doc.get("clauses"), list):
        raise ConfigError(f"{path}: expected 'chapter:' and a list 'clauses:'")
    clauses = {}
    for c in doc["clauses"]:
        if not isinstance(c, dict) or not {"id", "section", "text", "kind"} <= c.keys():
            raise ConfigError(f"{path}: every clause needs id, section, text and kind")
        clauses[c["id"]] = Clause(c["id"], str(c["section"]), c["text"], c["kind"],
                                  c.get("reason", ""), c.get("note", ""), str(c.get("strength", "")),
                                  _version(c, path),
                                  tuple(p for p in c.get("previous") or () if isinstance(p, dict)))
    sections = {str(s["section"]): str(s.get("title", "")) for s in doc.get("sections") or []
                if isinstance(s, dict) and "section" in s}
    meta = doc.get("chapter") if isinstance(doc.get("chapter"), dict) else {}
    return Policy(meta, clauses, path, sections)


def _version(clause: dict, path: Path) -> int:
    value = clause.get("version", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{path}: clause {clause['id']}: version must be a whole number from 1")
    return value


@lru_cache(maxsize=4)
def _load(path: str) -> Chapter:
    try:
        policy = load_policy(path)
    except ConfigError:
        return Chapter()
    texts = {cid: " ".join(str(c.text).split()) for cid, c in policy.clauses.items()}
    return Chapter(str(policy.meta.get("title", "")), policy.sections, texts)


def load_chapter(path: str | os.PathLike[str] | None = None) -> Chapter:
    return _load(str(path or policy_path()))


def section_sort_key(section: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(section).split("."))
