"""One writer per output format; each takes a Report and returns text."""
from __future__ import annotations

from .csv_report import render_csv
from .html_report import render_html
from .json_report import render_json
from .junit_report import render_junit
from .markdown_report import render_markdown
from .text_report import render_text

RENDERERS = {"text": render_text, "json": render_json, "html": render_html, "csv": render_csv,
             "markdown": render_markdown, "junit": render_junit}
# The files --output-dir writes, one per format.
FILENAMES = {"json": "report.json", "html": "report.html", "csv": "report.csv", "markdown": "report.md",
             "junit": "report.junit.xml", "text": "report.txt"}
