"""Limits on what shg-check reads: one place for every bound, documented in the README.

Each limit turns a hostile or garbled input into a clear error instead of a
crash, a hang or an exhausted machine:

- dates: every date in a record, a feed, a parameter or ``--as-of`` lies in
  ``MIN_DATE`` .. ``MAX_DATE`` (a placeholder 1900-01-01 is accepted, 9999-12-31
  is not); the working-day arithmetic is exact over that whole range;
- whole-number parameters are at most ``MAX_PARAMETER`` (100 years in days);
- an input file is at most ``MAX_INPUT_BYTES``; one JSON Lines line, CSV row
  or JSON record at most ``MAX_RECORD_BYTES``;
- a YAML file (rules, parameters, waivers) is at most ``MAX_YAML_BYTES`` and
  expands (aliases followed) to at most ``MAX_YAML_NODES`` values;
- a quoted CSV cell may run over at most ``MAX_CSV_ROW_LINES`` lines.
"""
from __future__ import annotations

import datetime as dt

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
DATE_RANGE_MESSAGE = f"must be a date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"

MAX_PARAMETER = 36500

MAX_INPUT_BYTES = 1 << 30          # 1 GiB per input file
MAX_RECORD_BYTES = 16 << 20        # 16 MiB per record, line or row
MAX_YAML_BYTES = 4 << 20           # 4 MiB per YAML file
MAX_YAML_NODES = 200_000           # values in one YAML document, aliases expanded
MAX_CSV_ROW_LINES = 100            # lines one CSV row may span (quoted cells with line breaks)


def in_date_range(day: dt.date) -> bool:
    return MIN_DATE <= day <= MAX_DATE
