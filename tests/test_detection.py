"""Group detection from incident feeds: episodes, partitions, sliding windows, merging, and the rule files."""
from __future__ import annotations

import copy
import datetime as dt
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from checker.detection import (Episode, age_on, detect, example_problems, partitions, prepare,
                               qualifying_windows)
from checker.detection_rules import DetectionRule, detection_rule_validator, load_detection_rules, normalise
from checker.rulebook import schema_problems
from checker.errors import ConfigError, InputError
from checker.params import load_parameters
from checker.rulebook import load_rulebook
from checker.validation import Record, schema

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def params():
    return load_parameters(RULES / "parameters.yaml")


@pytest.fixture(scope="module")
def ruleset(params):
    return load_detection_rules(RULES, params)


def records(*rows: dict) -> list[Record]:
    out = []
    for n, row in enumerate(rows, 1):
        out.append(Record("feed.csv", n, n + 1, {"incident_id": f"I-{n}", "age": 14, **row}))
    return out


def groups_of(ruleset, *rows: dict, as_of: dt.date = AS_OF) -> list[dict]:
    prepared = prepare(records(*rows), as_of, 18)
    return [g.to_dict() for g in detect(prepared.episodes, ruleset.rules)]


def yp(child: str, date: str, setting: str | None = None, area: str | None = None, conn=(), **extra) -> dict:
    row = {"young_person_id": child, "date": date, "connections": list(conn), **extra}
    if setting:
        row["setting_id"] = setting
    if area:
        row["area"] = area
    return row


# -- the rule files ------------------------------------------------------------------------------------------


def test_detection_rule_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(schema("detection-rule"))


def test_bundled_detection_rules(ruleset):
    assert [(r.id, r.basis, r.severity, r.min_children, r.window_days) for r in ruleset.rules] == [
        ("connected-group", "connected", "high", 3, 90),
        ("connected-pair", "connected", "high", 2, 14),
        ("same-setting-group", "same_setting", "high", 3, 42),
        ("same-setting-pair", "same_setting", "high", 2, 14),
        ("same-area-signal", "same_area", "low", 3, 14),
    ]
    assert all(r.section == "1" and r.clause.startswith("1-P") for r in ruleset.rules)


@pytest.mark.parametrize("rule_id", ["connected-group", "connected-pair", "same-setting-group", "same-setting-pair", "same-area-signal"])
def test_every_rule_passes_and_fails_its_own_examples(ruleset, rule_id):
    assert example_problems(ruleset.by_id(rule_id), 18) == []


def test_a_wrong_example_is_reported(ruleset):
    rule = ruleset.by_id("same-setting-pair")
    raw = copy.deepcopy(rule.raw)
    raw["examples"]["pass"][0]["incidents"][1]["date"] = "2026-03-03"  # now a pair: the pass example fails
    raw["examples"]["fail"][0]["expect"][0]["members"] = ["YP-1", "YP-9"]
    raw["examples"]["fail"][1]["incidents"].append({"young_person_id": "YP-5", "age": "x", "date": "2026-01-01"})
    bad = DetectionRule(**{**rule.__dict__, "raw": raw})
    problems = example_problems(bad, 18)
    assert len(problems) == 3
    assert problems[0].startswith("same-setting-pair: examples/pass/0 (two children in one school further apart")
    assert "expected no group, found [{'members': ['YP-1', 'YP-2'], 'met_definition_on': '2026-03-03'}]" in problems[0]
    assert problems[1].startswith("same-setting-pair: examples/fail/0 ")
    assert problems[2] == ("same-setting-pair: examples/fail/1 (episodes a term apart in one school are two groups): "
                           "incident 5 is not valid: /age must be of type integer")


