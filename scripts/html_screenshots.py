"""Screenshots of the HTML report for the README (docs/): on screen, and printed to PDF (pages as PNG).

Two pseudonymised nights over the sample export and incident feed (a baseline, waivers, a run history),
rendered in headless Chromium. Needs chromium; the printed pages need pdftoppm (poppler-utils).

    .venv/bin/python scripts/html_screenshots.py
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=ROOT, capture_output=True, text=True)


def chromium(*args: str, page: Path, profile: Path) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise SystemExit("chromium is needed")
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    f"--user-data-dir={profile}", *args, page.as_uri()], capture_output=True, timeout=180, check=True)


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "export"
        shutil.copytree(ROOT / "fixtures" / "sample-export", export)
        key = tmp / "key"
        key.write_bytes(b"demo-partnership-key-32-bytes-long")
        feed = str(ROOT / "fixtures" / "incidents")
        db = tmp / "history.db"
        for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
            cli("check", str(export), "--incidents", feed, "--as-of", day, "--pseudonymise", str(key),
                "--baseline", str(tmp / "night.json"), "--format", "json", "--output", str(tmp / "night.json"),
                "--history", str(db))
        rec = json.loads((export / "R-2026-001-complete.json").read_text(encoding="utf-8"))
        rec["referral"]["route"] = "other"
        (export / "R-2026-001-complete.json").write_text(json.dumps(rec), encoding="utf-8")
        waivers = tmp / "waivers.yaml"
        waivers.write_text("waivers:\n  - group: G-613e6da1b4d5\n    rule: group-escalated\n"
                           "    reason: Referred by phone; record being added\n    approved_by: Quality lead\n"
                           "    expires_on: 2026-12-31\n", encoding="utf-8")
        out = tmp / "out"
        cli("check", str(export), "--incidents", feed, "--as-of", "2026-11-27", "--pseudonymise", str(key),
            "--baseline", str(tmp / "night.json"), "--waivers", str(waivers), "--history", str(db),
            "--output-dir", str(out))
        page = out / "report.html"
        chromium("--window-size=1200,3000", f"--screenshot={DOCS / 'report-screen.png'}", page=page,
                 profile=tmp / "p1")
        chromium("--window-size=420,1400", f"--screenshot={DOCS / 'report-narrow.png'}", page=page,
                 profile=tmp / "p2")
        pdf = tmp / "report.pdf"
        chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page=page, profile=tmp / "p3")
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf),
                            str(DOCS / "report-print")], check=True)
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout if shutil.which(
            "pdfinfo") else ""
        print(pages.strip().splitlines()[-10:] if pages else "pdfinfo not found")
        print(f"HTML {page.stat().st_size} bytes; PDF {pdf.stat().st_size} bytes")


if __name__ == "__main__":
    main()
