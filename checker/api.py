"""The library API the CLI is a thin layer over: check response records, get a Report.

inputs -> validated records -> facts -> engine -> findings -> report
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import __version__
from .engine import EngineError, RulesEngine
from .detection_rules import load_detection_rules
from .errors import ConfigError, InputError
from .groups import GroupResult, find_groups
from .facts import response_facts
from .findings import STATUSES, Finding, resolve
from .loading import iter_raw
from .oracle import evaluate as oracle_evaluate
from .params import load_parameters
from .rulebook import PARAMETERS_FILE, Rulebook, load_rulebook
from .timeline import response_timeline
from .validation import Record, load_responses

DEFAULT_RULES = Path(os.environ.get("SHG_CHECK_RULES", Path(__file__).resolve().parent.parent / "rules"))
SEVERITIES = ("high", "medium", "low")
Progress = Callable[[int, int], None]


@dataclass
class ResponseResult:
    response_id: str
    status: str
    identified_on: str
    source: str
    findings: list[Finding]
    local_authority: str | None = None
    timeline: list[dict] = field(default_factory=list)  # [{event, date}] from checker.timeline

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for f in self.findings:
            out[f.status] += 1
        return out

    def gaps(self) -> list[Finding]:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted((f for f in self.findings if f.status == "gap"),
                      key=lambda f: (order[f.severity], f.rule))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"response_id": self.response_id, "status": self.status,
                               "identified_on": self.identified_on, "source": self.source}
        if self.local_authority:
            out["local_authority"] = self.local_authority
        out["counts"] = self.counts()
        if self.timeline:
            out["timeline"] = self.timeline
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


@dataclass
class Report:
    as_of: dt.date
    rulebook: Rulebook
    responses: list[ResponseResult] = field(default_factory=list)
    input_errors: list[InputError] = field(default_factory=list)
    groups: list[dict] | None = None
    detection: dict | None = None  # rules, digest and counts of the group detection (--incidents)
    # Nightly operation (checker.waivers, checker.baseline); None when not asked for:
    waivers: dict | None = None     # {"source", "expired": [...], "unused": [...]}
    baseline: dict | None = None    # {"source", "as_of", "ruleset_digest"}
    resolved: list[dict] | None = None  # baseline gaps that are no longer gaps

    def summary(self) -> dict[str, Any]:
        statuses = {s: 0 for s in STATUSES}
        gaps_by_severity = {s: 0 for s in SEVERITIES}
        for r in self.responses:
            for f in r.findings:
                statuses[f.status] += 1
                if f.status == "gap":
                    gaps_by_severity[f.severity] += 1
        out = {
            "responses_checked": len(self.responses),
            "responses_with_gaps": sum(1 for r in self.responses if r.gaps()),
            "findings": statuses,
            "gaps_by_severity": gaps_by_severity,
            "input_errors": len(self.input_errors),
        }
        if self.groups is not None:
            out["groups"] = len(self.groups)
            out["groups_unescalated"] = sum(1 for g in self.groups if not g.get("escalated"))
        if self.waivers is not None:
            waived = sum(1 for r in self.responses for f in r.findings if f.status == "gap" and f.waived)
            out["gaps_waived"] = waived
            out["gaps_unwaived"] = self.gap_count - waived
        if self.baseline is not None:
            deltas = [f.delta for r in self.responses for f in r.findings if f.status == "gap"]
            out["gaps_new"] = deltas.count("new")
            out["gaps_persisting"] = deltas.count("persisting")
            out["gaps_resolved"] = len(self.resolved or [])
        return out

    @property
    def gap_count(self) -> int:
        """Gaps of the responses, and of the possible groups (unescalated or escalated late)."""
        group_gaps = sum(1 for g in self.groups or () for f in g.get("findings", []) if f.get("status") == "gap")
        return sum(len(r.gaps()) for r in self.responses) + group_gaps

    def to_dict(self) -> dict[str, Any]:
        rb = self.rulebook
        out: dict[str, Any] = {
            "tool": {"name": "shg-check", "version": __version__},
            "ruleset": {"version": rb.version, "digest": rb.digest, "rules": len(rb.rules)},
            "as_of": self.as_of.isoformat(),
            "parameters": [p.to_dict() for p in rb.parameters.values()],
            "summary": self.summary(),
            "responses": [r.to_dict() for r in self.responses],
            "input_errors": [e.to_dict() for e in self.input_errors],
        }
        if self.groups is not None:
            out["groups"] = self.groups
        if self.detection is not None:
            out["detection"] = self.detection
        if self.waivers is not None:
            out["waivers"] = self.waivers
        if self.baseline is not None:
            out["delta"] = {"baseline": self.baseline, "resolved": self.resolved or []}
        return out


class Checker:
    """Evaluates validated records with one rulebook; reuse it across many records."""

    def __init__(self, rulebook: Rulebook, engine: str = "durable"):
        self.rulebook = rulebook
        self.engine_name = engine
        self._engine = RulesEngine(rulebook.rules) if engine == "durable" else None

    def outcomes(self, facts: list[dict]):
        if self._engine is not None:
            return self._engine.evaluate(facts)
        return oracle_evaluate(self.rulebook.rules, facts)

    def check_record(self, record: dict, as_of: dt.date) -> list[Finding]:
        outcomes = self.outcomes(response_facts(record, as_of))
        return [resolve(rule, outcomes[rule.id]) for rule in self.rulebook.rules]

    def check_records(self, records: Iterable[Record], as_of: dt.date,
                      progress: Progress | None = None) -> tuple[list[ResponseResult], list[InputError]]:
        results, errors = [], []
        records = list(records)
        for n, rec in enumerate(records, 1):
            data = rec.data
            try:
                findings = self.check_record(data, as_of)
            except EngineError as exc:
                errors.append(InputError(rec.source, data["response_id"], "",
                                         f"could not be evaluated: {exc}", rec.line))
            else:
                results.append(ResponseResult(data["response_id"], data["status"], data["identified_on"],
                                              rec.source, findings, data.get("local_authority"),
                                              response_timeline(data)))
            if progress:
                progress(n, len(records))
        return results, errors


def check(paths: Sequence[str | os.PathLike[str]], as_of: dt.date | None = None,
          rules_dir: str | os.PathLike[str] | None = None, params_file: str | os.PathLike[str] | None = None,
          engine: str = "durable", progress: Progress | None = None,
          waivers_file: str | os.PathLike[str] | None = None,
          baseline_file: str | os.PathLike[str] | None = None,
          pseudonymise_key_file: str | os.PathLike[str] | None = None,
          incidents: Sequence[str | os.PathLike[str]] | None = None,
          mapping: str | os.PathLike[str] | None = None) -> Report:
    """Load, validate and check every response record under ``paths``.

    With ``incidents`` (incident feed files or folders), also find possible groups in the feeds and
    check each against the response records (``report.groups``; see checker/groups.py).
    Optional nightly steps, in this order: accepted gaps from ``waivers_file``
    are marked waived; children's ids are replaced by keyed hashes
    (``pseudonymise_key_file``); gaps are compared with ``baseline_file`` (a
    previous JSON report, made with the same key when pseudonymised). Every
    option file is read before any record is checked (a ConfigError: nothing checked).
    ``mapping``: a mapping file for .xlsx / CSV-table inputs (default: the tracker template's).
    """
    from .baseline import apply_baseline, load_baseline
    from .pseudonymise import collect_child_ids, load_key, pseudonymise_report
    from .waivers import apply_waivers, load_waivers

    rules_dir = Path(rules_dir or DEFAULT_RULES)
    rulebook = load_rulebook(rules_dir, Path(params_file) if params_file else None)
    as_of = as_of or dt.date.today()
    waivers = load_waivers(waivers_file, rulebook) if waivers_file else None
    baseline = load_baseline(baseline_file) if baseline_file else None
    key = load_key(pseudonymise_key_file) if pseudonymise_key_file else None
    detection_rules = None
    if incidents:  # bad detection rules or feed paths stop the run before any work
        detection_rules = load_detection_rules(rules_dir, rulebook.parameters)
        iter_raw(incidents, "incident")
    loaded = load_responses(paths, mapping)
    checker = Checker(rulebook, engine)
    results, errors = checker.check_records(loaded.records, as_of, progress)
    results.sort(key=lambda r: r.response_id)
    report = Report(as_of, rulebook, results, loaded.errors + errors)
    if incidents:
        found = find_groups(incidents, as_of, rules_dir, rulebook.parameters, [r.data for r in loaded.records],
                            detection_rules)
        report.groups, report.detection = found.group_dicts(), found.meta()
        report.input_errors += found.input_errors
    if waivers is not None:
        apply_waivers(report, waivers)
    if key is not None:
        pseudonymise_report(report, key, collect_child_ids(r.data for r in loaded.records))
    if baseline is not None:
        apply_baseline(report, baseline)
    return report


def detect(feeds: Sequence[str | os.PathLike[str]], as_of: dt.date | None = None,
           rules_dir: str | os.PathLike[str] | None = None,
           params_file: str | os.PathLike[str] | None = None) -> GroupResult:
    """Find possible groups in incident feeds alone: no response records, so escalation is not checked."""
    rules_dir = Path(rules_dir or DEFAULT_RULES)
    if not rules_dir.is_dir():
        raise ConfigError(f"{rules_dir}: rules directory not found")
    params = load_parameters(rules_dir / PARAMETERS_FILE, Path(params_file) if params_file else None)
    return find_groups(feeds, as_of or dt.date.today(), rules_dir, params)
