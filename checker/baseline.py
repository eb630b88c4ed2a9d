"""Nightly delta: compare this run's gaps with a previous JSON report (``--baseline``).

Identity of a gap (documented in README):
- a response's gap is ``(response_id, rule)``: the same rule failing on the same
  response is the same gap, whatever its message or missing codes now say;
- a group's gap (``groups[].findings``) is ``("group:" + the group's ``id`` if it
  has one, else its sorted members joined with ``+``, rule)``. Group members are
  children's ids, so a pseudonymised run must be compared with a baseline made
  with the same key.

Every current gap is marked ``delta: new`` or ``persisting``. A baseline gap that
is no longer a gap is listed in ``delta.resolved`` with the status it has now
(``now``: met, pending, not_applicable, insufficient_data, or ``not_checked``
when the response or rule is not in this run); where the finding still exists it
is also marked ``delta: resolved``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema

from .errors import ConfigError
from .kept import editing

GapKey = tuple[str, str]


@dataclass(frozen=True)
class Baseline:
    source: str
    as_of: str
    digest: str
    gaps: dict[GapKey, dict]   # identity -> what the baseline said about it
    key_fingerprint: str | None = None  # pseudonymisation.key_fingerprint of the baseline, if it was pseudonymised


def check_key(baseline: Baseline, fingerprint: str | None) -> None:
    """Refuse a baseline made with another pseudonymisation key, or with none when this run has one (and the
    other way round): its gaps would not match, and its text could hold children's raw ids."""
    if baseline.key_fingerprint == fingerprint:
        return
    if fingerprint and not baseline.key_fingerprint:
        why = "was made without --pseudonymise (it may hold children's real ids)"
    elif not fingerprint:
        why = "was made with --pseudonymise; give the same key file to this run"
    else:
        why = "was made with another pseudonymisation key"
    raise ConfigError(f"{baseline.source}: the baseline {why}; compare only reports made with the same key "
                      "(or start a new baseline: run once without --baseline)")


@lru_cache(maxsize=1)
def _report_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("checker").joinpath("schemas/report.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def group_identity(group: dict) -> str:
    """``group:`` + the group's ``group_id`` (made from the feed's incident ids: the same with or without a
    pseudonymisation key), else its sorted members."""
    for name in ("group_id", "id"):
        gid = group.get(name)
        if isinstance(gid, str) and gid:
            return f"group:{gid}"
    return "group:" + "+".join(sorted(str(m) for m in group.get("members") or []))


def _describe(finding: dict, **where: str) -> dict:
    policy = finding.get("policy") or {}
    return {**where, "rule": finding.get("rule", ""), "severity": finding.get("severity", ""),
            "section": policy.get("section", ""), "clause": policy.get("clause", ""),
            "title": finding.get("title", ""), "message": finding.get("message", "")}


def baseline_gaps(doc: dict) -> dict[GapKey, dict]:
    gaps: dict[GapKey, dict] = {}
    for resp in doc.get("responses", []):
        for f in resp.get("findings", []):
            if f.get("status") == "gap":
                gaps[(resp["response_id"], f["rule"])] = _describe(f, response_id=resp["response_id"])
    for group in doc.get("groups") or []:
        ident = group_identity(group)
        for f in group.get("findings") or []:
            if f.get("status", "gap") == "gap" and f.get("rule"):
                where = {"group": ident}
                if isinstance(group.get("group_id"), str):
                    where["group_id"] = group["group_id"]
                gaps[(ident, f["rule"])] = _describe(f, **where)
    return gaps


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    source = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the baseline report ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{source}: the baseline is not a JSON file (give a report written with --format json)") \
            from None
    errors = sorted(_report_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        where = "".join(f"/{p}" for p in errors[0].absolute_path) or "(the whole file)"
        raise ConfigError(f"{source}: the baseline is not a shg-check JSON report (first problem at {where})")
    pseudo = doc.get("pseudonymisation")
    fingerprint = pseudo.get("key_fingerprint") if isinstance(pseudo, dict) else None
    return Baseline(source, doc["as_of"], doc["ruleset"]["digest"], baseline_gaps(doc),
                    fingerprint if isinstance(fingerprint, str) else None)


def apply_baseline(report, baseline: Baseline) -> None:
    """Mark gaps new / persisting and list the baseline's gaps that are no longer gaps."""
    now: dict[GapKey, str] = {}
    for result in editing(report.responses):  # (kept results: each change is written back)
        for f in result.findings:
            key = (result.response_id, f.rule)
            now[key] = f.status
            if f.status == "gap":
                f.delta = "persisting" if key in baseline.gaps else "new"
            elif key in baseline.gaps:
                f.delta = "resolved"
    for group in report.groups or []:
        ident = group_identity(group)
        for f in group.get("findings") or []:
            if not f.get("rule"):
                continue
            key = (ident, f["rule"])
            status = f.get("status", "gap")
            now[key] = status
            if status == "gap":
                f["delta"] = "persisting" if key in baseline.gaps else "new"
            elif key in baseline.gaps:
                f["delta"] = "resolved"
    resolved = []
    for key in sorted(baseline.gaps):
        status = now.get(key, "not_checked")
        if status != "gap":
            resolved.append({**baseline.gaps[key], "now": status})
    report.baseline = {"source": baseline.source, "as_of": baseline.as_of, "ruleset_digest": baseline.digest,
                       "same_ruleset": baseline.digest == report.rulebook.digest}
    report.resolved = resolved
