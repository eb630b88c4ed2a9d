"""``shg-check rules diff OLD NEW``: what changed between two rule sets, in plain words.

OLD and NEW are rule set directories: a first chapter version (``rules/``) or an
overlay that inherits earlier ones (``rules/versions/2028-03-01/``). Both are
loaded whole (every dated version), so the diff also says from when each change
is in force. It lists chapter versions, rules, parameters (values and validity),
the clauses the rules check, and vocabularies (``vocabularies.yaml`` in either
chain, part A's format: kind -> code -> {label, synonyms}) added, removed or
changed. Nothing here reads a record.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .ir import Rule
from .params import Parameter
from .rulebook import Rulebook, expand_codes
from .workdays import from_epoch_day
from .yamlio import read_yaml

VOCABULARIES_FILE = "vocabularies.yaml"
ORDER = ("chapter_version", "rule", "parameter", "clause", "vocabulary")
HEADINGS = {"chapter_version": "Chapter versions", "rule": "Rules", "parameter": "Parameters",
            "clause": "Clauses checked", "vocabulary": "Vocabularies"}


@dataclass(frozen=True)
class Change:
    kind: str        # chapter_version | rule | parameter | clause | vocabulary
    change: str      # added | removed | changed
    id: str
    words: str
    valid_from: str = ""   # from when the change applies (identification dates), where it is dated

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "change": self.change, "id": self.id, "words": self.words}
        if self.valid_from:
            out["valid_from"] = self.valid_from
        return out


# -- rules ---------------------------------------------------------------------------------------------------------

def _day(epoch: int | None) -> str | None:
    return from_epoch_day(epoch).isoformat() if epoch is not None else None


def _spans(versions: list[Rule]) -> list[tuple[str, str | None, dict, str]]:
    """A rule's files over time: (valid_from, valid_to, document, source), consecutive windows of one file merged."""
    out: list[list] = []
    for v in versions:
        start, end = _day(v.in_force_from), _day(v.valid_to)
        if out and out[-1][3] == v.source and out[-1][1] == start:
            out[-1][1] = end
        else:
            out.append([start, end, v.raw, v.source])
    return [tuple(s) for s in out]


def _codes(doc: dict) -> set[str]:
    out = set()
    for spec in doc.get("requires", []):
        for one in expand_codes(spec):
            code = one.get("code")
            if isinstance(code, str):
                out.add(code)
    return out


def _clauses(doc: dict) -> set[str]:
    pol = doc.get("policy") or {}
    return {pol.get("clause", "")} | set(pol.get("also", [])) - {""}


def _label(code: str) -> str:
    from .vocab import label_of
    label = label_of(code)
    return label if label != code and f"({code})" in label else f"{label} ({code})" if label != code else code


def doc_changes(old: dict, new: dict) -> list[str]:
    """What differs between two versions of one rule file, in words."""
    words = []
    for key, what in (("title", "title"), ("severity", "severity"), ("strength", "strength")):
        if old.get(key) != new.get(key):
            words.append(f"{what} {old.get(key)!r} -> {new.get(key)!r}")
    if _clauses(old) != _clauses(new):
        words.append(f"clauses {', '.join(sorted(_clauses(old)))} -> {', '.join(sorted(_clauses(new)))}")
    added, removed = _codes(new) - _codes(old), _codes(old) - _codes(new)
    if added:
        words.append("now also requires " + ", ".join(_label(c) for c in sorted(added)))
    if removed:
        words.append("no longer requires " + ", ".join(_label(c) for c in sorted(removed)))
    old_p, new_p = set(old.get("parameters", [])), set(new.get("parameters", []))
    if old_p != new_p:
        words.append(f"parameters {', '.join(sorted(old_p)) or 'none'} -> {', '.join(sorted(new_p)) or 'none'}")
    rest = [k for k in sorted(set(old) | set(new))
            if k not in ("title", "severity", "strength", "policy", "parameters", "examples", "description",
                         "valid_from", "valid_to", "next_review")
            and old.get(k) != new.get(k)]
    changed = [k for k in rest if k != "requires" or not (added or removed)]
    if changed:
        words.append("its conditions changed (" + ", ".join(changed) + ")")
    if old.get("description") != new.get("description"):
        words.append("description reworded")
    if old.get("examples") != new.get("examples"):
        words.append("examples changed")
    if old.get("next_review") != new.get("next_review"):
        words.append(f"next review {old.get('next_review') or 'the chapter’s'} -> {new.get('next_review') or 'the chapter’s'}")
    return words or ["no change in what it checks"]


