"""Working days, parameters, rule loading and facts."""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from checker.errors import ConfigError
from checker.facts import age_at, response_facts
from checker.params import load_parameters
from checker.rulebook import load_rulebook, normalise
from checker.workdays import add_working_days, epoch_day, is_working_day, working_index
from helpers import AS_OF, RULES, rulebook

D = dt.date


def test_working_days_skip_weekends_and_bank_holidays():
    assert not is_working_day(D(2026, 4, 3))   # Good Friday
    assert not is_working_day(D(2026, 4, 6))   # Easter Monday
    assert not is_working_day(D(2026, 12, 28))  # Boxing Day (substitute)
    assert add_working_days(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 9)
    assert working_index(D(2026, 4, 7)) - working_index(D(2026, 4, 2)) == 1
    assert working_index(D(2026, 3, 7)) == working_index(D(2026, 3, 6))  # a Saturday counts as Friday


def test_working_index_counts_every_working_day():
    day, count = D(2024, 1, 1), working_index(D(2023, 12, 31))
    while day < D(2027, 1, 1):
        count += is_working_day(day)
        assert working_index(day) == count, day
        day += dt.timedelta(days=1)


def test_dates_before_1900_are_refused_and_1900_to_1969_counted():
    with pytest.raises(ValueError):
        working_index(D(1899, 12, 31))
    assert working_index(D(1969, 12, 31)) == 0 and working_index(D(1970, 1, 1)) == 1
    assert working_index(D(1969, 12, 26)) == working_index(D(1969, 12, 24))  # Christmas and Boxing Day
    assert epoch_day(D(1970, 1, 2)) == 1


def test_parameters_have_provenance():
    params = load_parameters(RULES / "parameters.yaml")
    p = params["scoping_meeting_working_days"]
    assert (p.value, p.source, p.unit) == (5, "local default", "working days")
    assert params["chapter_in_force_from"].source == "chapter"


def test_override_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="parameters override file not found"):
        load_parameters(RULES / "parameters.yaml", tmp_path / "none.yaml")


def _doc(rule_id="scoping-chair"):
    return copy.deepcopy(rulebook().by_id(rule_id).raw)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["subject"].update(fact="meeting", where={"colour": "red"}), "meeting has no field 'colour'"),
    (lambda d: d["requires"][0].update(test={"chair_role": {"gt": {"param": "nope"}}}), "unknown parameter 'nope'"),
    (lambda d: d["requires"][0].update(test={"date": "2026-01-01"}), "a date can only be compared with another date"),
    (lambda d: d["requires"][0].update(test={"chair_delegate": "yes"}), "'yes' is not a bool"),
    (lambda d: d["policy"].update(clause="3-P1"), "policy.clause 3-P1 is not in section 4"),
    (lambda d: d["requires"][0].update(test={"chair_role": {"present": False}}), "only a value can be required"),
    (lambda d: d["requires"][0].update(test={"date": {"gte": {"ref": "subject.ref"}}}), "compares a date with a str"),
    (lambda d: d["requires"][0].update(test={"date": {"gte": {"ref": "response.local_authority"}}}),
     "only response.identified_on"),
])
def test_normaliser_rejects_nonsense(change, message):
    doc = _doc()
    change(doc)
    with pytest.raises(ConfigError, match=message):
        normalise(doc, rulebook().parameters)


def test_undeclared_parameter_is_an_error():
    doc = _doc("scoping-meeting-held")
    doc["parameters"] = []
    with pytest.raises(ConfigError, match="uses scoping_meeting_working_days without listing it"):
        normalise(doc, rulebook().parameters)


def _rules_dir(tmp_path, docs):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "parameters.yaml").write_text((RULES / "parameters.yaml").read_text())
    for i, doc in enumerate(docs):
        (d / f"r{i}.yaml").write_text(yaml.safe_dump(doc))
    return d


def test_schema_errors_name_file_and_path(tmp_path):
    doc = _doc()
    del doc["severity"]
    doc["colour"] = "red"
    with pytest.raises(ConfigError) as err:
        load_rulebook(_rules_dir(tmp_path, [doc]))
    text = str(err.value)
    assert "r0.yaml: /: missing required field 'severity'" in text
    assert "r0.yaml: /: unknown field(s)" in text and "colour" in text


def test_duplicate_rule_ids(tmp_path):
    with pytest.raises(ConfigError, match="duplicate rule id 'scoping-chair'"):
        load_rulebook(_rules_dir(tmp_path, [_doc(), _doc()]))


def test_empty_rules_dir(tmp_path):
    with pytest.raises(ConfigError, match="no rule files"):
        load_rulebook(_rules_dir(tmp_path, []))


def test_digest_changes_with_parameters(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("parameters: {scoping_meeting_working_days: 3}\n")
    assert load_rulebook(RULES, p).digest != rulebook().digest


def test_facts_hold_no_free_text_and_mark_nulls():
    record = {"response_id": "R", "status": "closed", "identified_on": "2026-03-02",
              "young_people": [{"id": "YP-1", "date_of_birth": "2010-03-03", "safety_plan": None}],
              "closure": {"date": "2026-05-01", "lessons_actions": [{"action": "Free text Zebedee", "owner": "police"}]}}
    facts = response_facts(record, AS_OF)
    assert "Zebedee" not in repr(facts)
    yp = next(f for f in facts if f["t"] == "young_person")
    assert yp["age"] == 15 and yp["safety_plan_agreed_on__null"] is True
    assert "exit_plan_agreed_on_d" not in yp and "exit_plan_agreed_on__null" not in yp


def test_age_from_date_of_birth_or_given_age():
    assert age_at({"date_of_birth": "2008-03-02"}, D(2026, 3, 2)) == 18
    assert age_at({"date_of_birth": "2008-03-03"}, D(2026, 3, 2)) == 17
    assert age_at({"age": 12}, D(2026, 3, 2)) == 12
    assert age_at({}, D(2026, 3, 2)) is ...
