"""One writer per output format; each takes a Report and returns text."""
from __future__ import annotations

from .json_report import render_json
from .text_report import render_text

RENDERERS = {"text": render_text, "json": render_json}