def _in_force(a: str, b: str | None) -> str:
    return f"in force for responses identified from {a}" + (f" to before {b}" if b else "")


def rule_changes(old: Rulebook, new: Rulebook) -> list[Change]:
    out = []
    old_ids = {r.id: r for r in old.rules}
    new_ids = {r.id: r for r in new.rules}
    for rid in sorted(set(new_ids) - set(old_ids)):
        r = new_ids[rid]
        first = new.versions_of(rid)[0]
        a, b = _day(first.in_force_from), _day(new.versions_of(rid)[-1].valid_to)
        out.append(Change("rule", "added", rid, f"rule {rid} added: {r.title} (clause {r.clause}, {r.severity}, "
                                                f"{r.strength}); {_in_force(a, b)}", a))
    for rid in sorted(set(old_ids) - set(new_ids)):
        r = old_ids[rid]
        out.append(Change("rule", "removed", rid, f"rule {rid} removed: {r.title} (clause {r.clause}); no response "
                                                  "is judged by it any more, whatever its date"))
    for rid in sorted(set(old_ids) & set(new_ids)):
        before, after = _spans(old.versions_of(rid)), _spans(new.versions_of(rid))
        if [(a, b, json.dumps(d, sort_keys=True, default=str)) for a, b, d, _ in before] == \
                [(a, b, json.dumps(d, sort_keys=True, default=str)) for a, b, d, _ in after]:
            continue
        old_docs = [json.dumps(d, sort_keys=True, default=str) for _, _, d, _ in before]
        reported = False
        for k, (a, b, doc, _) in enumerate(after):
            if json.dumps(doc, sort_keys=True, default=str) in old_docs:
                continue
            prev = after[k - 1][2] if k else before[-1][2]
            out.append(Change("rule", "changed", rid, f"rule {rid} changed from {a}: " + "; ".join(
                doc_changes(prev, doc)) + f" ({_in_force(a, b)}; earlier responses keep the version before)", a))
            reported = True
        new_docs = [json.dumps(d, sort_keys=True, default=str) for _, _, d, _ in after]
        for a, b, doc, _ in before:
            if json.dumps(doc, sort_keys=True, default=str) not in new_docs:
                out.append(Change("rule", "changed", rid, f"rule {rid}: its version in force from {a} is gone; "
                                  "responses identified from then on are judged by the version before it", a))
                reported = True
        if after[-1][1] and (not before[-1][1] or before[-1][1] > after[-1][1]):
            out.append(Change("rule", "removed", rid, f"rule {rid} withdrawn from {after[-1][1]}: responses identified "
                                                      f"on or after {after[-1][1]} are not judged by it; earlier ones "
                                                      "still are", after[-1][1]))
            reported = True
        if not reported:
            spans = "; ".join(_in_force(a, b) for a, b, _, _ in after)
            out.append(Change("rule", "changed", rid, f"rule {rid}: its dates changed ({spans})"))
    return out


# -- parameters ----------------------------------------------------------------------------------------------------

def _timeline(p: Parameter) -> str:
    if not p.dated:
        return p.shown()
    parts = []
    for a, b, value, _ in p.dated:
        shown = Parameter(p.name, value, p.type, p.source, "", p.unit).shown()
        parts.append(f"{shown} from {a}" + (f" to before {b}" if b else ""))
    return "; ".join(parts)