def _write_rule(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    (tmp_path / "detection").mkdir(exist_ok=True)
    (tmp_path / "detection" / name).write_text(text)
    return tmp_path


GOOD = """id: pair
title: t
policy: {section: "1", clause: 1-P2}
severity: high
basis: same_setting
min_children: {param: pair_min_children}
window_days: 14
parameters: [pair_min_children]
examples:
  pass: [{name: a, incidents: []}]
  fail: [{name: b, incidents: [], expect: [{members: [A, B]}]}]
"""


def test_a_valid_rule_file_loads(tmp_path, params):
    loaded = load_detection_rules(_write_rule(tmp_path, GOOD), params)
    assert [(r.id, r.min_children, r.window_days) for r in loaded.rules] == [("pair", 2, 14)]
    assert len(loaded.digest) == 64


@pytest.mark.parametrize("change, message", [
    (("basis: same_setting", "basis: same_school"), "/basis: must be one of connected, same_setting, same_area"),
    (("severity: high\n", ""), "/: missing required field 'severity'"),
    (("window_days: 14", "window_days: 14\nrun: os.system"), "/: unknown field(s) 'run'"),
    (("{param: pair_min_children}", "{param: nope}"), "min_children: unknown parameter 'nope'"),
    (("window_days: 14", "window_days: {param: pair_window_days}"), "parameters: uses pair_window_days without listing it"),
    (("parameters: [pair_min_children]", "parameters: [pair_min_children, nope]"), "parameters: unknown nope"),
    (("{param: pair_min_children}", "1"), "min_children is 1: a group needs at least 2 children"),
    (("clause: 1-P2", "clause: 3-P2"), "/policy/clause: '3-P2' does not match '^1-P[0-9]+$'"),
])
def test_invalid_rule_files_stop_everything(tmp_path, params, change, message):
    _write_rule(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as exc:
        load_detection_rules(tmp_path, params)
    assert message in str(exc.value)
    assert str(exc.value).startswith("invalid detection rules:")


def test_rule_directory_problems(tmp_path, params):
    with pytest.raises(ConfigError, match="detection rules directory not found"):
        load_detection_rules(tmp_path, params)
    (tmp_path / "detection").mkdir()
    with pytest.raises(ConfigError, match="no detection rule files"):
        load_detection_rules(tmp_path, params)
    _write_rule(tmp_path, GOOD, "a.yaml")
    _write_rule(tmp_path, GOOD, "b.yaml")
    _write_rule(tmp_path, "id: [unclosed\n", "c.yaml")
    with pytest.raises(ConfigError, match="c.yaml: not valid YAML"):
        load_detection_rules(tmp_path, params)
    (tmp_path / "detection" / "c.yaml").unlink()
    with pytest.raises(ConfigError, match=r"b.yaml: duplicate rule id 'pair'"):
        load_detection_rules(tmp_path, params)


def test_overriding_a_size_below_two_is_a_configuration_error(tmp_path):
    override = tmp_path / "p.yaml"
    override.write_text("parameters:\n  pair_min_children: 1\n")
    params = load_parameters(RULES / "parameters.yaml", override)
    with pytest.raises(ConfigError, match="same-setting-pair.yaml: min_children is 1"):
        load_detection_rules(RULES, params)


def test_response_rulebook_does_not_read_the_detection_rules():
    rulebook = load_rulebook(RULES)
    assert not any("detection" in rule.source for rule in rulebook.rules)
    assert {"group_min_children", "pair_window_days", "group_escalation_working_days"} <= set(rulebook.parameters)


def test_detection_parameters_say_where_they_come_from(params):
    assert params["group_min_children"].source == "chapter"
    assert params["pair_min_children"].source == "chapter"
    for name in ("pair_window_days", "group_window_days", "connected_window_days", "area_min_children",
                 "area_window_days", "group_escalation_working_days"):
        assert params[name].source == "local default", name


def test_schema_problems_of_a_non_mapping():
    assert schema_problems(detection_rule_validator(), []) == ["/: [] is not of type 'object'"]


def test_normalise_resolves_numbers_given_directly(params):
    import yaml
    doc = yaml.safe_load(GOOD.replace("{param: pair_min_children}", "4").replace("[pair_min_children]", "[]"))
    assert normalise(doc, params).min_children == 4


# -- episodes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("born, on, age", [
    ("2008-03-01", "2026-02-28", 17), ("2008-03-01", "2026-03-01", 18),
    ("2008-02-29", "2026-02-28", 17), ("2008-02-29", "2026-03-01", 18), ("2008-02-29", "2028-02-29", 20),
])
def test_age_on(born, on, age):
    assert age_on(dt.date.fromisoformat(born), dt.date.fromisoformat(on)) == age


def test_prepare_counts_only_children_on_or_before_the_as_of_date():
    rows = records(
        yp("A", "2026-03-01", "S1", date_of_birth="2008-03-01"),      # 18 that day: left out
        yp("B", "2026-02-28", "S1", date_of_birth="2008-03-01"),      # 17: counted
        yp("C", "2026-03-01", "S1", age=18),                          # given age 18: left out
        yp("D", "2026-03-01", "S1", age=17, date_of_birth="2015-01-01"),  # date of birth preferred: 11
        yp("E", "2026-12-01", "S1"),                                  # after the as-of date
        yp("F", "2026-03-01", "S1", date_of_birth="2026-03-02"),      # born after the episode: an input error
        yp("G", "2026-03-01", conn=["G", "A"]),                       # a connection to itself is dropped
    )
    out = prepare(rows, AS_OF, 18)
    assert [(e.incident_id, e.child) for e in out.episodes] == [("I-2", "B"), ("I-4", "D"), ("I-7", "G")]
    assert out.episodes[2].connections == ("A",)
    assert (out.adults, out.after_as_of) == (2, 1)
    assert out.errors == [InputError("feed.csv", "I-6", "/date_of_birth",
                                     "must not be after the date of the episode", 7)]


