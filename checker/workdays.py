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


_BASE = dt.date(1900, 1, 1)  # a Monday; the first day of the supported range (checker.limits.MIN_DATE)
_cumulative: list[int] = [0]  # weekday bank holidays in the years _BASE.year .. _BASE.year + i - 1


def _holidays_before_year(year: int) -> int:
    """Weekday bank holidays from 1900-01-01 to the end of ``year - 1`` (a table, grown as needed)."""
    while len(_cumulative) <= year - _BASE.year:
        _cumulative.append(_cumulative[-1] + len(_weekday_holidays(_BASE.year + len(_cumulative) - 1)))
    return _cumulative[year - _BASE.year]


def is_working_day(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in _weekday_holidays(d.year)


def _weekdays_upto(d: dt.date) -> int:
    """Mondays to Fridays from 1900-01-01 (a Monday) up to and including ``d``."""
    full_weeks, rest = divmod((d - _BASE).days + 1, 7)
    return full_weeks * 5 + min(rest, 5)


def _raw_index(d: dt.date) -> int:
    """Working days from 1900-01-01 up to and including ``d``."""
    held = _holidays_before_year(d.year) + bisect.bisect_right(_weekday_holidays(d.year), d)
    return _weekdays_upto(d) - held


@lru_cache(maxsize=1 << 16)  # the same few hundred dates recur in every record's facts
def working_index(d: dt.date) -> int:
    """Working days from 1970-01-01 up to and including ``d`` (0 or less for earlier dates).

    Exact for every date from 1900-01-01 (checker.limits.MIN_DATE) on; the
    differences between two dates are what the rules compare."""
    if d < _BASE:
        raise ValueError("dates before 1900 are not supported")
    return _raw_index(d) - _raw_index(EPOCH - dt.timedelta(days=1))


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