def parameter_changes(old: Rulebook, new: Rulebook) -> list[Change]:
    out = []
    for name in sorted(set(new.parameters) - set(old.parameters)):
        p = new.parameters[name]
        out.append(Change("parameter", "added", name, f"parameter {name} added: {_timeline(p)} ({p.source})",
                          p.dated[0][0] if p.dated else ""))
    for name in sorted(set(old.parameters) - set(new.parameters)):
        out.append(Change("parameter", "removed", name, f"parameter {name} removed (was {_timeline(old.parameters[name])})"))
    for name in sorted(set(old.parameters) & set(new.parameters)):
        a, b = old.parameters[name], new.parameters[name]
        words = []
        since = ""
        if (a.value, a.dated) != (b.value, b.dated):
            import datetime as dt
            moved = [d for d in b.dated if d[2] != a.value_on(dt.date.fromisoformat(d[0]))]
            if moved and len(moved) == 1 and moved[0][1] is None:  # one new value from a date on
                since = moved[0][0]
                shown = Parameter(b.name, moved[0][2], b.type, b.source, "", b.unit).shown()
                words.append(f"{shown} from {since} (before then: {_timeline(a)})")
            else:
                words.append(f"{_timeline(a)} -> {_timeline(b)}")
        if a.source != b.source:
            words.append(f"source {a.source} -> {b.source}")
        if a.unit != b.unit:
            words.append(f"unit {a.unit} -> {b.unit}")
        if a.description != b.description:
            words.append("description reworded")
        if words:
            out.append(Change("parameter", "changed", name, f"parameter {name}: " + "; ".join(words), since))
    return out


# -- clauses -------------------------------------------------------------------------------------------------------

def clause_changes(old: Rulebook, new: Rulebook) -> list[Change]:
    """The chapter clauses the rules check: newly checked, no longer checked, or checked by other rules."""
    def checkers(rb: Rulebook) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for rule in rb.all_rules():
            for c in (rule.clause, *rule.also):
                out.setdefault(c, set()).add(rule.id)
        return out

    a, b = checkers(old), checkers(new)
    out = []
    for cid in sorted(set(b) | set(a)):
        before, after = a.get(cid, set()), b.get(cid, set())
        if before == after:
            continue
        if not before:
            out.append(Change("clause", "added", cid, f"clause {cid} now checked, by {', '.join(sorted(after))}"))
        elif not after:
            out.append(Change("clause", "removed", cid, f"clause {cid} no longer checked (was by "
                                                        f"{', '.join(sorted(before))})"))
        else:
            parts = []
            if after - before:
                parts.append("now also checked by " + ", ".join(sorted(after - before)))
            if before - after:
                parts.append("no longer checked by " + ", ".join(sorted(before - after)))
            out.append(Change("clause", "changed", cid, f"clause {cid}: " + "; ".join(parts)))
    return out


# -- vocabularies ----------------------------------------------------------------------------------------------------

def vocabularies(rb: Rulebook) -> dict[str, dict[str, dict]]:
    """The vocabularies of a rule set's chain of versions, later versions layered on earlier ones
    (part A's shape: kind -> code -> {label, synonyms}; ``settings`` compared as values)."""
    merged: dict[str, dict[str, Any]] = {}
    dirs = [v.directory for v in rb.chapter_versions] or [rb.directory]
    for d in dirs:
        path = Path(d) / VOCABULARIES_FILE
        if not path.is_file():
            continue
        doc = read_yaml(path, "vocabularies")
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: expected a mapping of kind -> code -> {{label, synonyms}}")
        for kind, codes in doc.items():
            if not isinstance(codes, dict):
                raise ConfigError(f"{path}: {kind}: expected a mapping of code -> {{label, synonyms}}")
            merged.setdefault(str(kind), {}).update(codes)
    return merged


def _vocab_label(entry: Any) -> str:
    return str(entry.get("label", "")) if isinstance(entry, dict) else str(entry)


