"""The sample export (scripts/make_fixtures.py) gives exactly these findings as of 2026-11-27."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.api import check

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "fixtures" / "sample-export"
AS_OF = dt.date(2026, 11, 27)

# response -> {rule: (section, clause, missing)} for every gap; nothing else is a gap.
EXPECTED_GAPS = {
    "R-2025-009": {},
    "R-2026-001": {},
    "R-2026-002": {"scoping-required-roles": ("4", "4-P2", ["cic_specialist_nurse", "police"])},
    "R-2026-003": {
        "referral-content": ("3", "3-P3", ["group_dynamic_described"]),
        "referral-via-ifd-mash": ("3", "3-P2", ["ifd_mash_route"]),
        "scoping-meeting-held": ("4", "4-P1", ["scoping_meeting"]),
    },
    "R-2026-004": {},
    "R-2026-005": {"definition-children": ("1", "1-P1", ["YP-P03"])},
    "R-2026-006": {
        "individual-procedure-followed": ("2", "2-P3", ["YP-Q02"]),
        "referral-timely": ("2", "2-P2", ["referral_in_time"]),
    },
    "R-2026-007": {
        "strategic-attendees-senior": ("4.1", "4.1-P3", ["police"]),
        "strategic-plan": ("4.1", "4.1-P5", ["media_managed"]),
        "operational-feeds-back": ("4.2", "4.2-P4", ["fed_back_to_strategic"]),
    },
    "R-2026-008": {
        "school-meetings-parents-informed": ("5", "5-P3", ["YP-T01"]),
        "cross-boundary-responsibility": ("6", "6-P1", ["police"]),
    },
    "R-2026-009": {
        "closure-child-safety-plans": ("7", "7-P1", ["YP-U02"]),
        "closure-review-actions": ("7", "7-P3", ["police"]),
        "closure-overview-report": ("7", "7-P4", ["overview_report"]),
    },
}
CLOSURE_RULES = {"closure-exit-strategy", "closure-child-safety-plans", "closure-child-exit-plans",
                 "closure-staff-debriefed", "closure-agency-reviews", "closure-review-actions",
                 "closure-final-meeting", "closure-overview-report"}


@pytest.fixture(scope="module", params=["durable", "python"])
def report(request):
    return check([EXPORT], AS_OF, engine=request.param)


def by_id(report):
    return {r.response_id: r for r in report.responses}


def test_no_input_errors_and_every_response_checked(report):
    assert report.input_errors == []
    assert sorted(by_id(report)) == sorted(EXPECTED_GAPS)


@pytest.mark.parametrize("response_id", sorted(EXPECTED_GAPS))
def test_exact_gaps(report, response_id):
    result = by_id(report)[response_id]
    gaps = {f.rule: (f.section, f.clause, f.missing) for f in result.findings if f.status == "gap"}
    assert gaps == EXPECTED_GAPS[response_id]


def test_complete_closed_response_meets_every_rule(report):
    findings = by_id(report)["R-2026-001"].findings
    assert {f.status for f in findings} == {"met"}
    assert len(findings) == len(report.rulebook.rules)


def test_open_response_part_way_has_closure_pending_not_gaps(report):
    result = by_id(report)["R-2026-002"]
    status = {f.rule: f.status for f in result.findings}
    assert {r: status[r] for r in CLOSURE_RULES} == {
        **{r: "pending" for r in CLOSURE_RULES}, "closure-review-actions": "not_applicable"}
    assert status["strategic-convenes-regularly"] == "pending"
    assert status["operational-convenes-regularly"] == "pending"
    pending = next(f for f in result.findings if f.rule == "closure-child-safety-plans")
    assert pending.message == "Not yet due on this open response: YP-B01, YP-B02, YP-B03."


def test_every_section_has_a_fixture_gap(report):
    sections = {f.section for r in report.responses for f in r.findings if f.status == "gap"}
    assert sections == {"1", "2", "3", "4", "4.1", "4.2", "5", "6", "7"}


def test_before_the_chapter_everything_not_applicable(report):
    findings = by_id(report)["R-2025-009"].findings
    assert {f.status for f in findings} == {"not_applicable"}
    assert findings[0].message == "Not applicable: identified before the chapter came into force (2026-02-01)."


def test_gap_messages_name_what_is_missing(report):
    f = next(f for f in by_id(report)["R-2026-008"].findings if f.rule == "cross-boundary-responsibility")
    assert f.message == ("Responsibility across areas was not agreed by Children's Services and Police. "
                         "Missing: Police (police).")
    assert f.evidence == ["/cross_boundary"]
    f = next(f for f in by_id(report)["R-2026-007"].findings if f.rule == "strategic-plan")
    assert f.message == ("The strategic group's plan did not cover every item the chapter lists. "
                         "Missing: manage public relations and media interest (media_managed).")
    f = next(f for f in by_id(report)["R-2026-006"].findings if f.rule == "referral-timely")
    assert f.message == ("The referral was made later than the time-critical timescale. "
                         "Missing: referral within the timescale (referral_in_time).")


def test_fixtures_are_what_the_script_makes(tmp_path, monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    for path in tmp_path.iterdir():
        assert path.read_text() == (EXPORT / path.name).read_text(), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in EXPORT.iterdir())
