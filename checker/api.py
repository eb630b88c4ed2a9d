"""The library API the CLI is a thin layer over: check response records, get a Report.

inputs -> validated records -> facts -> engine -> findings -> report
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from . import __version__, bundled
from .engine import EngineError, RulesEngine
from .detection_rules import load_detection_rules
from .errors import ConfigError, InputError, UsageError
from .limits import DATE_RANGE_MESSAGE, MAX_INPUT_BYTES, in_date_range
from .groups import GroupResult, find_groups
from .facts import response_facts
from .findings import STATUSES, Finding, resolve_versions
from .inputs_guard import contained_error
from .loading import iter_raw, record_label
from .oracle import evaluate as oracle_evaluate
from .params import load_parameters
from .rulebook import PARAMETERS_FILE, Rulebook, load_rulebook
from .timeline import response_timeline
from .parallel import check_stream
from .validation import Record, iter_responses, load_responses, nothing_usable_error
from .vocab import with_vocabularies

if TYPE_CHECKING:
    from .selection import Selection

DEFAULT_RULES = bundled.rules_dir()  # $SHG_CHECK_RULES, else the rules shipped in the package (checker/bundled.py)
SEVERITIES = ("high", "medium", "low")
Progress = Callable[[int, int | None], None]  # (records checked, total or None when streamed)


@dataclass(slots=True)
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
            out[f.status] = out.get(f.status, 0) + 1
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
    # Read by the one summary model (checker/summary.py) that every writer and the exit code use:
    fail_on: str = "low"                 # --fail-on: high | medium | low | never | new
    first_night: bool = False            # --baseline named a file that does not exist yet
    selection: dict | None = None        # --status / --identified-from/-to / --local-authority
    notices: list[str] = field(default_factory=list)
    pseudonymisation: dict | None = None  # {"key_fingerprint"} when --pseudonymise
    csv_rows: str = "gaps"               # --csv-rows: gaps | all
    history: dict | None = None          # --history: the trend the HTML charts (checker/history.py)
    policy_file: str | None = None       # --policy: the chapter the reports quote (None: the default)

    def summary_model(self):
        from .summary import summarise

        return summarise(self)

    def summary(self) -> dict[str, Any]:
        return self.summary_model().to_dict()

    @property
    def gap_count(self) -> int:
        """Gaps of the responses, and of the possible groups (unescalated or escalated late)."""
        group_gaps = sum(1 for g in self.groups or () for f in g.get("findings", []) if f.get("status") == "gap")
        return sum(len(r.gaps()) for r in self.responses) + group_gaps

    def to_dict(self, responses: bool = True) -> dict[str, Any]:
        """The JSON report as a dict (``responses=False``: with ``"responses": []``, for a writer that streams
        them; checker/reporting/json_report.py)."""
        rb = self.rulebook
        out: dict[str, Any] = {
            "tool": {"name": "shg-check", "version": __version__},
            "ruleset": {"version": rb.version, "digest": rb.digest, "rules": len(rb.rules),
                        **({"chapter_versions": [v.to_dict() for v in rb.chapter_versions]}
                           if rb.chapter_versions else {})},
            "as_of": self.as_of.isoformat(),
            "parameters": [p.to_dict() for p in rb.parameters.values()],
            "summary": self.summary(),
            "responses": [r.to_dict() for r in self.responses] if responses else [],
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
        if self.pseudonymisation is not None:
            out["pseudonymisation"] = self.pseudonymisation
        return out


# Compiled engines kept for reuse in this process (a test run, a long-lived caller of the API): building one
# compiles every rule into its durable-rules variants (0.15 s of CPU for the bundled rules, twice that under
# coverage), and an engine is a function of its rules only (equal Rule values compile to the same rulesets;
# each record is evaluated under a sid of its own and its state deleted). A Checker takes an idle engine for
# equal rules or builds one; it is given back when the Checker is collected, so no two Checkers ever share
# one, and only if no evaluation was cut short by an exception other than EngineError (the engine stays
# usable after an EngineError: the run goes on with it).
_IDLE_ENGINES: OrderedDict[tuple, list[RulesEngine]] = OrderedDict()
_IDLE_LOCK = threading.Lock()
_IDLE_MAX_RULE_SETS = 4
_IDLE_MAX_PER_RULE_SET = 2


def _take_engine(rules: list) -> tuple[RulesEngine, tuple | None]:
    key: tuple | None = tuple(rules)
    try:
        hash(key)
    except TypeError:  # pragma: no cover - every field of a Rule is hashable
        key = None
    if key is not None:
        with _IDLE_LOCK:
            idle = _IDLE_ENGINES.get(key)
            if idle:
                _IDLE_ENGINES.move_to_end(key)
                return idle.pop(), key
    return RulesEngine(rules), key


def _give_back(key: tuple, engine: RulesEngine, clean: list[bool], pid: int) -> None:
    if not clean[0] or os.getpid() != pid:  # cut short, or a forked worker's copy
        return
    with _IDLE_LOCK:
        idle = _IDLE_ENGINES.setdefault(key, [])
        _IDLE_ENGINES.move_to_end(key)
        if len(idle) < _IDLE_MAX_PER_RULE_SET:
            idle.append(engine)
        while len(_IDLE_ENGINES) > _IDLE_MAX_RULE_SETS:
            _IDLE_ENGINES.popitem(last=False)


class Checker:
    """Evaluates validated records with one rulebook; reuse it across many records."""

    def __init__(self, rulebook: Rulebook, engine: str = "durable"):
        self.rulebook = rulebook
        self.engine_name = engine
        self._engine = None
        self._clean = [True]
        if engine == "durable":
            self._engine, key = _take_engine(rulebook.all_rules())
            if key is not None:
                weakref.finalize(self, _give_back, key, self._engine, self._clean, os.getpid())

    def outcomes(self, facts: list[dict]):
        if self._engine is not None:
            self._clean[0] = False
            try:
                found = self._engine.evaluate(facts)
            except EngineError:
                self._clean[0] = True
                raise
            self._clean[0] = True
            return found
        return oracle_evaluate(self.rulebook.all_rules(), facts)

    def check_record(self, record: dict, as_of: dt.date) -> list[Finding]:
        """Every rule's finding: each judged by the rule version in force on the identification date."""
        outcomes = self.outcomes(response_facts(record, as_of))
        judged_on = str(record.get("identified_on") or "") or None
        return [resolve_versions(self.rulebook.versions_of(rule.id), outcomes[rule.id], judged_on)
                for rule in self.rulebook.rules]

    def check_records(self, records: Iterable[Record], as_of: dt.date,
                      progress: Progress | None = None) -> tuple[list[ResponseResult], list[InputError]]:
        results, errors = [], []
        records = list(records)
        for n, rec in enumerate(records, 1):
            data = rec.data
            try:
                findings = self.check_record(data, as_of)
                result = ResponseResult(data["response_id"], data["status"], data["identified_on"],
                                        rec.source, findings, data.get("local_authority"),
                                        response_timeline(data))
            except EngineError as exc:
                errors.append(InputError(rec.source, record_label(data, "response_id", rec.position), "",
                                         f"could not be evaluated: {exc}", rec.line))
            except Exception as exc:  # containment: one record's failure is that record's input error
                errors.append(contained_error(rec, "response_id", exc))
            else:
                results.append(result)
            if progress:
                progress(n, len(records))
        return results, errors


