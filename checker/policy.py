"""The chapter as data (``policy/chapter.yaml``): section titles and clause texts, for reports.

The file is found next to the rules (``<repo>/policy/chapter.yaml``) or at
``$SHG_CHECK_POLICY``. Reports use it to quote the clause each finding rests on;
when it cannot be read they show the clause ids alone.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy" / "chapter.yaml"


@dataclass(frozen=True)
class Chapter:
    title: str = ""
    sections: dict[str, str] = field(default_factory=dict)   # "4.1" -> title
    clauses: dict[str, str] = field(default_factory=dict)    # "4-P2" -> text

    def clause_text(self, clause_id: str) -> str:
        return self.clauses.get(clause_id, "")

    def section_title(self, section: str) -> str:
        return self.sections.get(section, "")


def policy_path() -> Path:
    return Path(os.environ.get("SHG_CHECK_POLICY", DEFAULT_POLICY))


@lru_cache(maxsize=4)
def _load(path: str) -> Chapter:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return Chapter()
    if not isinstance(doc, dict):
        return Chapter()
    sections = {str(s["section"]): str(s.get("title", "")) for s in doc.get("sections") or []
                if isinstance(s, dict) and "section" in s}
    clauses = {str(c["id"]): " ".join(str(c.get("text", "")).split()) for c in doc.get("clauses") or []
               if isinstance(c, dict) and "id" in c}
    title = (doc.get("chapter") or {}).get("title", "") if isinstance(doc.get("chapter"), dict) else ""
    return Chapter(str(title), sections, clauses)


def load_chapter(path: str | os.PathLike[str] | None = None) -> Chapter:
    return _load(str(path or policy_path()))


def section_sort_key(section: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(section).split("."))
