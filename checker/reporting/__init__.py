"""One writer per output format; each takes a Report and returns text.

``STREAMERS`` give the same text in chunks (str or bytes) for writing to a file without holding the
whole report in memory; ``RENDERERS[fmt](report)`` equals the joined chunks (tests/test_report_streaming.py)."""
from __future__ import annotations

from .csv_report import iter_csv, render_csv
from .html_report import iter_html, render_html
from .json_report import iter_json, render_json
from .junit_report import iter_junit, render_junit
from .markdown_report import iter_markdown, render_markdown
from .text_report import iter_text, render_text

RENDERERS = {"text": render_text, "json": render_json, "html": render_html, "csv": render_csv,
             "markdown": render_markdown, "junit": render_junit}
STREAMERS = {"text": iter_text, "json": iter_json, "html": iter_html, "csv": iter_csv,
             "markdown": iter_markdown, "junit": iter_junit}
# The files --output-dir writes, one per format.
FILENAMES = {"json": "report.json", "html": "report.html", "csv": "report.csv", "markdown": "report.md",
             "junit": "report.junit.xml", "text": "report.txt"}
