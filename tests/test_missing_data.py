"""Missing data is never a gap: records that leave things out get no gap for what they left out."""
from __future__ import annotations

import datetime as dt

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
    # M3's meetings list is exported: months later, no further strategic or operational meeting in it
    # is evidence that the groups did not convene regularly (4.1-P7, 4.2-P6), so M3 is checked soon after.
    as_of = dt.date(2026, 3, 20) if record["response_id"] == "M3" else AS_OF
    findings = Checker(rulebook(), engine).check_record(record, as_of)
    assert [(f.rule, f.missing) for f in findings if f.status == "gap"] == []
    assert {f.status for f in findings} >= {"insufficient_data"}


def test_the_same_record_with_explicit_absences_has_gaps():
    """Recorded as none (null / false / []) is evidence; absent is not."""
    record = dict(BARE[1], referral=None, meetings=[])
    gaps = {f.rule for f in Checker(rulebook(), "durable").check_record(record, AS_OF) if f.status == "gap"}
    assert {"referral-via-ifd-mash", "scoping-meeting-held"} <= gaps


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_an_unexported_when_field_is_never_met(engine):
    """No rule reports met when a field its condition depends on is absent (issue 8, class 9): a child whose
    looked-after, EHE / CME, in-patient, involvement or change of setting is not exported."""
    record = {"response_id": "U1", "status": "closed", "identified_on": "2026-03-02", "young_people": [{"id": "YP-1"}],
              "closure": {"date": "2026-06-01"},
              "meetings": [{"id": "a", "type": "scoping", "date": "2026-03-04", "attendees": [{"role": "police"}]}]}
    status = {f.rule: f for f in Checker(rulebook(), engine).check_record(record, AS_OF)}
    for rule in ("individual-procedure-followed", "children-risk-assessed", "closure-child-safety-plans",
                 "closure-child-exit-plans", "scoping-previous-setting", "children-s47-considered",
                 "parents-carers-informed"):
        assert status[rule].status == "insufficient_data", rule
    roles = status["scoping-required-roles"]
    assert roles.status == "gap" and {"cic_specialist_nurse", "ehe_cme_lead"} <= set(roles.unknown)
