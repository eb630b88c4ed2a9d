"""Build the synthetic incident feed bundled with the sample export (all data invented; ids are pseudonymous).

Run: python scripts/make_incident_fixtures.py   (the output is committed; tests and `make run` read it)

Each scenario is checked with the sample export (fixtures/sample-export) as of 2026-11-27:
  A  R-2026-001's children YP-A01..A03 (connected, two schools): a connected group, escalated in time.
  B  R-2026-002's children YP-B01..B03: a pair at URN-100001 on 2026-09-21/24, then YP-B03 (connected) on
     2026-10-01; the response's referral on 2026-10-05 is late for a group that met the definition on 09-24.
  E  R-2026-004's children YP-E01, YP-E02: a pair at URN-100010, escalated in time by its referral.
  F  Two children in one school within the short time period, in no response: a pair, NOT escalated.
  G  Three children in three schools and areas, linked online (each link recorded on one side): a connected
     group, NOT escalated.
  H  Two unconnected children far apart in time and place: no group.
  J  Someone 18 at the episode and a child in one college: not counted, no group.
  K  Two children in one school on 2026-11-24 and 26, in no response: a pair, escalation not yet due.
  L  Three unconnected children in three schools of one area within ten days: a low-severity area signal.
"""
from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "incidents" / "incidents-2026.csv"
COLUMNS = ["incident_id", "young_person_id", "date_of_birth", "age", "date", "setting_id", "area", "connections",
           "reported_by"]

ROWS = [
    # A: R-2026-001 (closed, referral 2026-03-02); dates of birth as in the sample export
    ("INC-0001", "YP-A03", "2011-01-20", "", "2026-03-01", "URN-100002", "LA-E07", "", "health"),
    ("INC-0002", "YP-A01", "2011-05-14", "", "2026-03-02", "URN-100001", "LA-E06", "YP-A02", "education"),
    ("INC-0003", "YP-A02", "2010-11-02", "", "2026-03-02", "URN-100001", "LA-E06", "YP-A01;YP-A03", "education"),
    # H: unconnected, far apart in time and place
    ("INC-0004", "YP-H01", "2012-02-11", "", "2026-04-01", "URN-400001", "LA-E08", "", "health"),
    ("INC-0005", "YP-H02", "", "13", "2026-08-17", "URN-400002", "LA-E09", "", "police"),
    # J: 18 at the episode (born 2008-01-10), and a child in the same college two days later
    ("INC-0006", "YP-J01", "2008-01-10", "", "2026-06-03", "URN-500001", "LA-E14", "", "health"),
    ("INC-0007", "YP-J02", "2009-09-09", "", "2026-06-05", "URN-500001", "LA-E14", "", "health"),
    # L: three unconnected children in one area within ten days
    ("INC-0008", "YP-L01", "", "14", "2026-07-06", "URN-700001", "LA-E09", "", "education"),
    ("INC-0009", "YP-L02", "", "15", "2026-07-10", "URN-700002", "LA-E09", "", "health"),
    ("INC-0010", "YP-L03", "", "13", "2026-07-15", "URN-700003", "LA-E09", "", "police"),
    # G: three schools and areas, linked online
    ("INC-0011", "YP-G01", "2011-03-03", "", "2026-09-10", "URN-300001", "LA-E11", "YP-G02", "education"),
    # B: R-2026-002 (open, identified and referred 2026-10-05)
    ("INC-0012", "YP-B01", "2011-05-14", "", "2026-09-21", "URN-100001", "LA-E06", "YP-B02", "education"),
    ("INC-0013", "YP-B02", "2010-11-02", "", "2026-09-24", "URN-100001", "LA-E06", "", "education"),
    ("INC-0014", "YP-G02", "2010-12-12", "", "2026-09-25", "URN-300002", "LA-E12", "", "health"),
    ("INC-0015", "YP-B03", "2011-01-20", "", "2026-10-01", "URN-100002", "LA-E07", "YP-B02", "health"),
    ("INC-0016", "YP-G03", "", "15", "2026-10-05", "URN-300003", "LA-E13", "YP-G02", "police"),
    # F: two children in one school, no response
    ("INC-0017", "YP-F01", "2012-06-30", "", "2026-11-02", "URN-200001", "LA-E06", "", "education"),
    ("INC-0018", "YP-F02", "2011-10-01", "", "2026-11-09", "URN-200001", "LA-E06", "", "education"),
    # E: R-2026-004 (open, identified and referred 2026-11-25)
    ("INC-0019", "YP-E01", "2012-01-09", "", "2026-11-20", "URN-100010", "LA-E07", "", "education"),
    ("INC-0020", "YP-E02", "2011-09-30", "", "2026-11-23", "URN-100010", "LA-E07", "", "education"),
    # K: a pair that met the definition the day before the as-of date
    ("INC-0021", "YP-K01", "2013-04-04", "", "2026-11-24", "URN-600001", "LA-E10", "", "education"),
    ("INC-0022", "YP-K02", "2012-12-01", "", "2026-11-26", "URN-600001", "LA-E10", "", "health"),
]


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(ROWS)


if __name__ == "__main__":
    main()
