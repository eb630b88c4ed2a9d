"""The HTML report in a real headless browser (Debian's chromium).

``make test`` installs chromium when it is missing. Where CI=true (CI), a
missing browser fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from checker.reporting.html_report import render_html
from checker.waivers import Waiver, Waivers, apply_waivers

from nightly_helpers import AS_OF, ROOT, sample_report

pytestmark = pytest.mark.browser  # scheduled first under pytest-xdist (tests/conftest.py)

SCREENSHOT = ROOT / "reports" / "browser-test.png"
GAP_TEXTS = [  # the HTML gives the labels without the raw codes in brackets
    "The scoping meeting lacked required agencies. Missing: Children in Care Specialist Nurse, "
    "Police representative. The scoping meeting on 2026-10-07.",
    "The referral does not do all that section 3 asks of it. Missing: the suspected group dynamic is identified.",
    "The request for a scoping meeting did not go through the IFD / MASH. Missing: referral sent to the IFD or MASH.",
    "The scoping meeting was held later than the time-critical timescale",
    "Not done in time: a scoping meeting within the timescale.",
    "Responsibility across areas was not agreed by Children's Services and Police. Missing: Police.",
    "Some agency reviews did not record the actions to be taken forward. Missing: Police.",
    "Limits used: referral_working_days = 1 working day (local default).",
]


def sample_gap_messages() -> list[str]:
    """The message of every gap in the sample report, taken from the report itself (codes in brackets dropped)."""
    from checker.reporting.html_report import plain_message

    report = sample_report()
    return [plain_message(f.message, f.missing + f.unknown + f.pending) for r in report.responses
            for f in r.findings if f.status == "gap"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail("chromium is required in CI for the HTML report test (make test installs it)")
    pytest.skip("chromium is not installed (make test installs it)")


def run_browser(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, page.resolve().as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


def console_messages(stderr: str) -> list[str]:
    """Every console message of the page. The report has no script, so any message is a fault
    (an uncaught error, a blocked fetch, a Content-Security-Policy violation)."""
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "ERROR:CONSOLE" in line]


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.visible = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.visible = dict(attrs).get("data-visible-text")


def visible_text(page: Path, tmp_path: Path) -> str:
    """The page's rendered text (document.body.innerText), read by a probe script added to a copy of the page.

    The copy drops the page's Content-Security-Policy so the probe may run; the report itself has no script."""
    html = page.read_text(encoding="utf-8")
    csp_start = html.index('<meta http-equiv="Content-Security-Policy"')
    html = html[:csp_start] + html[html.index(">", csp_start) + 1:]
    probe = ("<script>document.documentElement.setAttribute('data-visible-text', document.body.innerText);"
             "</script>")
    copy = tmp_path / "probe.html"
    copy.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = run_browser(copy, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = _VisibleText()
    parser.feed(proc.stdout)
    assert parser.visible is not None, "the probe did not run"
    return " ".join(parser.visible.split())


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    report = sample_report()
    apply_waivers(report, Waivers("waivers.yaml", (
        Waiver("R-2026-003", "referral-content", "Referral form revised in May", "Quality lead",
               AS_OF.replace(month=12, day=31)),)))
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def test_report_loads_without_console_errors_and_shows_the_gaps(report_page, tmp_path):
    proc = run_browser(report_page, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    dom = proc.stdout
    assert "<h1>Self-harm groups: compliance report</h1>" in dom
    for text in GAP_TEXTS:
        assert text in dom
    messages = sample_gap_messages()
    assert len(messages) == 14 and all(any(text in m for m in messages) for text in GAP_TEXTS)
    for text in messages:
        assert text in dom


def test_gaps_are_in_the_visible_text(report_page, tmp_path):
    text = visible_text(report_page, tmp_path)
    for gap in GAP_TEXTS:
        assert gap in text
    messages = sample_gap_messages()
    assert len(messages) == 14
    for gap in messages:
        assert gap in text
    assert "waived until 2026-12-31 by Quality lead: Referral form revised in May" in text
    assert "Gaps in responses, by severity" in text and "Compliance by chapter section" in text
    # met findings are folded away: not visible until opened
    assert "Met: A Multi-Agency Response Group (Scoping) meeting is held, time-critically." not in text


def test_screenshot(report_page, tmp_path):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = tmp_path / "report.png"
    proc = run_browser(report_page, tmp_path, "--window-size=1200,2600", "--hide-scrollbars",
                       f"--screenshot={shot}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_messages(proc.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    shutil.copyfile(shot, SCREENSHOT)


def test_the_console_check_catches_a_broken_page(tmp_path):
    """The detector must be able to fail: a page with a script error and a blocked fetch is caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'none'\"></head><body><p>x</p>"
                    '<img src="https://example.invalid/x.png"></body></html>', encoding="utf-8")
    messages = console_messages(run_browser(page, tmp_path, "--dump-dom").stderr)
    assert any("example.invalid" in m for m in messages)
    page.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>",
                    encoding="utf-8")
    messages = console_messages(run_browser(page, tmp_path, "--dump-dom").stderr)
    assert any("Uncaught Error: boom" in m for m in messages)


def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is required in CI"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        chromium()


def _probe(page: Path, tmp_path: Path, script: str, *extra: str) -> str:
    """Run ``script`` (which sets data-probe on <html>) in a copy of the page without its CSP; return data-probe."""
    html = page.read_text(encoding="utf-8")
    csp_start = html.index('<meta http-equiv="Content-Security-Policy"')
    html = html[:csp_start] + html[html.index(">", csp_start) + 1:]
    copy = tmp_path / "probe2.html"
    copy.write_text(html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    proc = run_browser(copy, tmp_path, *extra, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<html[^>]*data-probe="([^"]*)"', proc.stdout)
    assert found, "the probe did not run"
    return found.group(1)


def test_filters_work_with_css_alone(report_page, tmp_path):
    """The radio filters hide responses without gaps (no script in the report: CSS :has and :checked)."""
    script = ("const shown = () => [...document.querySelectorAll('#response-list .response')]"
              ".filter(e => getComputedStyle(e).display !== 'none').length;"
              "const all = shown(); document.getElementById('f-gaps').checked = true; const gaps = shown();"
              "document.getElementById('f-closed').checked = true; const closed = shown();"
              "document.documentElement.setAttribute('data-probe', [all, gaps, closed].join(','));")
    all_, gaps, closed = map(int, _probe(report_page, tmp_path, script).split(","))
    report = sample_report()
    assert all_ == len(report.responses) == 10
    assert gaps == sum(1 for r in report.responses if r.gaps()) == 6
    assert closed == sum(1 for r in report.responses if r.status == "closed")


def test_printed_report_is_short(report_page, tmp_path):
    pdf = tmp_path / "report.pdf"
    proc = run_browser(report_page, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    assert 2 <= pages <= 8, pages   # was 14 pages, with a heading orphaned at a page foot


def test_ids_wrap_in_a_narrow_window(report_page, tmp_path):
    shot = tmp_path / "narrow.png"
    proc = run_browser(report_page, tmp_path, "--window-size=420,1400", "--hide-scrollbars", f"--screenshot={shot}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    script = ("document.documentElement.setAttribute('data-probe', window.innerWidth + ',' + "
              "document.documentElement.scrollWidth);")
    width, scroll = map(int, _probe(report_page, tmp_path, script, "--window-size=420,1400").split(","))
    assert width <= 520 and scroll <= width + 1, (width, scroll)   # nothing forces a horizontal scroll
