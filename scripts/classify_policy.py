"""Record the kind of every clause of policy/chapter.yaml (run after build_policy.py when the chapter changes).

Kinds: definition (what a term means), obligation (something a response must do or
show: every one has a rule), guidance (advice, cross-references, permissive lists),
not_checkable (an obligation no export can show, with the reason why).
Run: python scripts/classify_policy.py   (then review the diff of policy/chapter.yaml)
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "policy" / "chapter.yaml"

ROLE_BULLETS = "B2 B3 B4 B5 B6 B7 B8 B9 B10 B11 B13 B14".split()
KINDS: dict[str, str] = {
    "1-P1": "definition", "1-P2": "definition", "1-P3": "definition", "1-P4": "guidance",
    "2-P1": "obligation", "2-P2": "obligation", "2-P3": "obligation", "2-P4": "guidance",
    "3-P1": "obligation", "3-P2": "obligation", "3-P3": "obligation", "3-P4": "obligation",
    "3-P5": "obligation", "3-P6": "guidance",
    "4-P1": "obligation", "4-P2": "obligation", "4-P2-B1": "obligation",
    **{f"4-P2-{b}": "obligation" for b in ROLE_BULLETS},
    "4-P2-B12": "not_checkable",
    "4-P3": "obligation", **{f"4-P3-B{i}": "obligation" for i in range(1, 10)},
    "4-P4": "obligation", "4-P5": "obligation", "4-P6": "obligation",
    "4-P7": "definition", "4-P8": "definition", "4-P9": "definition",
    "4.1-P1": "obligation", "4.1-P2": "obligation", "4.1-P3": "obligation", "4.1-P3-B1": "obligation",
    **{f"4.1-P3-{b}": "obligation" for b in ROLE_BULLETS},
    "4.1-P3-B12": "not_checkable",
    "4.1-P4": "obligation", "4.1-P5": "obligation", **{f"4.1-P5-B{i}": "obligation" for i in range(1, 14)},
    "4.1-P6": "obligation", "4.1-P7": "obligation", **{f"4.1-P7-B{i}": "obligation" for i in range(1, 8)},
    "4.1-P8": "obligation",
    "4.2-P1": "obligation", "4.2-P2": "guidance", **{f"4.2-P2-B{i}": "guidance" for i in range(1, 12)},
    "4.2-P3": "obligation", "4.2-P4": "obligation", "4.2-P5": "obligation", "4.2-P6": "obligation",
    **{f"4.2-P6-B{i}": "obligation" for i in range(1, 11)}, "4.2-P7": "obligation",
    "5-P1": "guidance", "5-P2": "not_checkable", "5-P3": "obligation", "5-P4": "obligation",
    "6-P1": "obligation",
    "7-P1": "obligation", "7-P2": "obligation", "7-P3": "obligation", "7-P4": "obligation",
}
REASONS = {
    "4-P2-B12": "Attendance is required only 'if relevant'; whether the District / Borough Council was "
                "relevant is a judgement the export does not record.",
    "4.1-P3-B12": "Attendance is required only 'if relevant'; whether the District / Borough Council was "
                  "relevant is a judgement the export does not record.",
    "5-P2": "Following the partnership's normal information sharing protocols is not recorded in the "
            "export; only the parts section 5 spells out (informing parents and carers) are checked.",
}
NOTES = {
    "1-P1": "The age limit is the parameter adult_age (checked by definition-children).",
    "1-P2": "Group size thresholds: group_min_young_people (definition-group-size); group detection "
            "from incident feeds uses the same thresholds.",
    "1-P4": "Professional judgement and curiosity; contagion is checked as a scoping output.",
    "2-P4": "Introduces the chapter.",
    "3-P4": "Read with 3-P5 and 4-P3-B8: the children identified are risk-assessed (children-risk-assessed).",
    "3-P6": "Permissive: a scoping meeting may be initiated at any stage.",
    "4-P7": "The forms a full response can take (scoping decision full_response).",
    "4.2-P2": "An indicative list ('could be, but not limited to'); operational-attendees checks the "
              "operational group against it with low severity, under 4.2-P1.",
    "5-P1": "Cross-reference to another chapter.",
}


def main() -> int:
    doc = yaml.safe_load(TARGET.read_text(encoding="utf-8"))
    missing = []
    for c in doc["clauses"]:
        kind = KINDS.get(c["id"])
        if kind is None:
            missing.append(c["id"])
            continue
        c["kind"] = kind
        for key, table in (("reason", REASONS), ("note", NOTES)):
            if c["id"] in table:
                c[key] = table[c["id"]]
            else:
                c.pop(key, None)
    doc["chapter"].update({"title": "Self-harm groups", "added": "2026-02", "next_review": "2028-02",
                           "in_force_from": "2026-02-01"})
    TARGET.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    if missing:
        print("no kind for:", ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