LINT_SHOWN = 3   # problems named in check's one-line refusal


def refuse_unlinted(rulebook: Rulebook, policy_file: str | os.PathLike[str] | None = None) -> None:
    """A ConfigError (one line) when the loaded rule set fails ``rules lint`` against the chapter."""
    from .authoring import lint_rulebook
    from .policy import load_policy

    policy = load_policy(Path(policy_file) if policy_file else None)
    problems = lint_rulebook(rulebook, policy)
    if problems:
        more = len(problems) - LINT_SHOWN
        shown = "; ".join(problems[:LINT_SHOWN]) + (f"; and {more} more" if more > 0 else "")
        raise ConfigError(f"the rules fail `shg-check rules lint` ({len(problems)} problem(s)), nothing checked: "
                          f"{shown}")


@with_vocabularies
def check(paths: Sequence[str | os.PathLike[str]], as_of: dt.date | None = None,
          rules_dir: str | os.PathLike[str] | None = None, params_file: str | os.PathLike[str] | None = None,
          engine: str = "durable", progress: Progress | None = None,
          waivers_file: str | os.PathLike[str] | None = None,
          baseline_file: str | os.PathLike[str] | None = None,
          pseudonymise_key_file: str | os.PathLike[str] | None = None,
          incidents: Sequence[str | os.PathLike[str]] | None = None,
          selection: "Selection | None" = None, fail_on: str = "low", jobs: int = 1,
          mapping: str | os.PathLike[str] | None = None,
          vocab_files: Sequence[str | os.PathLike[str]] = (),
          policy_file: str | os.PathLike[str] | None = None) -> Report:
    """Load, validate and check every response record under ``paths``.

    The rule set must pass ``shg-check rules lint`` against the chapter (``policy_file``, default
    policy/chapter.yaml): a rule set that fails it is refused before any record is read (a ConfigError
    naming the first problems with file:line:column). The check reuses the rule files already loaded.

    With ``incidents`` (incident feed files or folders), also find possible groups in the feeds and
    check each against the response records (``report.groups``; see checker/groups.py).
    Optional nightly steps, in this order: accepted gaps from ``waivers_file``
    are marked waived; children's ids are replaced by keyed hashes
    (``pseudonymise_key_file``); gaps are compared with ``baseline_file`` (a
    previous JSON report, made with the same key when pseudonymised; a baseline
    file that does not exist yet is a first night). Every
    option file is read before any record is checked (a ConfigError: nothing checked).
    ``selection`` (checker.selection) picks the responses checked.
    Records are streamed; with ``jobs`` > 1 they are checked by that many worker processes
    (checker/parallel.py), with the same report as ``jobs=1``.
    ``mapping``: a mapping file for .xlsx / CSV-table inputs (default: the tracker template's).
    ``vocab_files``: vocabulary overrides layered on the rules directory's vocabularies (checker/vocab.py).
    """
    from .baseline import apply_baseline, check_key, load_baseline
    from .pseudonymise import key_fingerprint, load_key, pseudonymise_report
    from .waivers import apply_waivers, load_waivers

    first_night = bool(baseline_file) and not Path(baseline_file).exists()
    if first_night:
        baseline_file = None

    rules_dir = Path(rules_dir or DEFAULT_RULES)
    rulebook = load_rulebook(rules_dir, Path(params_file) if params_file else None)
    refuse_unlinted(rulebook, policy_file)
    as_of = _as_of(as_of)
    waivers = load_waivers(waivers_file, rulebook) if waivers_file else None
    _regular_file(baseline_file, "--baseline", MAX_INPUT_BYTES)
    _regular_file(pseudonymise_key_file, "--pseudonymise key", 1 << 20)
    baseline = load_baseline(baseline_file) if baseline_file else None
    key = load_key(pseudonymise_key_file) if pseudonymise_key_file else None
    if baseline is not None:
        check_key(baseline, key_fingerprint(key) if key else None)
    detection_rules = None
    if incidents:  # bad detection rules or feed paths stop the run before any work
        detection_rules = load_detection_rules(rulebook.detection_dir, rulebook.parameters)
        iter_raw(incidents, "incident")
    items = iter_responses(paths, mapping)  # streamed: each record is read, validated, checked and let go
    checker = Checker(rulebook, engine)
    streamed = check_stream(checker, items, as_of, jobs, progress, child_ids=key is not None,
                            keep=selection.keeps if selection else None)
    results = streamed.results
    results.sort(key=lambda r: r.response_id)
    if not results.spooled:  # a list, as the library has always given; else bounded memory (checker/kept.py)
        results = results[:]
    if not streamed.responses and not streamed.load_errors:  # the empty-input rule: never a clean night
        streamed.load_errors.append(nothing_usable_error(paths, "response", "response records"))
    chosen_info = {**selection.to_dict(), "left_out": streamed.left_out} if selection else None
    report = Report(as_of, rulebook, results, streamed.load_errors + streamed.engine_errors, fail_on=fail_on,
                    first_night=first_night, selection=chosen_info,
                    policy_file=str(policy_file) if policy_file else None)
    if incidents:
        found = find_groups(incidents, as_of, rulebook.detection_dir, rulebook.parameters, streamed.responses,
                            detection_rules, jobs=jobs)
        report.groups, report.detection = found.group_dicts(), found.meta()
        report.input_errors += found.input_errors
    if waivers is not None:
        apply_waivers(report, waivers)
    if baseline is not None:
        apply_baseline(report, baseline)
    if key is not None:
        pseudonymise_report(report, key, streamed.child_ids)
    return report


