"""Where the bundled rules and chapter are: the one place that knows.

``rules/`` and ``policy/`` sit at the top of the repository (where policy
authors edit them) and are shipped inside the wheel as ``checker/_data/rules``
and ``checker/_data/policy`` (pyproject.toml maps them there). An installed
package finds them beside its own code; a source checkout or an editable
install finds them at the top of the repository. ``$SHG_CHECK_RULES`` and
``$SHG_CHECK_POLICY`` point elsewhere; ``--rules`` and ``--policy`` do, run by run.
"""
from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
CHAPTER_FILE = "chapter.yaml"


def _data_dir(name: str) -> Path:
    """``checker/_data/<name>`` in an installed wheel, else ``<repo>/<name>`` (source checkout, editable install)."""
    shipped = _HERE / "_data" / name
    return shipped if shipped.is_dir() else _HERE.parent / name


def bundled_rules_dir() -> Path:
    """The rules shipped with the package (no environment variable consulted)."""
    return _data_dir("rules")


def bundled_policy_file() -> Path:
    """The chapter shipped with the package (no environment variable consulted)."""
    return _data_dir("policy") / CHAPTER_FILE


def rules_dir() -> Path:
    """The default rules directory: ``$SHG_CHECK_RULES`` when set, else the bundled rules."""
    return Path(os.environ.get("SHG_CHECK_RULES") or bundled_rules_dir())


def policy_file() -> Path:
    """The default chapter file: ``$SHG_CHECK_POLICY`` when set, else the bundled chapter."""
    return Path(os.environ.get("SHG_CHECK_POLICY") or bundled_policy_file())
