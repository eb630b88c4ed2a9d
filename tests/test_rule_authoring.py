"""Issue 11, the rule language for authors: plain field names (aliases kept), lint with file:line:column,
and `check` refusing a rule set that fails lint (with --policy)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
import yaml
from click.testing import CliRunner

from checker import authoring, rulebook as rulebook_module
from checker.api import DEFAULT_RULES, check
from checker.authoring import lint, lint_rulebook
from checker.catalogue import DEPRECATED, FACTS, PLAIN_NAMES, canonical_doc
from checker.cli import main
from checker.errors import ConfigError
from checker.policy import DEFAULT_POLICY, load_policy
from checker.rulebook import load_rulebook, normalise, rule_files

from nightly_helpers import AS_OF, SAMPLE

PARAMS = load_rulebook(DEFAULT_RULES).parameters


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# The tests' own reading and writing of YAML (preparing inputs) uses libyaml: the same documents and, for the
# bundled rules and chapter, the same text as yaml.safe_load / safe_dump, about 8 times faster.
def _yaml_load(text: str):
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _yaml_dump(doc, **kwargs) -> str:
    return yaml.dump(doc, Dumper=yaml.CSafeDumper, **kwargs)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, target)
    return target


def _aliased(doc):
    """The same rule document written with the deprecated short names."""
    text = _yaml_dump(doc, sort_keys=False)
    for plain, short in (("meeting_type:", "mtype:"), ("young_person_id", "yp"), ("previous_setting_id}", "previous_setting}")):
        text = text.replace(plain, short)
    return _yaml_load(text)


# -- plain names and deprecated aliases ------------------------------------------------
def test_plain_names_and_aliases_cover_only_real_fields():
    for fact, names in PLAIN_NAMES.items():
        for plain, internal in names.items():
            assert internal in FACTS[fact] and plain not in FACTS[fact], (fact, plain)
            assert DEPRECATED[fact][internal] == plain


def test_a_rule_with_plain_names_and_the_same_rule_with_aliases_are_one_rule():
    rb = load_rulebook(DEFAULT_RULES)
    for rule in rb.rules:
        path = Path(rule.source)
        doc = _yaml_load(path.read_text(encoding="utf-8"))
        plain = normalise(doc, PARAMS, rule.source)
        old = normalise(_aliased(doc), PARAMS, rule.source)
        assert plain == old, rule.id
        assert canonical_doc(doc) == canonical_doc(_aliased(doc)), rule.id


def test_the_bundled_rules_use_only_plain_names():
    for path in sorted(DEFAULT_RULES.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for short in ("mtype:", "mref:", "mdate:", "{field: yp}", "{yp:", "subject.ref}", "subject.previous_setting}"):
            assert short not in text, (path, short)


def test_an_unknown_field_lists_the_plain_names():
    doc = _yaml_load((DEFAULT_RULES / "4" / "scoping-chair.yaml").read_text(encoding="utf-8"))
    doc["subject"]["where"] = {"meeting_kind": "scoping"}
    with pytest.raises(ConfigError) as err:
        normalise(doc, PARAMS)
    assert "meeting has no field 'meeting_kind' (known: meeting_id, meeting_type, date," in str(err.value)


# -- lint: file:line:column ----------------------------------------------------------
def test_lint_locates_a_yaml_syntax_error(rules_copy):
    bad = rules_copy / "4" / "broken.yaml"
    bad.write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    problems = lint(rules_copy, load_policy())
    assert problems == [f"{bad}:3:1: not valid YAML"]


def test_lint_locates_an_unknown_field_and_a_misspelt_fact_field(rules_copy):
    path = rules_copy / "4" / "scoping-chair.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("severity:", "severty:", 1), encoding="utf-8")
    problems = lint(rules_copy, load_policy())
    line = next(i for i, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if l.startswith("severty:"))
    assert f"{path}:{line}:1: /: unknown field(s) 'severty'" in problems
    path.write_text(text.replace("meeting_type: scoping", "meeting_kind: scoping", 1), encoding="utf-8")
    problems = lint(rules_copy, load_policy())
    assert len(problems) == 1 and problems[0].startswith(f"{path}:") and "no field 'meeting_kind'" in problems[0]
    line, col = map(int, problems[0][len(str(path)) + 1:].split(":")[:2])
    assert path.read_text(encoding="utf-8").splitlines()[line - 1][col - 1:].startswith("meeting_kind: scoping")


def test_lint_locates_a_bad_kind_in_the_chapter(tmp_path):
    doc = _yaml_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    doc["clauses"][2]["kind"] = "duty"
    policy_file = tmp_path / "chapter.yaml"
    policy_file.write_text(_yaml_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    problems = lint(DEFAULT_RULES, load_policy(policy_file))
    assert len(problems) == 1
    line = next(i for i, l in enumerate(policy_file.read_text(encoding="utf-8").splitlines(), 1) if "kind: duty" in l)
    assert problems[0] == f"{policy_file}:{line}:3: 1-P3: kind 'duty' is not one of definition, obligation, guidance, not_checkable"


# -- check refuses a rule set that fails lint --------------------------------------------
def _break(rules_copy: Path) -> Path:
    path = rules_copy / "4" / "scoping-chair.yaml"
    doc = _yaml_load(path.read_text(encoding="utf-8"))
    doc["policy"]["also"] = ["4-P99"]
    doc["requires"][0]["test"] = {"chair_role": "head_of_everything"}
    path.write_text(_yaml_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_check_refuses_rules_that_fail_lint_with_one_line(rules_copy):
    path = _break(rules_copy)
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--rules", rules_copy)
    assert result.exit_code == 2
    assert result.output == (
        "Error: the rules fail `shg-check rules lint` (2 problem(s)), nothing checked: "
        f"{path}:8:5: cites clause 4-P99 which is not in chapter.yaml; "
        f"{path}:29:5: unknown role code 'head_of_everything' (see vocabularies.yaml, or add it with --vocab)\n")


def test_check_names_only_the_first_problems(rules_copy):
    for name in ("scoping-chair", "scoping-decisions", "scoping-meeting-held", "scoping-meeting-timely"):
        path = rules_copy / "4" / f"{name}.yaml"
        doc = _yaml_load(path.read_text(encoding="utf-8"))
        doc["policy"]["also"] = ["4-P99"]
        path.write_text(_yaml_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        check([SAMPLE], AS_OF, rules_dir=rules_copy)
    message = str(err.value)
    assert "\n" not in message and "(4 problem(s))" in message and message.endswith("; and 1 more")


def test_check_with_policy_judges_lint_against_that_chapter_and_quotes_it(tmp_path):
    doc = _yaml_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    for c in doc["clauses"]:
        if c["id"] == "4-P2":
            c["text"] = "The scoping meeting must include the agencies listed below (as amended locally)."
    policy_file = tmp_path / "chapter.yaml"
    policy_file.write_text(_yaml_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "report.csv"
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--policy", policy_file, "--format", "csv", "--output", out)
    assert result.exit_code == 1, result.output
    assert "as amended locally" in out.read_text(encoding="utf-8-sig")
    doc["clauses"] = [c for c in doc["clauses"] if c["id"] != "4-P2"]
    policy_file.write_text(_yaml_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--policy", policy_file)
    assert result.exit_code == 2
    assert "scoping-required-roles.yaml:3:" in result.output and "cites clause 4-P2 which is not in chapter.yaml" in result.output
    result = run("check", SAMPLE, "--as-of", "2026-11-27", "--policy", tmp_path / "missing.yaml")
    assert result.exit_code == 2 and result.output == f"Error: {tmp_path / 'missing.yaml'}: policy file not found\n"


def test_the_lint_at_check_time_reads_no_rule_file_again(monkeypatch):
    """Cheap every night: the loaded documents are linted, the YAML files are not parsed a second time."""
    rb = load_rulebook(DEFAULT_RULES)
    policy = load_policy()

    def refuse(*a, **k):
        raise AssertionError("a rule file was read again")
    monkeypatch.setattr(rulebook_module, "read_rule_file", refuse)
    monkeypatch.setattr(authoring, "read_rule_file", refuse)
    import checker.yamlio as yamlio
    monkeypatch.setattr(yamlio, "node_marks", refuse)
    assert lint_rulebook(rb, policy) == []


# -- the reference and the scaffold ------------------------------------------------------
REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "rule-language.md"


def test_the_committed_reference_is_up_to_date():
    from checker.reference import render_reference

    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/rule-language.md is out of date: run `shg-check rules reference --output docs/rule-language.md`")


def test_the_reference_documents_every_field_and_fact_field():
    from checker.reference import schema

    text = REFERENCE.read_text(encoding="utf-8")
    s = schema()

    def fields(node):
        if isinstance(node, dict):
            for name, spec in (node.get("properties") or {}).items():
                yield name, spec
            for v in node.values():
                yield from fields(v)
        elif isinstance(node, list):
            for v in node:
                yield from fields(v)
    seen = list(fields(s))
    assert len(seen) > 70
    for name, spec in seen:
        assert spec.get("description"), name          # every field has a description
        assert f"`{name}`" in text or f".{name}`" in text, name
        assert " ".join(spec["description"].split()).replace("|", "\\|") in text, name
    for fact, names in PLAIN_NAMES.items():
        for plain, short in names.items():
            assert f"| `{fact}` | `{plain}` | `{short}` |" in text
    assert "| `meeting` | many | `meeting_type` (deprecated: `mtype`) | text |" in text


def test_rules_reference_writes_the_file(tmp_path):
    out = tmp_path / "rule-language.md"
    result = run("rules", "reference", "--output", out)
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == REFERENCE.read_text(encoding="utf-8")


def test_a_new_rule_lints_with_only_its_fill_in_problems_and_passes_once_filled(rules_copy):
    result = run("rules", "new", "police-at-scoping", "--clause", "4-P2-B4", "--rules", rules_copy)
    assert result.exit_code == 0, result.output
    path = rules_copy / "4" / "police-at-scoping.yaml"
    assert f"wrote {path}" in result.output
    problems = lint(rules_copy, load_policy())
    assert problems and all(p.startswith(f"{path}:") and ": fill this in: " in p for p in problems)
    fields = sorted(p.split(": fill this in: ")[1].split(" is still")[0] for p in problems)
    assert fields == ["description", "examples/fail/0/expect/missing/0", "examples/fail/0/name",
                      "examples/pass/0/name", "message", "next_step", "requires/0/code", "requires/0/label",
                      "title"]
    # its examples already run, through both engines
    result = run("rules", "test", "--rules", rules_copy, "--rule", "police-at-scoping")
    assert result.exit_code == 0 and "2 passed, 0 failed" in result.output
    # a rule set with a scaffold left unfilled is not used by check
    assert run("check", SAMPLE, "--as-of", "2026-11-27", "--rules", rules_copy).exit_code == 2
    # the minimal edit: replace each placeholder
    text = path.read_text(encoding="utf-8")
    text = text.replace("fill_in", "scoping_meeting_held")
    text = text.replace('"FILL IN: what the rule checks"', "A scoping meeting is held with the police")
    text = text.replace("FILL IN: ", "")
    path.write_text(text, encoding="utf-8")
    assert lint(rules_copy, load_policy()) == []
    result = run("rules", "test", "--rules", rules_copy, "--rule", "police-at-scoping")
    assert result.exit_code == 0, result.output


def test_rules_new_refuses_an_unknown_clause_a_bad_id_and_an_existing_rule(rules_copy):
    result = run("rules", "new", "x-rule", "--clause", "4-P99", "--rules", rules_copy)
    assert result.exit_code == 2 and "no clause '4-P99' in" in result.output
    result = run("rules", "new", "Bad_Id", "--clause", "4-P2", "--rules", rules_copy)
    assert result.exit_code == 2 and "rule id 'Bad_Id': use lower-case words" in result.output
    result = run("rules", "new", "scoping-chair", "--clause", "4-P2", "--rules", rules_copy)
    assert result.exit_code == 2 and "rule scoping-chair already exists" in result.output
    before = sorted(p.name for p in rules_copy.rglob("*.yaml"))
    assert before == sorted(p.name for p in DEFAULT_RULES.rglob("*.yaml"))


def test_a_new_rule_for_a_may_clause_is_advice(rules_copy):
    from checker.authoring import new_rule

    policy = load_policy()
    may = next(cid for cid, c in policy.clauses.items() if c.strength == "may")
    path, text = new_rule(rules_copy, policy, "a-may-rule", may)
    assert "strength: may" in text and "expect: {status: advisory, missing: [fill_in]}" in text
    path.write_text(text, encoding="utf-8")
    result = run("rules", "test", "--rules", rules_copy, "--rule", "a-may-rule")
    assert result.exit_code == 0, result.output


RULE_FILES = sorted(rule_files(DEFAULT_RULES))


def _keys(path: Path) -> list[tuple[int, int, str]]:
    """Every mapping key of a rule file outside its example records: (line, column, key), 1-based."""
    from checker.yamlio import node_marks

    return sorted({(line, col, where[-1]) for where, (line, col) in node_marks(path).items()
                   if where and isinstance(where[-1], str) and "record" not in where})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_property_every_lint_problem_has_a_file_line_and_column(tmp_path_factory, data):
    """Misspell any field of any rule: lint reports it, every problem as file:line:column inside the file,
    and a misspelt top-level field is located at the field itself."""
    source = data.draw(st.sampled_from(RULE_FILES))
    line, col, key = data.draw(st.sampled_from(_keys(source)))
    folder = tmp_path_factory.mktemp("one") / "rules"
    (folder / "x").mkdir(parents=True)
    shutil.copy(DEFAULT_RULES / "parameters.yaml", folder / "parameters.yaml")
    lines = source.read_text(encoding="utf-8").splitlines()
    assert lines[line - 1][col - 1:].startswith(key)
    lines[line - 1] = lines[line - 1][:col - 1] + key + "zz" + lines[line - 1][col - 1 + len(key):]
    path = folder / "x" / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = lint(folder, load_policy())
    assert problems, (source.name, key)
    for p in problems:
        where = p[len(str(path)) + 1:].split(":")
        assert p.startswith(f"{path}:") and 1 <= int(where[0]) <= len(lines) and int(where[1]) >= 1, p
    if col == 1:
        assert any(p.startswith(f"{path}:{line}:{col}: ") for p in problems), (key, problems)


def test_lint_locates_normalising_errors_and_reports_broken_folders(rules_copy, tmp_path):
    path = rules_copy / "4" / "scoping-chair.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("severity:", "parameters: [ghost]\nseverity:", 1), encoding="utf-8")
    line = next(i for i, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if l.startswith("parameters:"))
    assert lint(rules_copy, load_policy()) == [f"{path}:{line}:1: parameters: unknown ghost"]
    path.write_text("- a list, not a mapping\n", encoding="utf-8")
    assert lint(rules_copy, load_policy()) == [
        f"{path}: a rule file holds one mapping (id, title, policy, ...)"]
    assert lint(tmp_path / "none", load_policy()) == [f"{tmp_path / 'none'}: rules directory not found"]
    bad = tmp_path / "params.yaml"
    bad.write_text("parameters: {ghost: 1}\n", encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    problems = lint(rules_copy, load_policy(), bad)
    assert problems == [f"{bad}: unknown parameter 'ghost' (known: " + problems[0].split("(known: ")[1]]
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(DEFAULT_RULES / "parameters.yaml", empty / "parameters.yaml")
    assert lint(empty, load_policy()) == [f"{empty}: no rule files (*.yaml) found"]
