"""Working days in England and Wales: Monday to Friday less the bank holidays.

Dates become two whole numbers the rules engine can compare and add:
- the *epoch day* (days since 1970-01-01), for ordering dates;
- the *working-day index* (working days from 1970-01-01 up to and including
  the date), so "within N working days of D" is ``index(x) <= index(D) + N``.
A date on a weekend or bank holiday has the index of the working day before
it, so a deadline never falls on a day when nobody works.
The bank holidays come from the maintained ``holidays`` library (England; the
bank holidays of England and Wales are the same).
"""
from __future__ import annotations

import bisect
import datetime as dt
from functools import lru_cache

import holidays

EPOCH = dt.date(1970, 1, 1)
_EPOCH_ORD = EPOCH.toordinal()
_EPOCH_YEAR = EPOCH.year


def epoch_day(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return d.toordinal() - _EPOCH_ORD


def from_epoch_day(n: int) -> dt.date:
    return dt.date.fromordinal(n + _EPOCH_ORD)


@lru_cache(maxsize=None)
def _weekday_holidays(year: int) -> tuple[dt.date, ...]:
    """Bank holidays of England and Wales in ``year`` that fall on a weekday."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=[year])
    return tuple(sorted(d for d in days if d.weekday() < 5))


@lru_cache(maxsize=None)
def _holidays_before_year(year: int) -> int:
    if year <= _EPOCH_YEAR:
        return 0
    return _holidays_before_year(year - 1) + len(_weekday_holidays(year - 1))


def is_working_day(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in _weekday_holidays(d.year)


def _weekdays_upto(d: dt.date) -> int:
    """Mondays to Fridays from 1970-01-01 up to and including ``d``."""
    days = epoch_day(d) + 1
    full_weeks, rest = divmod(days, 7)
    start = EPOCH.weekday()  # Thursday = 3
    extra = sum(1 for i in range(rest) if (start + i) % 7 < 5)
    return full_weeks * 5 + extra


@lru_cache(maxsize=1 << 16)  # the same few hundred dates recur in every record's facts
def working_index(d: dt.date) -> int:
    """Working days from 1970-01-01 up to and including ``d``."""
    if d < EPOCH:
        raise ValueError("dates before 1970 are not supported")
    year_holidays = _weekday_holidays(d.year)
    held = _holidays_before_year(d.year) + bisect.bisect_right(year_holidays, d)
    return _weekdays_upto(d) - held


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The n-th working day after ``d`` (n >= 0; n = 0 gives d or the next working day)."""
    current = d
    if n == 0:
        while not is_working_day(current):
            current += dt.timedelta(days=1)
        return current
    count = 0
    while count < n:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return current
