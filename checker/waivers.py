"""Waivers: gaps an auditor has accepted, with a recorded reason, approver and expiry date.

A waivers file is YAML, validated against ``checker/schemas/waivers.schema.json``::

    waivers:
      - response_id: R-2026-002
        rule: scoping-required-roles
        reason: Police attended the reconvened meeting two days later (minutes filed separately)
        approved_by: Partnership quality lead
        expires_on: 2026-12-31

A waiver may name a possible group instead of a response: ``group: G-1a2b3c4d5e6f``
(the ``group_id`` of the JSON report) with rule ``group-escalated`` or
``group-escalated-in-time``. ``expires_on`` is required: no waiver is for ever.

A waiver applies to the gap of ``rule`` on ``response_id`` (or ``group``) up to and including
``expires_on`` (compared with ``--as-of``). A waived gap keeps status ``gap``
and gains ``waived: {reason, approved_by, expires_on}``; it does not count for
the exit code. From the day after expiry the gap counts again and carries
``waiver_expired`` instead. A waiver matching no current gap is listed as unused.
Any problem with the file is a ConfigError (exit code 2) naming the file and entry.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema

from .errors import ConfigError
from .kept import editing
from .validation import FORMAT_CHECKER, date_message
from .yamlio import parse_yaml, read_config_bytes

FIELDS = ("reason", "approved_by", "expires_on")
GROUP_RULES = ("group-escalated", "group-escalated-in-time")


@dataclass(frozen=True)
class Waiver:
    response_id: str
    rule: str
    reason: str
    approved_by: str
    expires_on: dt.date
    group: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (f"group:{self.group}" if self.group else self.response_id, self.rule)

    def to_dict(self) -> dict:
        return {"reason": self.reason, "approved_by": self.approved_by, "expires_on": self.expires_on.isoformat()}

    def where(self) -> dict:
        return {"group": self.group} if self.group else {"response_id": self.response_id}


@dataclass(frozen=True)
class Waivers:
    source: str
    entries: tuple[Waiver, ...]


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("checker").joinpath("schemas/waivers.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text), format_checker=FORMAT_CHECKER)


def _plain(value):
    """YAML reads an unquoted 2026-12-31 as a date: treat it as the ISO text the schema expects."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _entry_name(index: int, entry: object) -> str:
    name = f"entry {index + 1}"
    if isinstance(entry, dict):
        rid, rule, group = entry.get("response_id"), entry.get("rule"), entry.get("group")
        if isinstance(rid, str) and isinstance(rule, str):
            name += f" (response {rid}, rule {rule})"
        elif isinstance(group, str) and isinstance(rule, str):
            name += f" (group {group}, rule {rule})"
    return name


def _problem(err: jsonschema.ValidationError) -> str:
    """A message from the schema keyword; never the offending value (it could be anything)."""
    last = err.absolute_path[-1] if err.absolute_path else None
    field = last if isinstance(last, str) else ""
    if err.validator == "type" and not field:
        return "must be a mapping of response_id (or group), rule, reason, approved_by and expires_on"
    if err.validator == "oneOf":
        if isinstance(err.instance, dict) and "response_id" in err.instance and "group" in err.instance:
            return "give either response_id or group, not both"
        return "missing response_id (or group)"
    if err.validator == "required":
        missing = [p for p in err.validator_value if isinstance(err.instance, dict) and p not in err.instance]
        return f"missing {', '.join(missing)}"
    if err.validator == "additionalProperties":
        return "has a field that is not response_id, group, rule, reason, approved_by or expires_on"
    if err.validator == "pattern" or (err.validator == "type" and field in FIELDS):
        return f"{field} must not be empty" if err.validator == "pattern" else f"{field} must be text"
    if err.validator == "format":
        return f"{field} {date_message(err.instance)}"
    return f"{field or 'the entry'} is not valid ({err.validator})"


