"""Tabular inputs: a tracker workbook generated from the schema and the rules, and mapped CSV / .xlsx extracts.

- ``layout``: the tables and columns, derived from the response-record schema at run time;
- ``template``: writes the tracker workbook (empty, or filled with records);
- ``checklists``: meeting checklists generated from the rules;
- ``mapping``: mapping files (which column gives which field) and the default mapping;
- ``sources``: reading .xlsx sheets safely, and CSV files;
- ``reader``: joining the tables into one response record per response.

``split_inputs`` is the one hook the loader uses (checker/loading.py).
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["split_inputs", "write_template", "unmapped_columns"]


def split_inputs(paths: Sequence[str | os.PathLike[str]], mapping: str | os.PathLike[str] | None = None
                 ) -> tuple[list[str | os.PathLike[str]], list[Iterator]]:
    """Separate tabular inputs from the others; open each tabular input now.

    Tabular: an .xlsx file, a folder with a mapping file or a responses table
    (CSV), and .xlsx files inside other folders. Opening checks the mapping and
    every mapped column (ConfigError, exit 2, before anything is read or
    checked). Returns the paths left for the JSON loader and an iterator of
    items per tabular input. With ``mapping``, every tabular input is read with it.
    """
    from checker.errors import UsageError
    from checker.tabular.reader import is_tabular, open_input

    rest: list[str | os.PathLike[str]] = []
    tabular: list[Path | str] = []
    for given in paths:
        p = Path(given)
        if not p.exists():
            rest.append(given)   # the JSON loader reports it
        elif is_tabular(p) or (mapping is not None and p.is_dir()):   # with --mapping a folder is its tables
            tabular.append(given)
        else:
            rest.append(given)
            if p.is_dir():
                tabular.extend(os.path.join(os.fspath(given), *q.relative_to(p).parts)
                               for q in sorted(p.rglob("*.xlsx"))
                               if not any(part.startswith((".", "~$")) for part in q.relative_to(p).parts))
    if mapping is not None and not tabular:
        raise UsageError("--mapping is for .xlsx workbooks and folders of CSV tables; no such input was given")
    opened = [open_input(path, mapping) for path in tabular]
    return rest, [t.items() for t in opened]


def unmapped_columns(paths: Sequence[str | os.PathLike[str]], mapping=None) -> list[str]:
    """One line per sheet of the tabular inputs listing the columns the mapping ignores."""
    from checker.tabular.reader import is_tabular, open_input

    out: list[str] = []
    for given in paths:
        if Path(given).exists() and is_tabular(Path(given)):
            out.extend(open_input(given, mapping).unmapped_columns())
    return out


def write_template(directory: str | os.PathLike[str], rules_dir=None) -> list[str]:
    """Write the tracker workbook, the default mapping and the meeting checklists into ``directory``."""
    import yaml

    from checker.api import DEFAULT_RULES
    from checker.atomic import write_atomic
    from checker.rulebook import load_rulebook
    from checker.tabular.checklists import MEETING_TYPES, checklists, render_html, render_markdown
    from checker.tabular.mapping import default_document
    from checker.tabular.template import write_workbook

    rules_dir = Path(rules_dir or DEFAULT_RULES)
    rulebook = load_rulebook(rules_dir)
    out = Path(directory)
    written = []
    buffer = io.BytesIO()
    write_workbook(buffer, (), rules_dir=rules_dir)
    write_atomic(out / "tracker.xlsx", buffer.getvalue())
    written.append(os.fspath(out / "tracker.xlsx"))
    write_atomic(out / "tracker-mapping.yaml",
                 "# The default mapping: how shg-check reads tracker.xlsx. Copy and edit it for a local tracker.\n"
                 + yaml.safe_dump(default_document(), sort_keys=False, allow_unicode=True, width=120))
    written.append(os.fspath(out / "tracker-mapping.yaml"))
    lists = checklists(rulebook)
    for mtype in MEETING_TYPES:
        for suffix, render in ((".md", render_markdown), (".html", render_html)):
            target = out / "checklists" / f"{mtype}-meeting{suffix}"
            write_atomic(target, render(lists, mtype))
            written.append(os.fspath(target))
    return written
