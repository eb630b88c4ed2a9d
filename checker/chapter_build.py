"""Building policy/chapter.yaml from the chapter's text, keeping every clause id (``scripts/build_policy.py``).

A clause id names a clause, not a position: ``<section>-P<n>`` for a paragraph, ``<paragraph id>-B<n>``
for a bullet of that paragraph's list, ``<clause id>-S<n>`` for a sentence split by hand from a clause
that mixes a duty and an expectation. When the text is rebuilt:

- a clause whose text is unchanged keeps its id, kind, strength, reason and note, wherever it moved;
- a clause whose text changed a little (same section, same kind of item, at least ``SIMILAR`` alike)
  is *amended*: it keeps its id, its ``version`` goes up by one and its earlier text is kept in
  ``previous`` (version and text), so a rule citing it keeps citing it and a reader sees what changed;
  its kind and strength are kept and reported for review;
- a new clause gets a new id: the next number not used in its section (paragraphs) or under its
  paragraph (bullets), counting retired ids, so an id is never reused;
- a clause no longer in the text is *retired*: moved to ``retired:`` with its last text, so its id is
  never given to another clause (and a rule citing it fails lint).

Clauses are written in the chapter's order; ids are never renumbered.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

HEADING = re.compile(r"^(\d(?:\.\d)?)\.?\s+(\S.*)$")
SIMILAR = 0.6          # difflib ratio from which a changed text is the same clause amended
CARRIED = ("kind", "strength", "reason", "note")


@dataclass
class Item:
    section: str
    text: str
    bullet: bool
    id: str = ""
    parent: int | None = None     # index of the paragraph a bullet belongs to


@dataclass
class BuildReport:
    kept: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{len(self.kept)} clauses kept, {len(self.amended)} amended, {len(self.new)} new, "
               f"{len(self.retired)} retired"]
        if self.amended:
            out.append("amended (check kind, strength and the rules citing them): " + ", ".join(self.amended))
        if self.new:
            out.append("new (classify kind and strength; write a rule or give a reason): " + ", ".join(self.new))
        if self.retired:
            out.append("retired (rules citing them now fail lint): " + ", ".join(self.retired))
        return out


def norm(text: str) -> str:
    return " ".join(str(text).replace("\xa0", " ").split())


def parse(text: str) -> tuple[list[dict], list[Item]]:
    """The chapter's sections and its paragraphs and bullets, in order."""
    sections: list[dict] = []
    items: list[Item] = []
    sec = None
    last_para: int | None = None
    for raw in text.splitlines():
        line = norm(raw)
        if not line:
            continue
        m = HEADING.match(line)
        if m and len(line) < 60 and not line.startswith("•"):
            sec, last_para = m.group(1), None
            sections.append({"section": sec, "title": m.group(2)})
            continue
        if sec is None:
            continue
        if line.startswith("•"):
            items.append(Item(sec, line.lstrip("• ").strip(), True, parent=last_para))
        else:
            items.append(Item(sec, line, False))
            last_para = len(items) - 1
    return sections, items


def _numbers(ids: list[str], pattern: str) -> set[int]:
    rx = re.compile(pattern)
    return {int(m.group(1)) for i in ids if (m := rx.fullmatch(i))}


def _is_bullet(cid: str) -> bool:
    return bool(re.search(r"-B\d+$", cid))


def _parent_of(cid: str) -> str:
    return re.sub(r"-B\d+$", "", cid)


