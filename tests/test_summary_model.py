"""The summary model's reasons for each exit code, the history's empty and JSON views, selection edges."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from checker.errors import InputError
from checker.history import History, render_history, time_to_resolve
from checker.selection import Selection, select
from checker.summary import summarise
from checker.waivers import Waiver, Waivers, apply_waivers

from nightly_helpers import sample_report


@pytest.fixture(scope="module")
def sample():
    return sample_report()


def test_reasons_for_each_exit_code(sample):
    r = copy.deepcopy(sample)
    assert summarise(r, "high").reason == "8 unwaived gaps of high severity (--fail-on high)"
    assert summarise(r, "medium").reason == "13 unwaived gaps of medium severity or above (--fail-on medium)"
    never = summarise(r, "never")
    assert (never.exit_code, never.reason) == (0, "14 gaps, but --fail-on never")
    r.first_night = True
    first = summarise(r, "new")
    assert (first.exit_code, first.reason) == (0, "14 gaps, none new: this is the first night (no baseline yet)")
    assert "first night: no baseline to compare with" in first.line()
    r.first_night = False
    entries = tuple(Waiver(x.response_id, f.rule, "ok", "QL", dt.date(2027, 1, 1))
                    for x in r.responses for f in x.findings if f.status == "gap")
    apply_waivers(r, Waivers("w.yaml", entries))
    waived = summarise(r)
    assert (waived.exit_code, waived.reason, waived.gaps_unwaived) == (0, "every gap (14) is waived", 0)
    r.input_errors = [InputError("f.json", "R-X", "", "not valid")]
    errors = summarise(r)
    assert (errors.exit_code, errors.reason) == (3, "1 input error: those records or rows were not checked "
                                                    "(0 failing gaps besides)")
    clean = copy.deepcopy(sample)
    clean.responses = [x for x in clean.responses if not x.gaps()]
    assert summarise(clean).reason == "no gaps and no input errors"


def test_some_gaps_none_failing(sample):
    r = copy.deepcopy(sample)
    for x in r.responses:
        for f in x.findings:
            if f.status == "gap" and f.severity == "high":
                f.status = "met"
    s = summarise(r, "high")
    assert (s.exit_code, s.reason) == (0, "6 gaps, none unwaived and of high severity (--fail-on high)")


def test_history_views(tmp_path, sample):
    with History(tmp_path / "h.db") as h:
        empty = h.trend()
        assert "(no runs recorded yet)" in render_history(empty)
        assert empty["time_to_resolve"] == {"resolved": 0, "median_days": None, "max_days": None, "open": 0}
        r = copy.deepcopy(sample)
        r.selection = {"status": "closed", "left_out": 3}
        h.record(r, dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc))
        assert h.runs()[0]["recorded_at"] == "2026-11-27T02:00:00+00:00"
        assert json.loads(render_history(h.trend(last=1), "json"))["runs"][0]["gaps"] == 14
    runs = [{"id": 1, "as_of": "2026-11-01"}, {"id": 2, "as_of": "2026-11-03"}, {"id": 3, "as_of": "2026-11-08"},
            {"id": 4, "as_of": "2026-11-09"}]
    ids = {1: {("R-1", "a"), ("R-2", "b")}, 2: {("R-2", "b")}, 3: {("R-3", "c")}, 4: set()}
    assert time_to_resolve(runs, ids) == {"resolved": 3, "median_days": 2, "max_days": 7, "open": 0}


def test_selection_edges(sample):
    class Rec:
        def __init__(self, data):
            self.data = data

    recs = [Rec({"status": "open", "identified_on": "not a date", "local_authority": None}),
            Rec({"status": "open", "identified_on": "2026-05-01", "local_authority": "LA-1"})]
    assert not Selection()
    assert select(recs, None) == (recs, None)
    kept, info = select(recs, Selection(identified_from=dt.date(2026, 1, 1)))
    assert [r.data["identified_on"] for r in kept] == ["2026-05-01"] and info == {
        "identified_from": "2026-01-01", "left_out": 1}
    kept, _ = select(recs, Selection(identified_to=dt.date(2026, 1, 1)))
    assert kept == []
    kept, info = select(recs, Selection(local_authority=("la-1",)))
    assert len(kept) == 1 and info["local_authority"] == ["la-1"]