@with_vocabularies
def detect_report(feeds: Sequence[str | os.PathLike[str]], as_of: dt.date | None = None,
                  rules_dir: str | os.PathLike[str] | None = None, params_file: str | os.PathLike[str] | None = None,
                  responses: Sequence[str | os.PathLike[str]] | None = None,
                  pseudonymise_key_file: str | os.PathLike[str] | None = None, fail_on: str = "low",
                  vocab_files: Sequence[str | os.PathLike[str]] = (), jobs: int = 1) -> Report:
    """``shg-check detect`` as a Report every writer renders: the groups in the feeds; with ``responses``
    (response record files or folders) each group is checked for escalation (the responses' own rules are not);
    without, every group is 'not checked' and needs a look."""
    from .pseudonymise import collect_child_ids, load_key, pseudonymise_report

    rules_dir = Path(rules_dir or DEFAULT_RULES)
    if not rules_dir.is_dir():
        raise ConfigError(f"{rules_dir}: rules directory not found")
    params = load_parameters(rules_dir / PARAMETERS_FILE, Path(params_file) if params_file else None)
    as_of = as_of or dt.date.today()
    key = load_key(pseudonymise_key_file) if pseudonymise_key_file else None
    ruleset = load_detection_rules(rules_dir, params)
    rulebook = Rulebook([], params, rules_dir, ruleset.digest,
                        f"{len(ruleset.rules)} detection rules, sha256 {ruleset.digest[:12]}",
                        chapter_versions=_chapter_versions(rules_dir, params))
    records, errors = [], []
    if responses:
        loaded = load_responses(responses)
        records, errors = [r.data for r in loaded.records], list(loaded.errors)
    found = find_groups(feeds, as_of, rules_dir, params, records if responses else None, ruleset, jobs=jobs)
    report = Report(as_of, rulebook, [], errors + found.input_errors, groups=found.group_dicts(),
                    detection=found.meta(), fail_on=fail_on)
    if key is not None:
        pseudonymise_report(report, key, collect_child_ids(records))
    return report


