"""Rebuild policy/chapter.yaml from the chapter's published text, keeping every clause id.

When the partnership reviews the chapter, replace policy/source/self-harm-groups-chapter.txt with the
new text (plain text: section headings such as "4.1 Multi-Agency Response Group", paragraphs separated
by blank lines, list items starting with "•") and run

    .venv/bin/python scripts/build_policy.py            # rewrite policy/chapter.yaml
    .venv/bin/python scripts/build_policy.py --check    # only say what would change (exit 1 if anything)

Clause ids name clauses, not positions (see checker/chapter_build.py and README "For policy authors"):
an unchanged clause keeps its id and classification wherever it moved; a slightly changed clause is
amended (same id, version + 1, earlier text kept under `previous`); a new clause gets a new id never
used before; a clause no longer in the text is retired (kept under `retired:`, its id never reused).
Then classify each new clause (kind, strength), review each amended one, and run
`shg-check rules coverage` and `shg-check rules lint`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.atomic import write_atomic  # noqa: E402
from checker.chapter_build import build  # noqa: E402
from checker.yamlio import read_yaml  # noqa: E402

SOURCE = ROOT / "policy" / "source" / "self-harm-groups-chapter.txt"
TARGET = ROOT / "policy" / "chapter.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=SOURCE, help="the chapter's text (default: %(default)s)")
    parser.add_argument("--target", type=Path, default=TARGET, help="the chapter file (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file would change")
    args = parser.parse_args(argv)
    try:
        text = args.source.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {args.source}: cannot read the chapter text ({exc.strerror})", file=sys.stderr)
        return 2
    old = read_yaml(args.target, "policy") if args.target.exists() else {}
    doc, report = build(text, old if isinstance(old, dict) else {})
    for line in report.lines():
        print(line, file=sys.stderr)
    changed = doc != old
    if args.check:
        return 1 if changed else 0
    if changed:
        write_atomic(args.target, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
        print(f"wrote {args.target}", file=sys.stderr)
    else:
        print(f"{args.target} is up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
