"""`shg-check rules coverage | test | show | lint`: on the real rules, and on broken rule folders."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.api import DEFAULT_RULES
from checker.rulebook import load_rulebook
from checker.authoring import coverage, lint
from checker.policy import DEFAULT_POLICY, load_policy
from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, target)
    return target


def edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


# -- the real rules -------------------------------------------------------------
def test_coverage_every_obligation_covered():
    result = run("rules", "coverage")
    assert result.exit_code == 0, result.output
    assert "Every obligation is covered by a rule." in result.output
    assert "Obligations covered by a rule: 102 of 102" in result.output
    assert "129 clauses: 6 definition, 102 obligation, 18 guidance, 3 not_checkable" in result.output
    assert ("Strength (the chapter's words): 82 must, 18 should, 8 may, 10 indicative, 6 definition, 5 none; "
            "may / indicative / definition clauses give advisory findings, never gaps") in result.output
    lines = {l.split()[0]: l.split() for l in result.output.splitlines() if l[:1].isdigit()}
    assert lines["4.2-P2"][1:3] == ["guidance", "indicative"] and lines["4-P2-B14"][1:3] == ["guidance", "may"]
    assert lines["4.1-P6-S1"][1:4] == ["obligation", "must", "risks-acted-on-immediately"]
    assert "Chapter: Self-harm groups (added 2026-02, next review 2028-02)" in result.output
    line = next(l for l in result.output.splitlines() if l.startswith("6-P1 "))
    assert "cross-boundary-responsibility" in line
    line = next(l for l in result.output.splitlines() if l.startswith("5-P2 "))
    assert "not checkable: Following the partnership's normal information sharing protocols" in line


def test_no_may_or_indicative_clause_produces_a_gap():
    """Issue 8: a rule whose clause is worded may / could be / an indicative list / a definition is a 'may'
    rule, and a 'may' rule reports advice, never a gap (lint checks the first; resolve the second)."""
    from checker.authoring import strength_problem
    from checker.findings import Outcome, resolve
    from checker.policy import load_policy
    policy = load_policy()
    rules = load_rulebook(DEFAULT_RULES).rules
    for rule in rules:
        assert strength_problem(rule.id, rule.strength, policy.clauses[rule.clause]) == "", rule.id
        if policy.clauses[rule.clause].strength in ("may", "indicative", "definition", "none"):
            assert rule.strength == "may", rule.id
            finding = resolve(rule, [Outcome(rule.id, "missing", "x", "/p")])
            assert finding.status == "advisory", rule.id
    assert {r.id for r in rules if r.strength == "may"} == {
        "definition-children", "definition-group-size", "scoping-additional-members",
        "strategic-additional-members", "operational-attendees"}


def test_every_section_has_a_rule_and_every_clause_is_classified():
    rulebook, policy = load_rulebook(DEFAULT_RULES), load_policy()
    rows = coverage(rulebook, policy)
    assert all(r.clause.kind != "unclassified" for r in rows)
    assert {r.section for r in rulebook.rules} == {"1", "2", "3", "4", "4.1", "4.2", "5", "6", "7"}
    for row in rows:
        if row.clause.kind == "not_checkable":
            assert len(row.clause.reason) > 40, row.clause.id


def test_lint_passes():
    result = run("rules", "lint")
    assert result.exit_code == 0, result.output
    assert "rules lint: no problems" in result.output


def test_test_passes_through_both_evaluators():
    result = run("rules", "test")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("durable engine and oracle)")
    assert " 0 failed (" in result.output


def test_test_one_rule_verbose():
    result = run("rules", "test", "--rule", "scoping-chair", "-v")
    assert result.exit_code == 0
    assert "ok    scoping-chair/fail/chaired by the police: gap" in result.output
    assert "3 passed, 0 failed (3 examples of 1 rules" in result.output


def test_test_unknown_rule_is_a_usage_error():
    result = run("rules", "test", "--rule", "no-such-rule")
    assert result.exit_code == 2
    assert "no rule no-such-rule" in result.output


def test_show_rule_with_clause_parameters_and_examples():
    result = run("rules", "show", "scoping-meeting-held")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("scoping-meeting-held: A Multi-Agency Response Group (Scoping) meeting is held")
    assert "4-P1 [obligation]: A Multi-Agency Response Group – Scoping meeting should be held" in out
    assert "scoping_meeting_working_days = 5 working days [local default]" in out
    assert "chapter_in_force_from = 2026-02-01 [chapter]" in out
    assert "pass: open, none yet, still within the timescale -> pending" in out
    assert "fail: closed, no scoping meeting at all -> gap missing ['scoping_meeting']" in out
    assert "  strength: should" in out


def test_show_uses_parameter_overrides(tmp_path):
    override = tmp_path / "local.yaml"
    override.write_text("parameters:\n  scoping_meeting_working_days: {value: 3, reason: Partnership decision}\n")
    result = run("rules", "show", "scoping-meeting-held", "--params", str(override))
    assert "scoping_meeting_working_days = 3 working days [override (local.yaml); Partnership decision]" in result.output


def test_show_unknown_rule():
    result = run("rules", "show", "nope")
    assert result.exit_code == 2
    assert "no rule 'nope'" in result.output


def test_rules_lint_as_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "rules", "lint"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rules lint: no problems" in proc.stdout


# -- broken rule folders: the tools must fail -------------------------------------
def test_lint_fails_on_unknown_clause_code_and_invalid_example(rules_copy):
    path = rules_copy / "4" / "scoping-chair.yaml"

    def breakit(doc):
        doc["policy"]["also"] = ["4-P99"]
        doc["requires"][0]["test"] = {"chair_role": "head_of_everything"}
        doc["examples"]["pass"][0]["record"].pop("status")
    edit(path, breakit)
    result = run("rules", "lint", "--rules", str(rules_copy))
    assert result.exit_code == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[7] == "  - 4-P99" and lines[28] == "    chair_role: head_of_everything"   # file:line:column
    assert f"{path}:8:5: cites clause 4-P99 which is not in chapter.yaml" in result.output
    assert f"{path}:29:5: unknown role code 'head_of_everything' (see vocabularies.yaml, or add it with --vocab)" in result.output
    assert lines[33].strip() == "record:" and "name: chaired by a delegate" in lines[32]
    assert (f"{path}:34:5: example 'chaired by a delegate': record /status: required property \"status\" is missing"
            in result.output)
    assert "3 problem(s)" in result.output


def test_lint_fails_on_codes_expanded_from_codes_list(rules_copy):
    path = rules_copy / "4.1" / "strategic-plan.yaml"
    edit(path, lambda doc: doc["requires"][0]["codes"].append("made_up_item"))
    problems = lint(rules_copy, load_policy())
    assert len(problems) == 1 and problems[0].endswith(": unknown item code 'made_up_item' (see vocabularies.yaml, or add it with --vocab)")
    line, col = map(int, problems[0][len(str(path)) + 1:].split(":")[:2])
    assert path.read_text(encoding="utf-8").splitlines()[line - 1][col - 1:] == "made_up_item"


def test_lint_fails_on_schema_and_duplicate_id(rules_copy):
    (rules_copy / "4" / "copy.yaml").write_text((rules_copy / "4" / "scoping-chair.yaml").read_text())
    edit(rules_copy / "7" / "closure-overview-report.yaml", lambda doc: doc.pop("examples"))
    result = run("rules", "lint", "--rules", str(rules_copy))
    assert result.exit_code == 1
    assert "closure-overview-report.yaml:1:1: /: missing required field 'examples'" in result.output
    assert f"{rules_copy / '4' / 'scoping-chair.yaml'}:1:1: duplicate rule id 'scoping-chair'" in result.output


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_lint_fails_without_a_failing_example(rules_copy):
    path = rules_copy / "4" / "scoping-chair.yaml"
    edit(path, lambda doc: doc["examples"].__setitem__("fail", []))
    problems = lint(rules_copy, load_policy())
    assert problems == [f"{path}:{_line_of(path, 'fail: []')}:3: /examples/fail: [] should be non-empty"]


def test_test_fails_and_says_why(rules_copy):
    def breakit(doc):
        doc["examples"]["fail"][0]["expect"] = {"status": "gap", "missing": ["camhs"]}
        doc["examples"]["pass"][0]["record"]["meetings"][0]["chair"]["role"] = "police"
    edit(rules_copy / "4" / "scoping-chair.yaml", breakit)
    result = run("rules", "test", "--rules", str(rules_copy))
    assert result.exit_code == 1
    out = result.output
    assert "FAIL  scoping-chair/pass/chaired by a delegate" in out
    assert "engine: expected met, got gap missing ['cs_head_of_safeguarding']" in out
    assert "oracle: expected met, got gap missing ['cs_head_of_safeguarding']" in out
    assert "FAIL  scoping-chair/fail/chaired by the police" in out
    assert "engine: expected missing ['camhs'], got ['cs_head_of_safeguarding']" in out
    assert ", 2 failed (" in out


def test_test_reports_an_invalid_example_record(rules_copy):
    edit(rules_copy / "4" / "scoping-chair.yaml",
         lambda doc: doc["examples"]["fail"][0]["record"].__setitem__("status", "paused"))
    result = run("rules", "test", "--rules", str(rules_copy), "--rule", "scoping-chair")
    assert result.exit_code == 1
    assert "example record invalid at /status" in result.output


def test_coverage_fails_on_an_uncovered_obligation(rules_copy):
    (rules_copy / "6" / "cross-boundary-responsibility.yaml").unlink()
    result = run("rules", "coverage", "--rules", str(rules_copy))
    assert result.exit_code == 1
    assert "6-P1        obligation    should     NOT COVERED" in result.output
    assert "6-P1: obligation with no rule (write one, or record it as not_checkable with a reason)" in result.output
    assert "Obligations covered by a rule: 101 of 102" in result.output


def test_coverage_fails_on_not_checkable_without_reason_and_unclassified(tmp_path):
    doc = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    for c in doc["clauses"]:
        if c["id"] == "5-P2":
            c.pop("reason")
        if c["id"] == "2-P4":
            c["kind"] = "unclassified"
    policy = tmp_path / "chapter.yaml"
    policy.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = run("rules", "coverage", "--policy", str(policy))
    assert result.exit_code == 1
    assert "5-P2: not_checkable needs a reason (why it cannot be checked from records)" in result.output
    assert "2-P4: kind 'unclassified' is not one of definition, obligation, guidance, not_checkable" in result.output
    assert "not checkable: NO REASON GIVEN" in result.output


def test_bad_policy_file(tmp_path):
    bad = tmp_path / "chapter.yaml"
    bad.write_text("clauses: [{id: 1-P1}]\n")
    result = run("rules", "coverage", "--policy", str(bad))
    assert result.exit_code == 2
    assert "every clause needs id, section, text and kind" in result.output
    result = run("rules", "lint", "--policy", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "policy file not found" in result.output
    bad.write_text("clauses: [unclosed\n")
    assert run("rules", "coverage", "--policy", str(bad)).exit_code == 2
    bad.write_text("- a list\n")
    assert "expected 'chapter:' and a list 'clauses:'" in run("rules", "coverage", "--policy", str(bad)).output
