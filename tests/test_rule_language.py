"""The rule language refuses what it cannot mean: each mistake an author can make, with its message."""
from __future__ import annotations

import copy

import pytest

from checker.api import DEFAULT_RULES
from checker.errors import ConfigError
from checker.rulebook import load_rulebook, normalise

PARAMS = load_rulebook(DEFAULT_RULES).parameters
BASE = {
    "id": "t-rule", "title": "A test rule", "policy": {"section": "4", "clause": "4-P1"}, "severity": "low",
    "subject": {"fact": "meeting", "label": "meeting", "where": {"mtype": "scoping"}},
    "requires": [{"code": "c", "test": {"chair_role": "police"}}],
    "examples": {"pass": [{"name": "a", "record": {}}], "fail": [{"name": "b", "record": {}}]},
}


def rule(**changes):
    doc = copy.deepcopy(BASE)
    for key, value in changes.items():
        doc[key] = value
    return doc


CASES = [
    ("unknown field", rule(requires=[{"code": "c", "test": {"chairs": "police"}}]), "meeting has no field 'chairs'"),
    ("unknown parameter", rule(requires=[{"code": "c", "test": {"date": {"within_working_days": {
        "of": {"ref": "response.identified_on"}, "days": {"param": "nope"}}}}}]), "unknown parameter 'nope'"),
    ("undeclared parameter", rule(requires=[{"code": "c", "test": {"date": {"within_working_days": {
        "of": {"ref": "response.identified_on"}, "days": {"param": "referral_working_days"}}}}}]),
     "uses referral_working_days without listing it"),
    ("declared unknown parameter", rule(parameters=["ghost"]), "parameters: unknown ghost"),
    ("date against a literal", rule(requires=[{"code": "c", "test": {"date": {"gt": 3}}}]),
     "a date can only be compared with another date"),
    ("wrong literal type", rule(requires=[{"code": "c", "test": {"chair_delegate": "yes"}}]), "'yes' is not a bool"),
    ("date with a string", rule(requires=[{"code": "c", "test": {"date": {"lt": {"ref": "subject.chair_role"}}}}]),
     "compares a date with a str"),
    ("response field out of reach", rule(requires=[{"code": "c", "test": {"chair_role": {
        "eq": {"ref": "response.local_authority"}}}}]), "only response.identified_on, response.as_of"),
    ("presence required", rule(requires=[{"code": "c", "test": {"chair_role": {"recorded": True}}}]),
     "only a value can be required"),
    ("two fields in one test", rule(requires=[{"code": "c", "test": {"chair_role": "police", "date": {"present": True}}}]),
     "test exactly one field"),
    ("working days on a string", rule(requires=[{"code": "c", "test": {"chair_role": {"within_working_days": {
        "of": {"ref": "response.identified_on"}, "days": 1}}}}]), "within_working_days needs a date field"),
    ("code field unknown", rule(requires=[{"code": {"field": "nope"}, "test": {"chair_role": "police"}}]),
     "meeting has no field 'nope'"),
    ("label needed", rule(subject={"fact": "meeting"}), "subject.label is needed"),
    ("clause outside its section", rule(policy={"section": "5", "clause": "4-P1"}), "is not in section 5"),
    ("gap without code", rule(subject={"fact": "meeting", "label": "m", "if_none": {"status": "gap"}}),
     "a gap needs a 'code'"),
    ("unknown_unless field", rule(subject={"fact": "meeting", "label": "m", "if_none": {
        "status": "gap", "code": "x", "unknown_unless": "nope"}}), "response has no field 'nope'"),
    ("response subject with where", rule(subject={"fact": "response", "where": {"status": "open"}}),
     "subject response takes no 'where'"),
    ("subject condition in applies", rule(applies=[{"subject": {"chair_role": "police"}}]),
     "'subject' conditions are not allowed in applies"),
    ("due after a non-date", rule(due={"working_days": 1, "after": "subject.chair_role"}), "is not a date"),
]


@pytest.mark.parametrize("doc, message", [(d, m) for _, d, m in CASES], ids=[n for n, _, _ in CASES])
def test_refused(doc, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        normalise(doc, PARAMS)


def test_a_valid_rule_normalises():
    r = normalise(rule(due="at_closure"), PARAMS)
    assert r.requires[0].due.kind == "at_closure"
    assert r.parameters == ("chapter_in_force_from",)


def test_due_once_is_normalised_with_its_related_fact():
    r = normalise(rule(requires=[{"code": "c", "test": {"chair_role": "police"},
                                  "due": {"once": {"fact": "meeting", "where": {"mtype": "final"}}}}]), PARAMS)
    due = r.requires[0].due
    assert due.kind == "once" and due.related.fact == "meeting" and due.related.where[0].name == "mtype"


def test_load_rulebook_lists_every_problem(tmp_path):
    (tmp_path / "parameters.yaml").write_text((DEFAULT_RULES / "parameters.yaml").read_text())
    (tmp_path / "a.yaml").write_text("id: [unclosed\n")
    (tmp_path / "b.yaml").write_text("- not a mapping\n")
    (tmp_path / "c.yaml").write_text("id: c\ntitle: Missing most fields\n")
    (tmp_path / "d.yaml").write_text("id: d\nwhen: 2026-13-01\n")
    with pytest.raises(ConfigError) as exc:
        load_rulebook(tmp_path)
    text = str(exc.value)
    assert "a.yaml: not valid YAML at line" in text
    assert "b.yaml: a rule file holds one mapping" in text
    assert "c.yaml: /: missing required field 'policy'" in text
    assert "d.yaml: /: missing required field" in text  # dates stay text: no crash in the YAML reader


def test_load_rulebook_empty_and_missing(tmp_path):
    with pytest.raises(ConfigError, match="rules directory not found"):
        load_rulebook(tmp_path / "nope")
    (tmp_path / "parameters.yaml").write_text((DEFAULT_RULES / "parameters.yaml").read_text())
    with pytest.raises(ConfigError, match=r"no rule files \(\*\.yaml\) found"):
        load_rulebook(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("parameters: {nope: 3}\n", "unknown parameter 'nope'"),
    ("parameters: {adult_age: -1}\n", "must be a whole number from 0 to 36500"),
    ("parameters: {adult_age: 9223372036854775000}\n", "must be a whole number from 0 to 36500"),
    ("parameters: {chapter_in_force_from: 2026-13-01}\n", "parameter 'chapter_in_force_from' must be a date YYYY-MM-DD"),
    ("parameters: {chapter_in_force_from: '2026-1-01'}\n", "must be a date YYYY-MM-DD"),
    ("parameters: {adult_age: {reason: why}}\n", "needs a 'value'"),
    ("just text\n", "expected a mapping 'parameters:'"),
    ("parameters: [unclosed\n", "not valid YAML"),
])
def test_bad_parameter_overrides(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rulebook(DEFAULT_RULES, path)


def test_missing_override_file(tmp_path):
    with pytest.raises(ConfigError, match="parameters override file not found"):
        load_rulebook(DEFAULT_RULES, tmp_path / "none.yaml")


def test_override_with_a_date_value(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("parameters:\n  chapter_in_force_from: 2026-03-01\n")
    rb = load_rulebook(DEFAULT_RULES, path)
    assert rb.parameters["chapter_in_force_from"].value == "2026-03-01"
    assert rb.digest != load_rulebook(DEFAULT_RULES).digest
