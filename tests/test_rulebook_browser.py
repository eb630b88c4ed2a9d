"""The rulebook (`shg-check rules book --format html`) in a real headless browser (Debian's chromium)."""
from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from checker.api import DEFAULT_RULES
from checker.book import build_book, render_html
from checker.policy import load_policy
from checker.rulebook import load_rulebook

from test_html_browser import _probe, console_messages, run_browser, visible_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def book_page(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "rulebook.html"
    path.write_text(render_html(build_book(load_rulebook(DEFAULT_RULES), load_policy())), encoding="utf-8")
    return path


def test_rulebook_loads_without_console_errors(book_page, tmp_path):
    proc = run_browser(book_page, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    assert "<h1>Rulebook: Self-harm groups</h1>" in proc.stdout


def test_every_obligation_visibly_shows_its_rules_or_its_reason(book_page, tmp_path):
    script = ("const out = {}; document.querySelectorAll('article[data-clause]').forEach(a => "
              "{ out[a.dataset.clause] = a.innerText; });"
              "document.documentElement.setAttribute('data-probe', encodeURIComponent(JSON.stringify(out)));")
    shown = json.loads(unquote(_probe(book_page, tmp_path, script)))
    policy = load_policy()
    rulebook = load_rulebook(DEFAULT_RULES)
    assert list(shown) == list(policy.clauses)
    for cid, clause in policy.clauses.items():
        block = " ".join(shown[cid].split())
        assert " ".join(clause.text.split()) in block, cid
        citing = [r.id for r in rulebook.rules if cid in (r.clause, *r.also)]
        if clause.kind == "obligation":
            assert "Checked by: " + ", ".join(citing) in block, cid
        elif not citing:
            assert "Not checked by a rule:" in block, cid
        if clause.kind == "not_checkable":
            assert " ".join(clause.reason.split()) in block, cid
    text = visible_text(book_page, tmp_path)
    assert "102 / 102 obligations checked by a rule" in text
    assert "Passes: referral the next working day (Friday to Monday) → met" in text


def test_links_to_rules_and_clauses_resolve(book_page, tmp_path):
    script = ("const bad = [...document.querySelectorAll('a[href^=\"#\"]')]"
              ".filter(a => !document.getElementById(a.getAttribute('href').slice(1))).length;"
              "document.documentElement.setAttribute('data-probe', bad + ',' + "
              "document.querySelectorAll('a[href^=\"#\"]').length);")
    bad, total = map(int, _probe(book_page, tmp_path, script).split(","))
    assert bad == 0 and total > 200


def test_no_horizontal_scroll_in_a_narrow_window(book_page, tmp_path):
    script = ("document.documentElement.setAttribute('data-probe', window.innerWidth + ',' + "
              "document.documentElement.scrollWidth);")
    width, scroll = map(int, _probe(book_page, tmp_path, script, "--window-size=420,1400").split(","))
    assert width <= 520 and scroll <= width + 1, (width, scroll)


def test_screenshot(book_page, tmp_path):
    shot = tmp_path / "rulebook.png"
    proc = run_browser(book_page, tmp_path, "--window-size=1100,2000", "--hide-scrollbars", f"--screenshot={shot}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
