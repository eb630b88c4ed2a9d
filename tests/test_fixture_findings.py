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
        # a scoping meeting was held, late: not "no scoping meeting" (class 8)
        "scoping-meeting-timely": ("2", "2-P2", ["scoping_meeting_in_time"]),
    },
    "R-2026-004": {},
    "R-2026-005": {},  # an 18-year-old is advice (1-P1 is a definition), see test_advisory_findings
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
                 "closure-final-meeting", "closure-overview-report", "closure-lessons-actions"}
# response -> {rule: missing} for every advisory finding (may / indicative / definition clauses)
EXPECTED_ADVISORY = {"R-2026-005": {"definition-children": ["YP-P03"]}}


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
        **{r: "pending" for r in CLOSURE_RULES}, "closure-review-actions": "not_applicable",
        "closure-lessons-actions": "not_applicable"}
    # both groups met again in November: convening regularly, the purposes still pending (4.1-P7, 4.2-P6)
    assert status["strategic-convenes-regularly"] == "pending"
    assert status["operational-convenes-regularly"] == "met"
    pending = next(f for f in result.findings if f.rule == "closure-child-safety-plans")
    assert pending.message == "Not yet due on this open response: YP-B01, YP-B02, YP-B03."


def test_every_section_has_a_fixture_gap(report):
    sections = {f.section for r in report.responses for f in r.findings if f.status == "gap"}
    assert sections == {"2", "3", "4", "4.1", "4.2", "5", "6", "7"}  # section 1 is definitions: advice only


def test_advisory_findings(report):
    """At least one advisory finding in the sample export, none on the compliant response (issue 8)."""
    got = {r.response_id: {f.rule: f.missing for f in r.findings if f.status == "advisory"} for r in report.responses}
    assert {k: v for k, v in got.items() if v} == EXPECTED_ADVISORY
    f = next(f for f in by_id(report)["R-2026-005"].findings if f.rule == "definition-children")
    assert f.message.startswith("Advice, not a gap (the chapter words this as permission or an example, not a duty): ")
    assert "Children concerned: YP-P03." in f.message


def test_before_the_chapter_everything_not_applicable(report):
    findings = by_id(report)["R-2025-009"].findings
    assert {f.status for f in findings} == {"not_applicable"}
    assert findings[0].message == "Not applicable: identified before the chapter came into force (2026-02-01)."


def test_gap_messages_name_what_is_missing(report):
    f = next(f for f in by_id(report)["R-2026-008"].findings if f.rule == "cross-boundary-responsibility")
    assert f.message == (
        "Responsibility across areas was not agreed by Children's Services and Police. Missing: Police "
        '(police). Limits used: cross_boundary_working_days = 10 working days (local default). Next: Agree '
        "responsibility between Children's Services and Police for the areas involved, and record who agreed "
        'and when.')
    assert f.evidence == ["/cross_boundary"]
    f = next(f for f in by_id(report)["R-2026-007"].findings if f.rule == "strategic-plan")
    assert f.message == (
        "The strategic group's plan did not cover every item the chapter lists. Missing: manage public "
        'relations and media interest (media_managed). Next: Add the items listed as Missing to the strategic '
        "group's plan at its next meeting.")
    f = next(f for f in by_id(report)["R-2026-006"].findings if f.rule == "referral-timely")
    assert f.message == (
        'The referral was made later than the time-critical timescale. Not done in time: referral within the '
        'timescale (referral_in_time). Referral dated 2026-03-09; concern first identified on 2026-03-02. '
        'Limits used: referral_working_days = 1 working day (local default). Next: Record why the referral '
        'was late; referrals for a possible group go to the IFD / MASH the day the concern arises.')


def test_gap_messages_name_the_meeting_and_do_not_say_missing_of_an_attendee(report):
    f = next(f for f in by_id(report)["R-2026-007"].findings if f.rule == "strategic-attendees-senior")
    assert "Missing:" not in f.message
    assert "Attended but not recorded as senior enough to commit resources: Police representative (police)." in f.message
    assert "At the strategic meeting on 2026-03-09." in f.message
    f = next(f for f in by_id(report)["R-2026-003"].findings if f.rule == "scoping-meeting-held")
    assert f.status == "met"
    f = next(f for f in by_id(report)["R-2026-008"].findings if f.rule == "school-meetings-parents-informed")
    assert "Meeting in school on 2026-03-10; parents informed on 2026-03-11." in f.message


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
