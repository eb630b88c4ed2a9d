"""Screenshots of the rulebook (`shg-check rules book`) for the README: docs/rulebook.png and docs/rulebook-narrow.png.

    .venv/bin/python scripts/rulebook_screenshot.py      (needs chromium)
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def main() -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise SystemExit("chromium is needed")
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        page = tmp / "rulebook.html"
        subprocess.run([sys.executable, "-m", "checker.cli", "rules", "book", "--output", str(page)], cwd=ROOT,
                       check=True, capture_output=True)
        for name, size, anchor in (("rulebook.png", "1100,2400", ""), ("rulebook-narrow.png", "420,1400", "")):
            subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                            f"--user-data-dir={tmp / name}", f"--window-size={size}", f"--screenshot={DOCS / name}",
                            page.as_uri() + anchor], capture_output=True, timeout=180, check=True)
            print(f"wrote {DOCS / name}")


if __name__ == "__main__":
    main()
