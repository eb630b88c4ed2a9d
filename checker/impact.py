"""``shg-check rules impact --from OLD --to NEW EXPORT...``: what a rule change does to real past cases.

Every response record is checked twice, with the OLD and the NEW rule set (each
whole, every dated version; each response judged by the rules in force on its
identification date), as of the same date. A finding *changes* when its status
or what it finds missing differs. A rule that one side does not have counts
there as not_applicable (nothing was judged), so a new rule that is not in
force for a past case changes nothing. Each change says why: the rule was
added, removed or changed (a new version judged it), or a parameter value it
uses changed. The summary by rule is what a partnership board reads before
approving a change.

Children appear only by the pseudonymous ids of the export (as in every
report); no message or free text from the records is printed.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .api import Checker, _as_of
from .errors import InputError
from .findings import Finding
from .rulebook import Rulebook, load_rulebook
from .validation import load_responses

NOT_JUDGED = "not_applicable"


@dataclass
class FindingChange:
    response_id: str
    identified_on: str
    rule: str
    title: str
    old_status: str
    new_status: str
    old_missing: list[str]
    new_missing: list[str]
    reasons: list[str]
    old_version: str | None = None
    new_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"response_id": self.response_id, "identified_on": self.identified_on, "rule": self.rule,
                "title": self.title,
                "from": {"status": self.old_status, "missing": self.old_missing, "rule_version": self.old_version},
                "to": {"status": self.new_status, "missing": self.new_missing, "rule_version": self.new_version},
                "reasons": self.reasons}


@dataclass
class Impact:
    old: Rulebook
    new: Rulebook
    as_of: dt.date
    responses_checked: int
    changes: list[FindingChange] = field(default_factory=list)
    input_errors: list[InputError] = field(default_factory=list)

    @property
    def responses_changed(self) -> list[str]:
        return sorted({c.response_id for c in self.changes})

    def by_rule(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for c in self.changes:
            row = rows.setdefault(c.rule, {"rule": c.rule, "title": c.title, "responses": 0, "transitions": {},
                                           "reasons": []})
            row["responses"] += 1
            key = f"{c.old_status} -> {c.new_status}"
            row["transitions"][key] = row["transitions"].get(key, 0) + 1
            for r in c.reasons:
                if r not in row["reasons"]:
                    row["reasons"].append(r)
        return [rows[k] for k in sorted(rows)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": {"directory": str(self.old.directory), "versions": self.old.versions_words(),
                     "digest": self.old.digest},
            "to": {"directory": str(self.new.directory), "versions": self.new.versions_words(),
                   "digest": self.new.digest},
            "as_of": self.as_of.isoformat(),
            "responses_checked": self.responses_checked,
            "responses_changed": self.responses_changed,
            "by_rule": self.by_rule(),
            "changes": [c.to_dict() for c in self.changes],
            "input_errors": [e.to_dict() for e in self.input_errors],
        }


def _version(rb: Rulebook, rule_id: str, version: str | None):
    if rule_id not in {r.id for r in rb.rules}:
        return None
    for v in rb.versions_of(rule_id):
        if v.version == version:
            return v
    return None


def _param_words(old_rule, new_rule, old: Rulebook, new: Rulebook, day: dt.date) -> list[str]:
    out = []
    for name in sorted(set(old_rule.parameters) & set(new_rule.parameters)):
        if name == "chapter_in_force_from" or name not in old.parameters or name not in new.parameters:
            continue
        a, b = old.parameters[name].on(day), new.parameters[name].on(day)
        if a.value != b.value:
            out.append(f"parameter {name} changed: {a.shown()} -> {b.shown()} (on {day.isoformat()})")
    return out


def reasons_for(rule_id: str, old_f: Finding | None, new_f: Finding | None, old: Rulebook, new: Rulebook,
                identified_on: str) -> list[str]:
    """Why a finding changed: the rule added / removed / changed, or a parameter value it uses."""
    old_ids, new_ids = {r.id for r in old.rules}, {r.id for r in new.rules}
    if rule_id not in old_ids:
        return [f"rule {rule_id} added (in force from {new.versions_of(rule_id)[0].version})"]
    if rule_id not in new_ids:
        return [f"rule {rule_id} removed"]
    a = _version(old, rule_id, old_f.rule_version if old_f else None)
    b = _version(new, rule_id, new_f.rule_version if new_f else None)
    if a is None and b is not None:
        return [f"rule {rule_id} now in force on {identified_on} (version from {b.version})"]
    if b is None and a is not None:
        return [f"rule {rule_id} no longer in force on {identified_on}"]
    if a is None or b is None:  # pragma: no cover - neither in force: both not_applicable, no change
        return ["rule dates changed"]
    words = []
    if json.dumps(a.raw, sort_keys=True, default=str) != json.dumps(b.raw, sort_keys=True, default=str):
        from .ruleset_diff import doc_changes
        what = [w for w in doc_changes(a.raw, b.raw) if w not in ("examples changed", "description reworded")]
        words.append(f"rule {rule_id} changed (version from {b.version}"
                     + (f", chapter version {b.chapter_version}" if b.chapter_version else "") + ")"
                     + (": " + "; ".join(what) if what else ""))
    words += _param_words(a, b, old, new, dt.date.fromisoformat(identified_on))
    return words or ["the rule set changed (vocabularies or codes the rule reads)"]


def _state(f: Finding | None) -> tuple[str, list[str]]:
    if f is None:
        return NOT_JUDGED, []
    return f.status, list(f.missing)


def impact(paths: Sequence[str | os.PathLike[str]], old_dir: str | os.PathLike[str],
           new_dir: str | os.PathLike[str], as_of: dt.date | None = None,
           params_file: str | os.PathLike[str] | None = None,
           vocab_files: Sequence[str | os.PathLike[str]] = ()) -> Impact:
    """Check every response with both rule sets and list the findings whose status or missing items change.

    Records are read with the NEW rule set's vocabularies (its chain of versions, ``vocab_files`` on top):
    a proposed version may add codes (a new agency), and the vocabularies only ever grow (v1 codes cannot
    be removed), so a record valid before stays valid. A caller that chose vocabularies keeps them."""
    from .vocab import vocabularies_for

    with vocabularies_for(new_dir, vocab_files):
        return _impact(paths, old_dir, new_dir, as_of, params_file)


def _impact(paths, old_dir, new_dir, as_of, params_file) -> Impact:
    old = load_rulebook(Path(old_dir), Path(params_file) if params_file else None)
    new = load_rulebook(Path(new_dir), Path(params_file) if params_file else None)
    as_of = _as_of(as_of)
    loaded = load_responses(paths)
    before, after = Checker(old), Checker(new)
    result = Impact(old, new, as_of, 0, input_errors=list(loaded.errors))
    for rec in sorted(loaded.records, key=lambda r: r.data["response_id"]):
        data = rec.data
        try:
            a = {f.rule: f for f in before.check_record(data, as_of)}
            b = {f.rule: f for f in after.check_record(data, as_of)}
        except Exception as exc:  # one record's failure is that record's input error
            from .inputs_guard import contained_error
            result.input_errors.append(contained_error(rec, "response_id", exc))
            continue
        result.responses_checked += 1
        titles = {r.id: r.title for r in (*old.rules, *new.rules)}
        for rule_id in sorted(set(a) | set(b)):
            fa, fb = a.get(rule_id), b.get(rule_id)
            if _state(fa) == _state(fb):
                continue
            result.changes.append(FindingChange(
                data["response_id"], data["identified_on"], rule_id, titles.get(rule_id, rule_id),
                _state(fa)[0], _state(fb)[0], _state(fa)[1], _state(fb)[1],
                reasons_for(rule_id, fa, fb, old, new, data["identified_on"]),
                fa.rule_version if fa else None, fb.rule_version if fb else None))
    return result


# -- writers -------------------------------------------------------------------------------------------------------

def _missing(items: list[str]) -> str:
    return f" (missing {', '.join(items)})" if items else ""


def render_impact_text(imp: Impact) -> str:
    lines = [f"Impact of a rule change, as of {imp.as_of.isoformat()}",
             f"From: {imp.old.directory}: {imp.old.versions_words()}",
             f"To:   {imp.new.directory}: {imp.new.versions_words()}",
             "Each response is judged by the rules in force on its identification date.",
             f"Responses checked: {imp.responses_checked}; whose findings change: {len(imp.responses_changed)}; "
             f"findings that change: {len(imp.changes)}; input errors: {len(imp.input_errors)}"]
    lines += ["", "Summary by rule", "---------------"]
    if not imp.changes:
        lines.append("  No finding changes: past and current cases are judged exactly as before.")
    for row in imp.by_rule():
        moves = ", ".join(f"{k}: {v}" for k, v in sorted(row["transitions"].items()))
        lines.append(f"  {row['rule']}: {row['responses']} response(s) ({moves})")
        lines += [f"      because {r}" for r in row["reasons"]]
    lines += ["", "By response", "-----------"]
    current = None
    for c in imp.changes:
        if c.response_id != current:
            current = c.response_id
            lines.append(f"  {c.response_id} (identified {c.identified_on})")
        lines.append(f"    {c.rule}: {c.old_status}{_missing(c.old_missing)} -> {c.new_status}{_missing(c.new_missing)}")
        lines += [f"        because {r}" for r in c.reasons]
    if not imp.changes:
        lines.append("  (none)")
    if imp.input_errors:
        lines += ["", "Input errors (not checked)", "--------------------------"]
        lines += [f"  {e.source} {e.record or '-'} {e.path}: {e.message}".rstrip() for e in imp.input_errors]
    return "\n".join(lines) + "\n"


def render_impact_json(imp: Impact) -> str:
    return json.dumps(imp.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_impact_html(imp: Impact) -> str:
    e = html.escape
    rows = []
    for row in imp.by_rule():
        moves = "<br>".join(f"{e(k)}: {v}" for k, v in sorted(row["transitions"].items()))
        why = "<br>".join(e(r) for r in row["reasons"])
        rows.append(f"<tr><td><code>{e(row['rule'])}</code><br>{e(row['title'])}</td><td>{row['responses']}</td>"
                    f"<td>{moves}</td><td>{why}</td></tr>")
    changes = []
    for c in imp.changes:
        changes.append(f"<tr><td>{e(c.response_id)}</td><td>{e(c.identified_on)}</td><td><code>{e(c.rule)}</code></td>"
                       f"<td>{e(c.old_status)}{e(_missing(c.old_missing))}</td>"
                       f"<td>{e(c.new_status)}{e(_missing(c.new_missing))}</td>"
                       f"<td>{'<br>'.join(e(r) for r in c.reasons)}</td></tr>")
    errors = "".join(f"<li>{e(f'{x.source} {x.record or chr(45)} {x.path}: {x.message}')}</li>"
                     for x in imp.input_errors)
    none = "<p>No finding changes: past and current cases are judged exactly as before.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Impact of a rule change</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}}th{{background:#eee}}</style></head>
<body>
<h1>Impact of a rule change, as of {e(imp.as_of.isoformat())}</h1>
<p>From <strong>{e(str(imp.old.directory))}</strong>: {e(imp.old.versions_words())}</p>
<p>To <strong>{e(str(imp.new.directory))}</strong>: {e(imp.new.versions_words())}</p>
<p>Each response is judged by the rules in force on its identification date.
Responses checked: {imp.responses_checked}; whose findings change: {len(imp.responses_changed)};
findings that change: {len(imp.changes)}; input errors: {len(imp.input_errors)}.</p>
<h2>Summary by rule</h2>
{('<table><thead><tr><th>Rule</th><th>Responses</th><th>Status changes</th><th>Why</th></tr></thead><tbody>'
  + ''.join(rows) + '</tbody></table>') if rows else none}
<h2>By response</h2>
{('<table><thead><tr><th>Response</th><th>Identified</th><th>Rule</th><th>Before</th><th>After</th><th>Why</th></tr>'
  '</thead><tbody>' + ''.join(changes) + '</tbody></table>') if changes else none}
{('<h2>Input errors (not checked)</h2><ul>' + errors + '</ul>') if errors else ''}
<p>Children are named only by the export's pseudonymous ids; no names and no free text from the records are printed.</p>
</body></html>
"""


RENDERERS = {"text": render_impact_text, "json": render_impact_json, "html": render_impact_html}