# -- partitions and windows ----------------------------------------------------------------------------------


def ep(child: str, day: int, setting=None, area=None, conn=()) -> Episode:
    return Episode(f"I-{child}-{day}", child, day, setting, area, tuple(conn))


def test_connections_are_followed_from_child_to_child_whichever_side_records_them():
    eps = [ep("C", 1, conn=["B"]), ep("A", 2), ep("B", 3), ep("D", 4, conn=["E"]), ep("X", 5, conn=["Z-unknown"])]
    parts = partitions(eps, "connected")
    assert {k: [e.child for e in v] for k, v in parts.items()} == {"B": ["C", "B"], "A": ["A"], "D": ["D"],
                                                                    "X": ["X"]}
    eps.append(ep("A", 6, conn=["C"]))
    assert sorted(partitions(eps, "connected")["A"], key=lambda e: e.day) == [eps[0], eps[1], eps[2], eps[5]]


def test_settings_and_areas_leave_out_episodes_without_them():
    eps = [ep("A", 1, "S1", "L1"), ep("B", 2, None, "L1"), ep("C", 3, "S1", None)]
    assert {k: [e.child for e in v] for k, v in partitions(eps, "same_setting").items()} == {"S1": ["A", "C"]}
    assert {k: [e.child for e in v] for k, v in partitions(eps, "same_area").items()} == {"L1": ["A", "B"]}


def test_qualifying_windows():
    eps = [ep("A", 0), ep("A", 5), ep("B", 10), ep("C", 30), ep("D", 44), ep("E", 100), ep("F", 114), ep("E", 200)]
    # two children at most 14 days apart: (A,B) from day 10; (C,D) from 44 (30 to 44 is 14 days); (E,F) from 114
    assert qualifying_windows(eps, 2, 14) == [(0, 2, 10), (3, 4, 44), (5, 6, 114)]
    assert qualifying_windows(eps, 2, 13) == [(0, 2, 10)]
    assert qualifying_windows(eps, 3, 30) == [(0, 3, 30)]
    assert qualifying_windows(eps, 2, 0) == []
    assert qualifying_windows([], 2, 14) == []


# -- groups: the cases the chapter names ---------------------------------------------------------------------


def test_two_children_in_one_school_within_the_window_are_a_group(ruleset):
    (g,) = groups_of(ruleset, yp("YP-1", "2026-03-02", "S1", "L1"), yp("YP-2", "2026-03-09", "S1", "L1"))
    assert {k: g[k] for k in ("members", "basis", "rule", "severity", "settings", "areas", "first_date",
                              "last_date", "met_definition_on", "incidents", "escalated", "escalation")} == {
        "members": ["YP-1", "YP-2"], "basis": "same_setting", "rule": "same-setting-pair", "severity": "high",
        "settings": ["S1"], "areas": ["L1"], "first_date": "2026-03-02", "last_date": "2026-03-09",
        "met_definition_on": "2026-03-09", "incidents": ["I-1", "I-2"], "escalated": None,
        "escalation": "not_checked"}
    assert g["group_id"].startswith("G-") and len(g["group_id"]) == 14


def test_three_children_in_different_schools_linked_online_are_a_group(ruleset):
    (g,) = groups_of(ruleset, yp("YP-1", "2026-03-02", "S1", "L1", conn=["YP-2"]),
                     yp("YP-2", "2026-04-10", "S2", "L2"), yp("YP-3", "2026-05-20", "S3", "L3", conn=["YP-2"]))
    assert (g["members"], g["basis"], g["settings"], g["areas"], g["met_definition_on"]) == (
        ["YP-1", "YP-2", "YP-3"], "connected", ["S1", "S2", "S3"], ["L1", "L2", "L3"], "2026-05-20")


def test_unconnected_children_far_apart_in_time_and_place_are_no_group(ruleset):
    assert groups_of(ruleset, yp("YP-1", "2026-03-02", "S1", "L1"), yp("YP-2", "2026-08-02", "S2", "L2"),
                     yp("YP-3", "2026-03-03", "S3", "L3")) == []


