"""Regenerate policy/chapter.yaml from the published chapter text.

Run once when the chapter is reviewed:  python scripts/build_policy.py
Clause ids are positional and stable for a given text: <section>-P<paragraph>[-B<bullet>].
Kinds and reasons are kept from the existing policy/chapter.yaml where the id and
text are unchanged, so a review only asks the author to classify what changed.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "policy-source" / "self-harm-groups-chapter.txt"
TARGET = ROOT / "policy" / "chapter.yaml"
HEADING = re.compile(r"^(\d(?:\.\d)?)\.?\s+(\S.*)$")


def parse(text: str) -> tuple[list[dict], list[dict]]:
    sections, clauses = [], []
    sec, para, bullet = None, 0, 0
    for raw in text.splitlines():
        line = " ".join(raw.replace("\xa0", " ").split())
        if not line:
            continue
        m = HEADING.match(line)
        if m and len(line) < 60 and not line.startswith("•"):
            sec, para, bullet = m.group(1), 0, 0
            sections.append({"section": sec, "title": m.group(2)})
            continue
        if sec is None:
            continue
        if line.startswith("•"):
            bullet += 1
            cid = f"{sec}-P{para}-B{bullet}"
            line = line.lstrip("• ").strip()
        else:
            para, bullet = para + 1, 0
            cid = f"{sec}-P{para}"
        clauses.append({"id": cid, "section": sec, "text": line})
    return sections, clauses


def main() -> int:
    sections, clauses = parse(SOURCE.read_text(encoding="utf-8"))
    old = {}
    if TARGET.exists():
        old = {c["id"]: c for c in yaml.safe_load(TARGET.read_text(encoding="utf-8")).get("clauses", [])}
    for c in clauses:
        prev = old.get(c["id"])
        if prev and prev["text"] == c["text"]:
            for key in ("kind", "strength", "reason", "note"):
                if key in prev:
                    c[key] = prev[key]
        c.setdefault("kind", "unclassified")
    # Sub-clauses (-S1, -S2) split by hand from a clause that mixes a duty and an expectation
    # are kept after their clause while its text is unchanged.
    out = []
    for c in clauses:
        out.append(c)
        prev = old.get(c["id"])
        if prev and prev["text"] == c["text"]:
            out += [v for k, v in old.items() if k.startswith(c["id"] + "-S")]
    clauses = out
    doc = yaml.safe_load(TARGET.read_text(encoding="utf-8")) if TARGET.exists() else {}
    doc.setdefault("chapter", {})
    doc["sections"] = sections
    doc["clauses"] = clauses
    TARGET.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    unclassified = [c["id"] for c in clauses if c["kind"] == "unclassified"]
    if unclassified:
        print("classify these clauses:", ", ".join(unclassified), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
