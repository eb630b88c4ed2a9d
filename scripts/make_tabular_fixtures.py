"""Regenerate the tabular fixtures (synthetic): run after a change to the schema or the template.

  .venv/bin/python scripts/make_tabular_fixtures.py

- fixtures/sample-workbook/responses-2026.xlsx: every record of fixtures/sample-export, in the tracker
  template (tests/test_tabular.py checks that `check` gives the same findings on both);
- fixtures/tabular/local-tracker/tracker.xlsx: a tracker with its own sheet names, headings and codes,
  read through fixtures/tabular/local-tracker/mapping.yaml.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.tabular.template import write_workbook  # noqa: E402


def sample_records() -> list[dict]:
    records: list[dict] = []
    folder = ROOT / "fixtures" / "sample-export"
    for path in sorted(folder.iterdir()):
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            records.extend(data if isinstance(data, list) else [data])
        elif path.suffix == ".jsonl":
            records.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return records


def local_tracker(path: Path) -> None:
    from openpyxl import Workbook

    d = dt.date
    book = Workbook()
    cases = book.active
    cases.title = "Cases"
    cases.append(["Case no.", "Opened", "Status", "Lead LA", "Worker notes"])
    cases.append(["LT-01", d(2026, 5, 4), "Live", "LA-9", "see file"])
    cases.append(["LT-02", "11/05/2026", "Live", "LA-9", None])
    cases.append(["LT-03", 46157, "Live", "LA-9", None])   # an Excel serial typed as a number: 15/05/2026
    pupils = book.create_sheet("Pupils")
    pupils.append(["Case no.", "Pupil code", "School", "Looked after?", "Home educated?"])
    pupils.append(["LT-01", "P-101", 100001, "Yes", "No"])
    pupils.append(["LT-01", "P-102", 100001, "No", "No"])
    pupils.append(["LT-02", "P-201", 100002, "No", "Yes"])
    pupils.append(["LT-03", "P-301", 100003, "No", "No"])
    meetings = book.create_sheet("Meetings log")
    meetings.append(["Case no.", "Mtg no.", "Kind", "Held on", "Chaired by"])
    meetings.append(["LT-01", "1", "Scoping MARG", d(2026, 5, 6), "HoS"])
    meetings.append(["LT-02", "1", "Scoping MARG", "13/05/2026", "Police"])
    who = book.create_sheet("Who came")
    who.append(["Case no.", "Mtg no.", "Rep"])
    for rep in ("CSC", "CAMHS", "Police", "ICB", "PH", "Acute", "LA Ed", "School", "Comms", "AMH", "CiC nurse"):
        who.append(["LT-01", "1", rep])
    for rep in ("CSC", "Police", "School"):
        who.append(["LT-02", "1", rep])
    agenda = book.create_sheet("Agenda")
    agenda.append(["Case no.", "Mtg no.", "Agenda item"])
    for item in ("Info assessed", "Further info", "Info gathering", "Mapping", "Contagion", "Protective action",
                 "S47", "Plan", "Review mechanism", "Comms", "Parents/carers", "Outcome fed back"):
        agenda.append(["LT-01", "1", item])
    lookups = book.create_sheet("Lookups")
    lookups.append(["Rep", "Meaning"])
    lookups.sheet_state = "hidden"   # a hidden sheet the mapping does not read: ignored
    book.save(path)


def main() -> None:
    out = ROOT / "fixtures" / "sample-workbook" / "responses-2026.xlsx"
    write_workbook(out, sample_records(), formatted_rows=20)
    print(f"wrote {out}")
    tracker = ROOT / "fixtures" / "tabular" / "local-tracker" / "tracker.xlsx"
    local_tracker(tracker)
    print(f"wrote {tracker}")


if __name__ == "__main__":
    main()
