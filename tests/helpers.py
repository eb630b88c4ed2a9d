"""Helpers shared by the engine, rule and CLI tests."""
from __future__ import annotations

import datetime as dt
import os
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


# Property and fuzz tests: `make test` runs the quick counts; `make fuzz` (HYPOTHESIS_PROFILE=deep) runs the
# deep counts, the numbers these tests had before issue 13 made `make test` fit in three minutes.
DEEP = os.environ.get("HYPOTHESIS_PROFILE", "") == "deep"


def examples(quick: int, deep: int) -> int:
    """Hypothesis ``max_examples``: ``quick`` in the default run, ``deep`` under HYPOTHESIS_PROFILE=deep."""
    return deep if DEEP else quick