@with_vocabularies
def detect(feeds: Sequence[str | os.PathLike[str]], as_of: dt.date | None = None,
           rules_dir: str | os.PathLike[str] | None = None,
           params_file: str | os.PathLike[str] | None = None,
           vocab_files: Sequence[str | os.PathLike[str]] = (), jobs: int = 1) -> GroupResult:
    """Find possible groups in incident feeds alone: no response records, so escalation is not checked.
    ``jobs`` > 1: a large feed is read and its groups found on two cores, with the same result."""
    rules_dir = Path(rules_dir or DEFAULT_RULES)
    if not rules_dir.is_dir():
        raise ConfigError(f"{rules_dir}: rules directory not found")
    params = load_parameters(rules_dir / PARAMETERS_FILE, Path(params_file) if params_file else None)
    return find_groups(feeds, _as_of(as_of), rules_dir, params, jobs=jobs)


def _chapter_versions(rules_dir: Path, params: dict) -> list:
    """The chapter version of a rules folder, for reports that load no response rules (detect)."""
    from .versions import version_chain

    chain = version_chain(rules_dir)[:1]
    in_force = params.get("chapter_in_force_from")
    chain[0].valid_from = str(in_force.value) if in_force is not None else "1900-01-01"
    return chain


def _regular_file(path: str | os.PathLike[str] | None, what: str, limit: int) -> None:
    """A FIFO, a device (/dev/zero) or an oversized file given as an option file is a ConfigError, not a hang."""
    if not path or not os.path.exists(path):
        return  # (a missing file is reported by its own loader)
    if not os.path.isfile(path):
        raise ConfigError(f"{os.fspath(path)}: {what} file is not a regular file (a pipe, device or folder)")
    if os.path.getsize(path) > limit:
        raise ConfigError(f"{os.fspath(path)}: {what} file is larger than {limit >> 20} MiB")


def _as_of(as_of: dt.date | None) -> dt.date:
    """The date of the check: today by default; outside the supported date range a UsageError (exit 2)."""
    day = as_of or dt.date.today()
    if not in_date_range(day):
        raise UsageError(f"--as-of {DATE_RANGE_MESSAGE}")
    return day