def load_waivers(path: str | os.PathLike[str], rulebook=None) -> Waivers:
    """Read and validate a waivers file; raise ConfigError naming the file and every bad entry."""
    source = str(path)
    try:
        raw = read_config_bytes(Path(path), "the waivers")
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(": the waivers file not found",
                                           ": cannot read the waivers file (not found)")) from None
    try:
        # dates stay text (an impossible unquoted date is an entry's error, not a crash); aliases bounded
        doc = parse_yaml(raw.decode("utf-8"), source)
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: the waivers file is not valid YAML (not UTF-8)") from None
    except ConfigError as exc:
        if ": not valid YAML" in str(exc):
            raise ConfigError(f"{source}: the waivers file is not valid YAML") from None
        raise
    doc = _plain(doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("waivers"), list):
        raise ConfigError(f"{source}: a waivers file is a mapping with a list 'waivers:' of accepted gaps")
    entries = doc["waivers"]
    problems: list[str] = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        path_ = list(err.absolute_path)
        if err.validator == "oneOf" and not isinstance(err.instance, dict):
            continue  # "must be a mapping" says it
        if len(path_) >= 2 and path_[0] == "waivers" and isinstance(path_[1], int):
            problems.append(f"{source}: waiver {_entry_name(path_[1], entries[path_[1]])}: {_problem(err)}")
        else:
            problems.append(f"{source}: only 'waivers:' is allowed at the top level")
    if problems:
        raise ConfigError("invalid waivers:\n  " + "\n  ".join(problems))
    known = {r.id for r in rulebook.rules} if rulebook is not None else None
    seen: dict[tuple[str, str], int] = {}
    waivers = []
    for i, e in enumerate(entries):
        w = Waiver(e.get("response_id", ""), e["rule"], e["reason"].strip(), e["approved_by"].strip(),
                   dt.date.fromisoformat(e["expires_on"]), e.get("group", ""))
        if w.group and e["rule"] not in GROUP_RULES:
            problems.append(f"{source}: waiver {_entry_name(i, e)}: a group's gap is of rule "
                            f"{' or '.join(GROUP_RULES)}")
        elif not w.group and known is not None and e["rule"] not in known:
            problems.append(f"{source}: waiver {_entry_name(i, e)}: no rule has this id")
        if w.key in seen:
            problems.append(f"{source}: waiver {_entry_name(i, e)}: the same gap is already waived by entry "
                            f"{seen[w.key]}")
        seen.setdefault(w.key, i + 1)
        waivers.append(w)
    if problems:
        raise ConfigError("invalid waivers:\n  " + "\n  ".join(problems))
    return Waivers(source, tuple(waivers))


def apply_waivers(report, waivers: Waivers) -> None:
    """Mark the gaps the waivers accept (or whose waiver has expired); record expired and unused waivers."""
    by_key = {w.key: w for w in waivers.entries}
    used: set[tuple[str, str]] = set()
    expired = []

    def mark(w: Waiver) -> tuple[str, dict] | None:
        used.add(w.key)
        if report.as_of <= w.expires_on:
            return "waived", w.to_dict()
        expired.append({**w.where(), "rule": w.rule, **w.to_dict()})
        return "waiver_expired", w.to_dict()

    for result in editing(report.responses):  # (kept results: each change is written back)
        for finding in result.findings:
            w = by_key.get((result.response_id, finding.rule))
            if w is None or finding.status != "gap":
                continue
            name, value = mark(w)
            setattr(finding, name, value)
    for group in report.groups or []:
        gid = group.get("group_id")
        for finding in group.get("findings") or []:
            w = by_key.get((f"group:{gid}", finding.get("rule")))
            if w is None or finding.get("status") != "gap":
                continue
            name, value = mark(w)
            finding[name] = value
    unused = [{**w.where(), "rule": w.rule, **w.to_dict()}
              for w in sorted(waivers.entries, key=lambda w: w.key)
              if w.key not in used]
    report.waivers = {"source": waivers.source, "entries": len(waivers.entries),
                      "expired": sorted(expired, key=lambda e: (e.get("response_id") or e.get("group", ""), e["rule"])),
                      "unused": unused}
