"""Stable clause ids (issue 11): rebuilding policy/chapter.yaml from the chapter's text keeps every id."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import given, settings, strategies as st

from checker.authoring import lint
from checker.book import build_book, render_markdown
from checker.chapter_build import build, norm
from checker.policy import load_policy
from checker.rulebook import load_rulebook
from checker.api import DEFAULT_RULES
from checker.yamlio import read_yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "policy" / "source" / "self-harm-groups-chapter.txt"
CHAPTER = ROOT / "policy" / "chapter.yaml"
TEXT = SOURCE.read_text(encoding="utf-8")
OLD = read_yaml(CHAPTER, "policy")
NEW_PARA = "Agencies must record every decision of the group in a shared decision log kept by the chair."
NEW_BULLET = "The Youth Justice Service lead;"


def ids_by_text(doc):
    return {norm(c["text"]): c["id"] for c in doc["clauses"] if "-S" not in c["id"]}


def test_the_source_text_is_in_the_repository_and_the_chapter_is_built_from_it():
    assert OLD["chapter"]["source"] == "policy/source/self-harm-groups-chapter.txt"
    assert (ROOT / OLD["chapter"]["source"]).is_file()
    doc, report = build(TEXT, OLD)
    assert doc == OLD                     # nothing to change: the committed file is what the text gives
    assert len(report.kept) == 125 and not (report.amended or report.new or report.retired)


def _insert_after(text: str, anchor: str, new: str) -> str:
    at = text.index(anchor) + len(anchor)
    end = text.index("\n", at)
    return text[:end] + "\n\n" + new + text[end:]


def test_inserting_a_paragraph_and_a_bullet_keeps_every_other_id():
    para_4_1 = next(c for c in OLD["clauses"] if c["id"] == "4-P1")["text"]
    bullet = next(c for c in OLD["clauses"] if c["id"] == "4-P2-B1")["text"]
    text = _insert_after(TEXT, norm(para_4_1)[-40:], NEW_PARA)
    text = text.replace("• " + bullet, "• " + NEW_BULLET + "\n\n• " + bullet, 1) if ("• " + bullet) in text \
        else _insert_bullet(text, bullet)
    doc, report = build(text, OLD)
    before, after = ids_by_text(OLD), ids_by_text(doc)
    for clause_text, cid in before.items():
        assert after[clause_text] == cid                      # every old clause keeps its id
    assert after[NEW_PARA] == "4-P10"   # the next number not used in section 4, not "4-P2"
    assert after[NEW_PARA] not in before.values()
    assert after[NEW_BULLET].startswith("4-P2-B") and after[NEW_BULLET] not in before.values()
    assert sorted(report.new) == sorted([after[NEW_PARA], after[NEW_BULLET]])
    order = [c["id"] for c in doc["clauses"]]
    assert order.index("4-P1") < order.index(after[NEW_PARA]) < order.index("4-P2")   # the chapter's order
    assert order.index(after[NEW_BULLET]) < order.index("4-P2-B1")
    new = {c["id"]: c for c in doc["clauses"]}
    assert new[after[NEW_PARA]]["kind"] == "unclassified"
    assert new["4-P2"]["kind"] == "obligation" and new["4.1-P6-S1"]["strength"] == "must"  # classification kept


def _insert_bullet(text: str, bullet: str) -> str:
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if norm(line).lstrip("• ").strip() == norm(bullet))
    return "\n".join(lines[:i] + ["• " + NEW_BULLET] + lines[i:]) + "\n"


def test_an_amended_clause_keeps_its_id_and_its_earlier_text():
    old_text = norm(next(c for c in OLD["clauses"] if c["id"] == "3-P2")["text"])
    amended = old_text.replace("Integrated Front Door (IFD) / MASH", "Single Point of Access (SPOA)")
    doc, report = build(TEXT.replace(_raw(old_text), amended), OLD)
    c = next(c for c in doc["clauses"] if c["id"] == "3-P2")
    assert c["text"] == amended and c["version"] == 2 and c["previous"] == [{"version": 1, "text": old_text}]
    assert c["kind"] == "obligation" and report.amended == ["3-P2"] and not report.new
    # amended again: version 3, both earlier texts kept
    again = amended.replace("SPOA", "SPOA team")
    doc2, _ = build(TEXT.replace(_raw(old_text), again), doc)
    c2 = next(c for c in doc2["clauses"] if c["id"] == "3-P2")
    assert c2["version"] == 3 and [p["version"] for p in c2["previous"]] == [1, 2]
    # the loader and the rulebook show it
    path = _write(doc2)
    policy = load_policy(path)
    assert policy.clauses["3-P2"].version == 3
    md = render_markdown(build_book(load_rulebook(DEFAULT_RULES), policy))
    assert "- Amended: version 3\n  - Earlier text (version 1): Agency requests" in md


def _raw(normalised: str) -> str:
    """The clause as it is written in the source text (spacing may differ)."""
    for line in TEXT.splitlines():
        if norm(line) == normalised:
            return line
    raise AssertionError("not in the source")


_TMP: list[Path] = []


def _write(doc) -> Path:
    import tempfile
    path = Path(tempfile.mkdtemp()) / "chapter.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_removed_clause_is_retired_and_its_id_never_reused():
    gone = norm(next(c for c in OLD["clauses"] if c["id"] == "2-P4")["text"])
    doc, report = build(TEXT.replace(_raw(gone), ""), OLD)
    assert report.retired == ["2-P4"] and doc["retired"] == [{"id": "2-P4", "section": "2", "text": gone}]
    assert "2-P4" not in [c["id"] for c in doc["clauses"]]
    # a paragraph added later to section 2 gets 2-P5, not the retired 2-P4
    text = _insert_after(TEXT.replace(_raw(gone), ""), "See chapter on Self-harm, Suicidal Behaviour and Suicide.",
                         "A completely different new duty about something else entirely, written afresh here.")
    doc2, report2 = build(text, doc)
    assert report2.new == ["2-P5"] and doc2["retired"] == doc["retired"]
    # a rule citing a retired clause fails lint (it is no longer in the chapter)
    path = _write(doc2)
    problems = lint(DEFAULT_RULES, load_policy(path))    # the new clause must be classified before use
    assert len(problems) == 1 and problems[0].endswith(
        ": 2-P5: kind 'unclassified' is not one of definition, obligation, guidance, not_checkable")


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_insertions_keep_the_ids_of_the_clauses_already_there(data):
    """Property: insert new paragraphs anywhere (after any paragraph of the text): no old id changes."""
    lines = [l for l in TEXT.splitlines()]
    paras = [i for i, l in enumerate(lines) if norm(l) and not norm(l).startswith("•") and i > 10]
    spots = data.draw(st.lists(st.sampled_from(paras), min_size=1, max_size=4, unique=True))
    for n, i in enumerate(sorted(spots, reverse=True)):
        lines[i + 1:i + 1] = ["", f"Inserted paragraph number {n} says agencies must do thing {n} at once."]
    doc, report = build("\n".join(lines) + "\n", OLD)
    after = ids_by_text(doc)
    for clause_text, cid in ids_by_text(OLD).items():
        assert after[clause_text] == cid
    assert len(report.new) == len(spots) and not report.retired and not report.amended
    assert len({c["id"] for c in doc["clauses"]}) == len(doc["clauses"])    # ids unique


def test_the_script_documents_itself_and_checks(tmp_path):
    script = ROOT / "scripts" / "build_policy.py"
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "policy/source/self-harm-groups-chapter.txt" in proc.stdout
    assert "amended" in proc.stdout and "never" in proc.stdout
    target = tmp_path / "chapter.yaml"
    target.write_bytes(CHAPTER.read_bytes())
    proc = subprocess.run([sys.executable, str(script), "--target", str(target), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0 and "125 clauses kept, 0 amended, 0 new, 0 retired" in proc.stderr
    source = tmp_path / "chapter.txt"
    source.write_text(_insert_after(TEXT, "This policy outlines when a multi-agency response is required.", NEW_PARA),
                      encoding="utf-8")
    args = [sys.executable, str(script), "--target", str(target), "--source", str(source)]
    proc = subprocess.run(args + ["--check"], capture_output=True, text=True)
    assert proc.returncode == 1 and "1 new" in proc.stderr and target.read_bytes() == CHAPTER.read_bytes()
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0 and "new (classify kind and strength; write a rule or give a reason): 2-P5" in proc.stderr
    assert ids_by_text(read_yaml(target, "policy"))[NEW_PARA] == "2-P5"
    proc = subprocess.run([sys.executable, str(script), "--source", str(tmp_path / "none.txt"), "--target", str(target)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "cannot read the chapter text" in proc.stderr and "Traceback" not in proc.stderr
