"""Helpers shared by the engine, rule and CLI tests."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from checker.rulebook import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "sample-export"
AS_OF = dt.date(2026, 11, 27)


@lru_cache(maxsize=1)
def rulebook() -> Rulebook:
    return load_rulebook(RULES)
