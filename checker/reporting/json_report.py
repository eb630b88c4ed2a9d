"""The JSON report of exchange format v1 (section 4), extended additively."""
from __future__ import annotations

import json

from ..api import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
