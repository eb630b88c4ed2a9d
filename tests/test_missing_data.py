"""Missing data is never a gap: records that leave things out get no gap for what they left out."""
from __future__ import annotations

import pytest

from checker.api import Checker
from helpers import AS_OF, rulebook

BARE = [
    {"response_id": "M1", "status": "closed", "identified_on": "2026-03-02",
     "young_people": [{"id": "YP-1"}, {"id": "YP-2"}], "closure": {"date": "2026-06-01"}},
    {"response_id": "M2", "status": "open", "identified_on": "2026-03-02",
     "young_people": [{"id": "YP-1"}, {"id": "YP-2"}]},
    {"response_id": "M3", "status": "open", "identified_on": "2026-03-02", "young_people": [{"id": "YP-1"}],
     "meetings": [{"id": "a", "type": "scoping", "date": "2026-03-04"},
                  {"id": "b", "type": "strategic", "date": "2026-03-06"},
                  {"id": "c", "type": "operational", "date": "2026-03-09"}]},
]


@pytest.mark.parametrize("engine", ["durable", "python"])
@pytest.mark.parametrize("record", BARE, ids=[r["response_id"] for r in BARE])
def test_a_record_with_only_the_required_fields_has_no_gap(engine, record):
    findings = Checker(rulebook(), engine).check_record(record, AS_OF)
    assert [(f.rule, f.missing) for f in findings if f.status == "gap"] == []
    assert {f.status for f in findings} >= {"insufficient_data"}


def test_the_same_record_with_explicit_absences_has_gaps():
    """Recorded as none (null / false / []) is evidence; absent is not."""
    record = dict(BARE[1], referral=None, meetings=[])
    gaps = {f.rule for f in Checker(rulebook(), "durable").check_record(record, AS_OF) if f.status == "gap"}
    assert {"referral-via-ifd-mash", "scoping-meeting-held"} <= gaps
