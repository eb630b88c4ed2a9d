"""`shg-check rules book`: the chapter clause by clause, with the rules that check it (issue 11)."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
import yaml
from click.testing import CliRunner

from checker.api import DEFAULT_RULES
from checker.book import build_book, render_html, render_markdown
from checker.cli import main
from checker.policy import DEFAULT_POLICY, load_policy
from checker.rulebook import load_rulebook


@pytest.fixture(scope="module")
def book():
    return build_book(load_rulebook(DEFAULT_RULES), load_policy())


class _Articles(HTMLParser):
    """Each clause <article> of the page: its data-kind and its text."""

    def __init__(self):
        super().__init__()
        self.articles: dict[str, dict] = {}
        self.current = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article" and "data-clause" in a:
            self.current = {"kind": a["data-kind"], "text": "", "links": []}
            self.articles[a["data-clause"]] = self.current
        elif tag == "a" and self.current is not None and a.get("href", "").startswith("#r-"):
            self.current["links"].append(a["href"][3:])

    def handle_endtag(self, tag):
        if tag == "article":
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current["text"] += data


def articles(html: str) -> dict[str, dict]:
    parser = _Articles()
    parser.feed(html)
    return parser.articles


def test_every_clause_of_the_chapter_is_in_the_book(book):
    policy = load_policy()
    assert [c.id for c in book.clauses()] == list(policy.clauses)  # chapter order
    assert book.counts == {"clauses": 129, "obligations": 102, "covered": 102, "not_checkable": 3,
                           "rules": 48, "examples": sum(len(r.examples) for r in book.rules.values())}
    html, md = render_html(book), render_markdown(book)
    found = articles(html)
    assert list(found) == list(policy.clauses)
    for cid, clause in policy.clauses.items():
        assert " ".join(clause.text.split()) in " ".join(found[cid]["text"].split())
        assert f"### Clause {cid}\n" in md.replace("\\", "")


def test_every_obligation_shows_its_rules_or_why_it_cannot_be_checked(book):
    policy = load_policy()
    rulebook = load_rulebook(DEFAULT_RULES)
    found = articles(render_html(book))
    md = render_markdown(book)
    for cid, clause in policy.clauses.items():
        citing = [r.id for r in rulebook.rules if cid in (r.clause, *r.also)]
        art = found[cid]
        if clause.kind == "obligation":
            assert citing, cid
            assert sorted(set(art["links"])) == sorted(citing), cid
            assert "Checked by:" in art["text"]
        elif clause.kind == "not_checkable":
            assert "Not checked by a rule:" in art["text"] and " ".join(clause.reason.split()) in art["text"], cid
        if not citing:
            assert "Not checked by a rule:" in art["text"], cid
    for cid in ("5-P2",):  # a not_checkable clause shows its reason in Markdown too
        block = md.split(f"### Clause {cid}\n", 1)[1].split("### Clause", 1)[0]
        assert "- Not checked by a rule: Following the partnership" in block


def test_each_rule_is_described_once_in_full_in_plain_english(book):
    html = render_html(book)
    for rid, rule in book.rules.items():
        assert html.count(f'id="r-{rid}"') == 1, rid
        assert rule.requires and rule.not_applicable and rule.examples
        assert {e.kind for e in rule.examples} == {"pass", "fail"}
    r = book.rules["referral-timely"]
    assert r.severity == "medium" and r.unmet == "a gap"
    assert [(p.name, p.value, p.source) for p in r.parameters] == [
        ("referral_working_days", "1 working day", "local default")]
    assert r.requires == ["referral within the timescale"]
    assert r.not_applicable[0] == "no referral in the record (see referral-via-ifd-mash)"
    assert r.file == "rules/3/referral-timely.yaml"
    roles = book.rules["scoping-required-roles"]
    assert "Police representative" in " ".join(roles.requires)          # labels, not codes
    assert any(e.kind == "fail" and "missing: Children in Care Specialist Nurse (cic_specialist_nurse), Police representative (police)"
               in e.outcome for e in roles.examples)
    assert book.rules["definition-children"].unmet == "advice"


def test_markdown_names_parameters_with_value_unit_and_source(book):
    md = render_markdown(book)
    assert ("  - `referral_working_days` = 1 working day (source: local default; 2-P2: 'a time-critical "
            "response'; 3-P2/3-P3: requests via IFD/MASH by referral): The child safeguarding referral") in md
    assert "#### Rule referral-timely: The referral is made time-critically after the concern is identified" in md
    assert "  - Fails: referral a week later → a gap; missing: referral in time" in md
    assert md.startswith("# Rulebook: Self-harm groups\n")


def test_an_uncovered_obligation_and_a_not_checkable_clause_say_so(tmp_path):
    doc = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    doc["clauses"].append({"id": "7-P9", "section": "7", "text": "Agencies must <b>do</b> a new thing.",
                           "kind": "obligation", "strength": "must"})
    doc["clauses"].append({"id": "7-P10", "section": "7", "text": "Agencies must think.",
                           "kind": "not_checkable", "strength": "must", "reason": "Thinking leaves no record."})
    policy_file = tmp_path / "chapter.yaml"
    policy_file.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    book = build_book(load_rulebook(DEFAULT_RULES), load_policy(policy_file))
    html = render_html(book)
    found = articles(html)
    assert "NOT COVERED: no rule checks this obligation" in found["7-P9"]["text"]
    assert "Not checked by a rule: Thinking leaves no record." in " ".join(found["7-P10"]["text"].split())
    assert "Agencies must &lt;b&gt;do&lt;/b&gt; a new thing." in html       # chapter text is escaped
    assert "Agencies must \\<b\\>do\\</b\\> a new thing." in render_markdown(book)
    assert book.counts["covered"] == 102 and book.counts["obligations"] == 103


def test_cli_writes_both_formats_atomically(tmp_path):
    out = tmp_path / "rulebook.html"
    result = CliRunner().invoke(main, ["rules", "book", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote " in result.output and "129 clauses, 48 rules" in result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["rulebook.html"]     # no temporary file left
    result = CliRunner().invoke(main, ["rules", "book", "--format", "markdown"])
    assert result.exit_code == 0 and result.output.startswith("# Rulebook: Self-harm groups")


def test_cli_refuses_a_broken_policy_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["rules", "book", "--policy", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert result.output.strip().endswith("missing.yaml: policy file not found")
    assert len(result.output.strip().splitlines()) == 1


def test_conditions_of_a_requirement_are_in_words(book):
    roles = book.rules["scoping-required-roles"]
    assert ("Children in Care Specialist Nurse (cic_specialist_nurse) (only when the record has a child whose "
            "looked after from is at most the scoping meeting's date)") in roles.requires
    assert book.rules["individual-procedure-followed"].requires == [
        "the individual self-harm procedure followed (only when the child's self harmed is yes)"]
    assert any("due within 1 working day (immediate_action_working_days) after its risk assessed on" in q
               for q in book.rules["risks-acted-on-immediately"].requires)
