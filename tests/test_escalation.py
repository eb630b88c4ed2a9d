"""Was each possible group escalated? Groups checked against response records."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.detection import Group
from checker.escalation import EscalationChecker, check_escalation
from checker.params import load_parameters
from tests.conftest import minimal_response

ROOT = Path(__file__).resolve().parent.parent
PARAMS = load_parameters(ROOT / "rules" / "parameters.yaml")
MET = dt.date(2026, 3, 4)  # a Wednesday: 3 working days later is Monday 2026-03-09


def group(members=("YP-1", "YP-2"), min_children=2, first="2026-03-02", met=MET, severity="high") -> Group:
    first_day = dt.date.fromisoformat(first).toordinal()
    return Group("G-x", "same_setting", "same-setting-pair", ["same-setting-pair"], severity, "1-P2", min_children,
                 list(members), ["S1"], ["L1"], first_day, met.toordinal(), met.toordinal(), ["I-1", "I-2"])


def response(rid="R-1", children=("YP-1", "YP-2"), **fields) -> dict:
    return minimal_response(rid, young_people=[{"id": c} for c in children], **fields)


def check(g: Group, responses, as_of="2026-03-20") -> dict:
    return EscalationChecker(responses, PARAMS, dt.date.fromisoformat(as_of)).check(g)


def statuses(out: dict) -> list[tuple[str, str]]:
    return [(f["rule"], f["status"]) for f in out["findings"]]


def test_a_group_escalated_in_time():
    out = check(group(), [response(referral={"date": "2026-03-09", "route": "ifd"})])
    assert (out["escalated"], out["escalation"], out["response_id"], out["referral_date"]) == (
        True, "escalated", "R-1", "2026-03-09")
    assert statuses(out) == [("group-escalated", "met"), ("group-escalated-in-time", "met")]
    first, second = out["findings"]
    assert first["policy"] == {"section": "3", "clause": "3-P3", "also": ["1-P2", "3-P1"]}
    assert first["evidence"] == ["/referral", "/young_people/0/id", "/young_people/1/id"]
    assert first["message"] == ("Escalated: response R-1 includes 2 of the group's 2 children and records a child "
                                "safeguarding referral.")
    assert second["policy"]["section"] == "2" and second["severity"] == "high"


def test_a_group_escalated_late_is_a_section_2_gap():
    out = check(group(), [response(referral={"date": "2026-03-10"})])
    assert (out["escalated"], out["escalation"]) == (True, "escalated_late")
    assert statuses(out) == [("group-escalated", "met"), ("group-escalated-in-time", "gap")]
    late = out["findings"][1]
    assert late["message"] == ("Escalated late: referral on 2026-03-10, 4 working days after the group met the "
                               "definition on 2026-03-04; the timescale is 3 working days.")
    assert (late["missing"], late["evidence"], late["policy"]["clause"]) == (["referral_in_time"], ["/referral/date"],
                                                                            "2-P2")


def test_bank_holidays_are_not_working_days():
    # met on Thursday 2026-04-02; Good Friday and Easter Monday: Thursday 2026-04-09 is the third working day
    g = group(met=dt.date(2026, 4, 2), first="2026-04-01")
    assert statuses(check(g, [response(referral={"date": "2026-04-09"})], "2026-04-20"))[1] == (
        "group-escalated-in-time", "met")
    assert statuses(check(g, [response(referral={"date": "2026-04-10"})], "2026-04-20"))[1] == (
        "group-escalated-in-time", "gap")


def test_a_referral_before_the_group_met_the_definition_is_in_time():
    assert statuses(check(group(), [response(referral={"date": "2026-02-20"})]))[1] == ("group-escalated-in-time", "met")


def test_an_unescalated_group_is_a_gap_citing_sections_1_and_3():
    out = check(group(members=("YP-1", "YP-2", "YP-3")), [response(children=("YP-1", "YP-9"), referral={"date": "2026-03-05"})])
    assert (out["escalated"], out["escalation"], out["response_id"], out["responses"]) == (
        False, "not_escalated", None, [])
    gap, na = out["findings"]
    assert (gap["status"], gap["policy"]["section"], gap["policy"]["also"][0]) == ("gap", "3", "1-P2")
    assert gap["message"] == ("Possible self-harm group not escalated: no response record with a child safeguarding "
                              "referral includes 2 or more of its children; a referral asking for a scoping meeting "
                              "was due by 2026-03-09.")
    assert gap["missing"] == ["YP-2", "YP-3"]  # YP-1 is in a response (which has too few of the group)
    assert out["members_not_in_responses"] == ["YP-2", "YP-3"]
    assert na["status"] == "not_applicable"


def test_a_response_without_a_referral_does_not_escalate():
    out = check(group(), [response(status="closed", closure={"date": "2026-04-01"}, referral=None)])
    assert (out["escalation"], out["responses"]) == ("not_escalated", ["R-1"])
    assert out["findings"][0]["message"].endswith("(in response R-1, which records no referral); a referral asking "
                                                  "for a scoping meeting was due by 2026-03-09.")


def test_not_yet_due_is_pending_not_a_gap():
    out = check(group(), [], as_of="2026-03-09")
    assert (out["escalated"], out["escalation"]) == (False, "pending")
    assert out["findings"][0]["message"] == ("Not yet due: a child safeguarding referral is due by 2026-03-09 "
                                             "(3 working days after the group met the definition on 2026-03-04).")
    assert check(group(), [], as_of="2026-03-10")["escalation"] == "not_escalated"


def test_children_only_in_an_open_response_within_its_timescale_are_not_a_gap():
    open_response = response(identified_on="2026-03-19", referral=None)
    out = check(group(), [open_response], as_of="2026-03-20")
    assert (out["escalation"], out["response_id"]) == ("pending", "R-1")
    assert out["findings"][0]["message"] == ("Its children are in open response R-1, which records no referral yet "
                                             "and is within its referral timescale (due by 2026-03-20).")
    assert check(group(), [open_response], as_of="2026-03-23")["escalation"] == "not_escalated"


def test_an_absent_referral_is_unknown_not_a_gap():
    out = check(group(), [response()])
    assert (out["escalated"], out["escalation"]) == (False, "insufficient_data")
    assert statuses(out) == [("group-escalated", "insufficient_data"), ("group-escalated-in-time", "not_applicable")]


def test_a_referral_without_a_date_cannot_be_judged_for_time():
    out = check(group(), [response(referral={"route": "ifd"})])
    assert (out["escalated"], out["referral_date"]) == (True, None)
    assert statuses(out)[1] == ("group-escalated-in-time", "insufficient_data")


def test_a_response_needs_the_qualifying_number_of_the_groups_children():
    g = group(members=("YP-1", "YP-2", "YP-3", "YP-4"), min_children=3)
    assert check(g, [response(children=("YP-1", "YP-2"), referral={"date": "2026-03-05"})])["escalated"] is False
    assert check(g, [response(children=("YP-1", "YP-2", "YP-4"), referral={"date": "2026-03-05"})])["escalated"] is True


def test_a_response_closed_before_the_group_began_does_not_cover_it():
    old = response(status="closed", referral={"date": "2025-10-01"}, closure={"date": "2025-12-01"})
    assert check(group(), [old])["escalation"] == "not_escalated"
    ongoing = response(status="closed", referral={"date": "2025-10-01"}, closure={"date": "2026-03-03"})
    assert check(group(), [ongoing])["escalation"] == "escalated"


def test_the_earliest_referral_is_reported():
    late = response("R-2", referral={"date": "2026-03-16"})
    early = response("R-3", referral={"date": "2026-03-05"})
    no_date = response("R-1", referral={"route": "mash"})
    out = check(group(), [late, no_date, early])
    assert (out["response_id"], out["responses"]) == ("R-3", ["R-2", "R-1", "R-3"])


def test_check_escalation_sets_every_group():
    groups = [group(), group(members=("YP-8", "YP-9"))]
    check_escalation(groups, [response(referral={"date": "2026-03-05"})], PARAMS, dt.date(2026, 3, 20))
    assert [g.to_dict()["escalation"] for g in groups] == ["escalated", "not_escalated"]


def test_group_escalation_timescale_is_a_parameter(tmp_path):
    override = tmp_path / "p.yaml"
    override.write_text("parameters:\n  group_escalation_working_days: {value: 5, reason: test}\n")
    params = load_parameters(ROOT / "rules" / "parameters.yaml", override)
    out = EscalationChecker([response(referral={"date": "2026-03-10"})], params, dt.date(2026, 3, 20)).check(group())
    assert out["escalation"] == "escalated"


@pytest.mark.parametrize("name", ["group_escalation_working_days", "referral_working_days"])
def test_parameters_used_exist(name):
    assert name in PARAMS


def test_a_group_child_in_no_response_is_a_finding_of_an_escalated_group():
    """Issue 8, class 16: a group of four 'escalated' by a response listing three; the fourth is named."""
    g = group(members=("YP-1", "YP-2", "YP-3", "YP-4"), min_children=3)
    out = check(g, [response(children=("YP-1", "YP-2", "YP-3"), referral={"date": "2026-03-05", "route": "ifd"})])
    assert statuses(out) == [("group-escalated", "met"), ("group-escalated-in-time", "met"),
                             ("group-members-in-response", "gap")]
    third = out["findings"][2]
    assert third["missing"] == ["YP-4"] and third["policy"]["clause"] == "3-P5"
    assert third["message"].startswith("Response R-1 was escalated for this group, but 1 of the group's 4 children "
                                       "is in no response record. Next: add them to response R-1")
    early = check(g, [response(children=("YP-1", "YP-2", "YP-3"), referral={"date": "2026-03-05"})], as_of="2026-03-05")
    assert statuses(early)[2] == ("group-members-in-response", "pending")
    every = check(g, [response(children=("YP-1", "YP-2", "YP-3", "YP-4"), referral={"date": "2026-03-05"})])
    assert len(every["findings"]) == 2


def test_indexing_only_the_groups_children_changes_no_escalation():
    """Issue 13: the escalation index holds only the children of the groups being checked (bounded by the
    groups, not the export); every group's escalation is the same as with every child indexed."""
    from checker.groups import find_groups
    from checker.parallel import escalation_view
    from checker.validation import load_responses

    as_of = dt.date(2026, 11, 27)
    records = [r.data for r in load_responses([ROOT / "fixtures" / "sample-export"]).records]
    views = [escalation_view(r) for r in records]
    found = find_groups([ROOT / "fixtures" / "incidents" / "incidents-2026.csv"], as_of, ROOT / "rules", PARAMS)
    members = {m for g in found.groups for m in g.members}
    every = EscalationChecker(views, PARAMS, as_of)
    only = EscalationChecker(views, PARAMS, as_of, members)
    assert found.groups and set(only.where) < set(every.where)  # children in no group are left out
    outcomes = [every.check(g) for g in found.groups]
    assert outcomes == [only.check(g) for g in found.groups]
    assert {o["escalation"] for o in outcomes} >= {"escalated", "not_escalated"}


def test_a_views_children_are_the_records_children():
    from checker.escalation import children
    from checker.parallel import escalation_view
    from checker.validation import load_responses

    records = [r.data for r in load_responses([ROOT / "fixtures" / "sample-export"]).records]
    records.append({"response_id": "R-0", "status": "open", "identified_on": "2026-01-05", "young_people": []})
    assert any(len(children(r)) > 1 for r in records)
    for record in records:
        assert children(escalation_view(record)) == children(record) == [yp["id"] for yp in record["young_people"]]