def vocabulary_changes(old: Rulebook, new: Rulebook) -> list[Change]:
    a, b = vocabularies(old), vocabularies(new)
    out = []
    for kind in sorted(set(a) | set(b)):
        x, y = a.get(kind, {}), b.get(kind, {})
        for code in sorted(set(y) - set(x), key=str):
            out.append(Change("vocabulary", "added", f"{kind}.{code}",
                              f"{kind}: {code} added ({_vocab_label(y[code])})"))
        for code in sorted(set(x) - set(y), key=str):
            out.append(Change("vocabulary", "removed", f"{kind}.{code}",
                              f"{kind}: {code} removed (was {_vocab_label(x[code])})"))
        for code in sorted(set(x) & set(y), key=str):
            if x[code] == y[code]:
                continue
            words = []
            if _vocab_label(x[code]) != _vocab_label(y[code]):
                words.append(f"label {_vocab_label(x[code])!r} -> {_vocab_label(y[code])!r}")
            syn = lambda e: set(e.get("synonyms") or []) if isinstance(e, dict) else set()  # noqa: E731
            if syn(x[code]) != syn(y[code]):
                plus, minus = sorted(syn(y[code]) - syn(x[code])), sorted(syn(x[code]) - syn(y[code]))
                words.append("synonyms" + (f" added {', '.join(plus)}" if plus else "")
                             + (f" removed {', '.join(minus)}" if minus else ""))
            out.append(Change("vocabulary", "changed", f"{kind}.{code}",
                              f"{kind}: {code} " + ("; ".join(words) or "changed")))
    return out


# -- chapter versions ------------------------------------------------------------------------------------------------

def chapter_changes(old: Rulebook, new: Rulebook) -> list[Change]:
    a = {v.name: v for v in old.chapter_versions}
    b = {v.name: v for v in new.chapter_versions}
    out = []
    for name in [n for n in b if n not in a]:
        v = b[name]
        out.append(Change("chapter_version", "added", name, f"{v.words()} added"
                          + (f": {v.title}" if v.title else ""), v.valid_from))
    for name in [n for n in a if n not in b]:
        out.append(Change("chapter_version", "removed", name, f"{a[name].words()} removed"))
    for name in [n for n in a if n in b and a[n].to_dict() != b[n].to_dict()]:
        x, y = a[name].to_dict(), b[name].to_dict()
        if {k: v for k, v in x.items() if k != "valid_to"} == {k: v for k, v in y.items() if k != "valid_to"} \
                and y.get("valid_to"):
            after = next((v.name for v in new.chapter_versions if v.valid_from == y["valid_to"]), "")
            out.append(Change("chapter_version", "changed", name, f"chapter version {name} now in force only for "
                              f"responses identified before {y['valid_to']}"
                              + (f", when version {after} takes over" if after else ""), y["valid_to"]))
        else:
            out.append(Change("chapter_version", "changed", name, f"{a[name].words()} -> {b[name].words()}"))
    return out


def diff(old: Rulebook, new: Rulebook) -> list[Change]:
    """Every change from ``old`` to ``new``; codes are named with the labels of the NEW rule set's vocabularies
    (unless the caller chose vocabularies)."""
    from contextlib import nullcontext

    from .vocab import vocabularies_for

    try:
        scope = vocabularies_for(new.directory)
    except ConfigError:  # a vocabularies file lint would refuse: its codes are still compared, unlabelled
        scope = nullcontext()
    with scope:
        return _diff(old, new)


def _diff(old: Rulebook, new: Rulebook) -> list[Change]:
    return [*chapter_changes(old, new), *rule_changes(old, new), *parameter_changes(old, new),
            *clause_changes(old, new), *vocabulary_changes(old, new)]


def render_diff_text(old: Rulebook, new: Rulebook, changes: list[Change]) -> str:
    lines = [f"Rule set diff: {old.directory} -> {new.directory}",
             f"  old: {old.versions_words()}", f"  new: {new.versions_words()}"]
    if not changes:
        lines.append("No changes: the two rule sets judge every response alike.")
        return "\n".join(lines) + "\n"
    counts = {c: sum(1 for x in changes if x.change == c) for c in ("added", "removed", "changed")}
    lines.append(f"{len(changes)} changes: {counts['added']} added, {counts['removed']} removed, "
                 f"{counts['changed']} changed.")
    for kind in ORDER:
        these = [c for c in changes if c.kind == kind]
        if not these:
            continue
        lines += ["", HEADINGS[kind]]
        lines += [f"  {c.change.upper():8} {c.words}" for c in these]
    return "\n".join(lines) + "\n"


def render_diff_json(old: Rulebook, new: Rulebook, changes: list[Change]) -> str:
    doc = {"old": {"directory": str(old.directory), "versions": old.versions_words(), "digest": old.digest},
           "new": {"directory": str(new.directory), "versions": new.versions_words(), "digest": new.digest},
           "changes": [c.to_dict() for c in changes]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