def test_anyone_18_or_over_at_the_episode_is_not_counted(ruleset):
    rows = [yp("YP-1", "2026-03-02", "C1", date_of_birth="2008-03-02"), yp("YP-2", "2026-03-03", "C1", age=17)]
    assert groups_of(ruleset, *rows) == []
    rows[0]["date_of_birth"] = "2008-03-03"  # 17 on the day of the episode: a child
    assert [g["members"] for g in groups_of(ruleset, *rows)] == [["YP-1", "YP-2"]]


def test_rules_of_one_basis_in_one_setting_give_one_group(ruleset):
    # a pair within 14 days and three children within 42 days in the same school: one group, both rules
    (g,) = groups_of(ruleset, yp("A", "2026-03-02", "S1"), yp("B", "2026-03-06", "S1"), yp("C", "2026-04-10", "S1"))
    assert (g["members"], g["rules"], g["rule"], g["min_children"], g["met_definition_on"]) == (
        ["A", "B", "C"], ["same-setting-group", "same-setting-pair"], "same-setting-group", 2, "2026-03-06")


def test_rules_that_find_exactly_the_same_episodes_give_one_group(ruleset):
    (g,) = groups_of(ruleset, yp("A", "2026-03-02", "S1"), yp("B", "2026-03-02", "S1"), yp("C", "2026-03-02", "S1"))
    assert (g["members"], g["rules"], g["met_definition_on"]) == (
        ["A", "B", "C"], ["same-setting-group", "same-setting-pair"], "2026-03-02")


def test_a_group_within_another_is_folded_into_it(ruleset):
    # connected A-B-C, two of them in one school: the school pair is folded into the connected group
    (g,) = groups_of(ruleset, yp("A", "2026-03-02", "S1", conn=["B"]), yp("B", "2026-03-05", "S1", conn=["C"]),
                     yp("C", "2026-03-20", "S2"))
    assert (g["basis"], g["members"], g["met_definition_on"], g["min_children"], g["settings"]) == (
        "connected", ["A", "B", "C"], "2026-03-05", 2, ["S1", "S2"])
    assert [(a["basis"], a["members"], a["met_definition_on"]) for a in g["also"]] == [
        ("same_setting", ["A", "B"], "2026-03-05")]


def test_a_lower_severity_group_does_not_absorb_a_higher_one(ruleset):
    rows = [yp("A", "2026-03-02", "S1", "L1"), yp("B", "2026-03-03", "S1", "L1"), yp("C", "2026-03-04", "S2", "L1")]
    found = groups_of(ruleset, *rows)
    assert [(g["basis"], g["members"], g["severity"], "also" in g) for g in found] == [
        ("same_setting", ["A", "B"], "high", False), ("same_area", ["A", "B", "C"], "low", False)]


def test_a_child_may_be_in_two_groups_of_different_bases(ruleset):
    rows = [yp("A", "2026-03-02", "S1", conn=["X"]), yp("B", "2026-03-03", "S1"),
            yp("X", "2026-03-10", "S8", conn=["Y"]), yp("Y", "2026-03-11", "S9")]
    assert [(g["basis"], g["members"]) for g in groups_of(ruleset, *rows)] == [
        ("connected", ["A", "X", "Y"]), ("same_setting", ["A", "B"])]


def test_the_same_children_months_apart_are_two_groups(ruleset):
    rows = [yp("A", "2026-01-05", "S1"), yp("B", "2026-01-06", "S1"), yp("A", "2026-06-01", "S1"),
            yp("B", "2026-06-02", "S1")]
    assert [(g["members"], g["first_date"]) for g in groups_of(ruleset, *rows)] == [
        (["A", "B"], "2026-01-05"), (["A", "B"], "2026-06-01")]


def test_detection_does_not_depend_on_the_order_of_the_feed(ruleset):
    rng = random.Random(7)
    rows = [yp(f"YP-{rng.randrange(60)}", (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(200))).isoformat(),
               f"S{rng.randrange(8)}", f"L{rng.randrange(3)}", conn=[f"YP-{rng.randrange(60)}"]) for _ in range(150)]
    first = groups_of(ruleset, *rows)
    rng.shuffle(rows)
    again = groups_of(ruleset, *rows)
    strip = lambda gs: [{k: v for k, v in g.items() if k not in ("incidents", "group_id", "also")} for g in gs]
    assert first and strip(first) == strip(again)
    for g in first:  # every member of every group is a child with an episode in the group's dates
        assert len(g["members"]) >= 2 and g["first_date"] <= g["met_definition_on"] <= g["last_date"]