def build(text: str, old_doc: dict | None) -> tuple[dict, BuildReport]:
    """The new chapter document from ``text`` and the previous one (ids, classification, versions kept)."""
    old_doc = old_doc or {}
    old_clauses = [c for c in old_doc.get("clauses") or [] if isinstance(c, dict) and "id" in c]
    retired_before = [c for c in old_doc.get("retired") or [] if isinstance(c, dict) and "id" in c]
    split = {c["id"]: c for c in old_clauses if re.search(r"-S\d+$", c["id"])}
    old = [c for c in old_clauses if c["id"] not in split]
    sections, items = parse(text)
    report = BuildReport()
    taken: dict[str, dict] = {}          # old id -> the old clause, once matched
    amended: dict[int, dict] = {}        # item index -> the old clause it amends

    def match_exact(want_bullet: bool) -> None:
        for idx, item in enumerate(items):
            if item.bullet != want_bullet or item.id:
                continue
            parent = items[item.parent].id if item.bullet and item.parent is not None else ""
            candidates = [c for c in old if c["id"] not in taken and norm(c["text"]) == item.text
                          and _is_bullet(c["id"]) == item.bullet]
            candidates.sort(key=lambda c: (str(c.get("section")) != item.section,
                                           bool(parent) and _parent_of(c["id"]) != parent))
            if candidates:
                item.id = candidates[0]["id"]
                taken[item.id] = candidates[0]

    def match_amended(want_bullet: bool) -> None:
        for idx, item in enumerate(items):
            if item.bullet != want_bullet or item.id:
                continue
            parent = items[item.parent].id if item.bullet and item.parent is not None else ""
            best, score = None, SIMILAR
            for c in old:
                if c["id"] in taken or str(c.get("section")) != item.section or _is_bullet(c["id"]) != item.bullet:
                    continue
                if item.bullet and parent and _parent_of(c["id"]) != parent:
                    continue
                ratio = difflib.SequenceMatcher(None, norm(c["text"]), item.text, autojunk=False).ratio()
                if ratio >= score:
                    best, score = c, ratio
            if best is not None:
                item.id = best["id"]
                taken[item.id] = best
                amended[idx] = best

    match_exact(False)
    match_amended(False)
    match_exact(True)
    match_amended(True)
    used = [c["id"] for c in old_clauses] + [c["id"] for c in retired_before] + [i.id for i in items if i.id]
    for idx, item in enumerate(items):
        if item.id:
            continue
        if item.bullet and item.parent is not None:
            parent = items[item.parent].id
            n = max(_numbers(used, re.escape(parent) + r"-B(\d+)") | {0}) + 1
            item.id = f"{parent}-B{n}"
        else:
            n = max(_numbers(used, re.escape(item.section) + r"-P(\d+)") | {0}) + 1
            item.id = f"{item.section}-P{n}"
        used.append(item.id)
    clauses: list[dict[str, Any]] = []
    for idx, item in enumerate(items):
        c: dict[str, Any] = {"id": item.id, "section": item.section, "text": item.text}
        prev = taken.get(item.id)
        if prev is not None:
            for key in CARRIED:
                if key in prev:
                    c[key] = prev[key]
            version = int(prev.get("version", 1))
            history = list(prev.get("previous") or [])
            if idx in amended:
                history.append({"version": version, "text": norm(prev["text"])})
                version += 1
                report.amended.append(item.id)
            else:
                report.kept.append(item.id)
            if version > 1:
                c["version"] = version
            if history:
                c["previous"] = history
        else:
            c["kind"] = "unclassified"
            report.new.append(item.id)
        clauses.append(c)
        # sentences split by hand from this clause follow it while it exists
        clauses += [s for sid, s in split.items() if sid.startswith(item.id + "-S")]
    kept_ids = {c["id"] for c in clauses}
    retired = list(retired_before)
    for c in old_clauses:
        if c["id"] not in kept_ids:
            retired.append({"id": c["id"], "section": c.get("section"), "text": norm(c["text"]),
                            **({"version": c["version"]} if "version" in c else {})})
            report.retired.append(c["id"])
    doc = dict(old_doc)
    doc.setdefault("chapter", {})
    doc["sections"] = sections
    doc["clauses"] = clauses
    if retired:
        doc["retired"] = retired
    else:
        doc.pop("retired", None)
    return doc, report
