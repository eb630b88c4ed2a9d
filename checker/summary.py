"""The one summary model of a report: every writer and the exit code read it.

``summarise(report)`` counts once, from one flat list of the report's findings
(responses' and groups'), and returns a :class:`Summary`:

* findings by status, counted generically (any status value a rule can give,
  ``advisory`` included: advice is shown, never a gap, never failing);
* gaps (responses' and groups') by severity, by delta (new / persisting /
  resolved) and by waiver (waived / waiver expired);
* groups by escalation state, and the groups that need action (a gap: not
  escalated, or escalated late);
* the gaps that fail the run under ``--fail-on`` (``high``, ``medium``, ``low``,
  ``never``, or ``new``: only unwaived gaps that are new since the baseline),
  the exit code, and the reason for it in plain words;
* notices a reader must not miss (a baseline from another ruleset, a first
  night without a baseline, the selection of responses).

Exit codes: 3 for input errors; else 1 when a gap fails; else 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("high", "medium", "low")
FAIL_ON = ("high", "medium", "low", "never", "new")
ADVICE_STATUSES = ("advisory",)
EXIT_OK, EXIT_GAPS, EXIT_INPUT_ERRORS = 0, 1, 3
BASE_STATUSES = ("met", "gap", "pending", "not_applicable", "insufficient_data")
NEEDS_ACTION = ("not_escalated", "escalated_late")


def fails(row: dict, fail_on: str, first_night: bool = False) -> bool:
    """Does this finding row fail the run under ``fail_on``? Only unwaived gaps can."""
    if row["status"] != "gap" or row["waived"] or fail_on == "never":
        return False
    if fail_on == "new":
        return row["delta"] == "new" and not first_night
    if row["severity"] not in SEVERITIES:
        return True  # an unknown severity is never silently passed
    return SEVERITIES.index(row["severity"]) <= SEVERITIES.index(fail_on)


@dataclass
class Summary:
    as_of: str
    fail_on: str
    responses_checked: int
    responses_with_gaps: int
    findings: dict[str, int]            # response findings by status (any status)
    group_findings: dict[str, int]      # group findings by status
    gaps: int                           # responses' + groups'
    gaps_in_responses: int
    gaps_in_groups: int
    gaps_by_severity: dict[str, int]
    advisory: int
    input_errors: int
    groups: int | None = None
    groups_by_escalation: dict[str, int] = field(default_factory=dict)
    groups_needing_action: int = 0
    waivers_given: bool = False
    gaps_waived: int = 0
    gaps_waiver_expired: int = 0
    waivers_unused: int = 0
    baseline_given: bool = False
    first_night: bool = False
    gaps_new: int = 0
    gaps_persisting: int = 0
    gaps_resolved: int = 0
    failing: int = 0
    groups_not_checked: int = 0         # found without response records (detect): each needs a look
    exit_code: int = 0
    reason: str = ""
    notices: list[str] = field(default_factory=list)
    selection: dict | None = None
    # Effective dating (issue 11): the chapter version(s) and rule set version used, in words, for every
    # format; warnings for a chapter or rule past its review date (relative to as_of) are in ``notices``.
    versions: str = ""
    chapter_versions: list[dict] = field(default_factory=list)

    @property
    def gaps_unwaived(self) -> int:
        return self.gaps - self.gaps_waived

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``summary`` (v1 keys kept; the rest added)."""
        out: dict[str, Any] = {
            "responses_checked": self.responses_checked,
            "responses_with_gaps": self.responses_with_gaps,
            "findings": dict(self.findings),
            "gaps_by_severity": dict(self.gaps_by_severity),
            "input_errors": self.input_errors,
            "gaps": self.gaps, "gaps_in_responses": self.gaps_in_responses, "gaps_in_groups": self.gaps_in_groups,
            "advisory": self.advisory,
        }
        if self.groups is not None:
            out["groups"] = self.groups
            out["groups_unescalated"] = self.groups_by_escalation.get("not_escalated", 0)
            out["groups_by_escalation"] = dict(self.groups_by_escalation)
            out["groups_needing_action"] = self.groups_needing_action
            out["group_findings"] = dict(self.group_findings)
        if self.waivers_given:
            out["gaps_waived"] = self.gaps_waived
            out["gaps_unwaived"] = self.gaps_unwaived
            out["gaps_waiver_expired"] = self.gaps_waiver_expired
            out["waivers_unused"] = self.waivers_unused
        if self.baseline_given:
            out["gaps_new"] = self.gaps_new
            out["gaps_persisting"] = self.gaps_persisting
            out["gaps_resolved"] = self.gaps_resolved
        if self.first_night:
            out["first_night"] = True
        out["exit"] = {"code": self.exit_code, "fail_on": self.fail_on, "failing_gaps": self.failing,
                       "reason": self.reason}
        if self.groups_not_checked:
            out["groups_not_checked"] = self.groups_not_checked
        if self.notices:
            out["notices"] = list(self.notices)
        if self.selection is not None:
            out["selection"] = dict(self.selection)
        if self.versions:
            out["versions"] = self.versions
            out["chapter_versions"] = [dict(v) for v in self.chapter_versions]
        return out

    def gaps_phrase(self) -> str:
        sev = self.gaps_by_severity
        return f"{self.gaps} gaps (high {sev['high']}, medium {sev['medium']}, low {sev['low']})"

    def line(self) -> str:
        """The one-line nightly summary: what changed, and why the exit code is what it is."""
        parts = [f"{self.responses_checked} responses", self.gaps_phrase()]
        if self.groups is not None:
            parts.append(f"{self.groups} possible groups ({self.groups_needing_action} need action)")
        if self.baseline_given and not self.first_night:
            parts.append(f"{self.gaps_new} new, {self.gaps_persisting} persisting, {self.gaps_resolved} resolved")
        elif self.first_night:
            parts.append("first night: no baseline to compare with")
        if self.waivers_given:
            parts.append(f"{self.gaps_waived} waived, {self.gaps_waiver_expired} waiver expired")
        if self.advisory:
            parts.append(f"{self.advisory} advisory")
        parts.append(f"{self.input_errors} input errors")
        return "; ".join(parts) + f". Exit {self.exit_code}: {self.reason}"


def _fail_words(fail_on: str) -> str:
    if fail_on == "new":
        return "new since the baseline"
    if fail_on == "high":
        return "of high severity"
    return f"of {fail_on} severity or above" if fail_on != "low" else "of any severity"


def _n(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _reason(s: Summary) -> str:
    if s.input_errors:
        return (f"{_n(s.input_errors, 'input error')}: those records or rows were not checked "
                f"({_n(s.failing, 'failing gap')} besides)")
    if s.failing:
        return f"{_n(s.failing, 'unwaived gap')} {_fail_words(s.fail_on)} (--fail-on {s.fail_on})"
    if s.groups_not_checked:
        return (f"{_n(s.groups_not_checked, 'possible group')} not checked for escalation (no response records "
                "given): each needs a look")
    if not s.gaps:
        return "no gaps and no input errors"
    if s.fail_on == "never":
        return f"{_n(s.gaps, 'gap')}, but --fail-on never"
    if s.fail_on == "new" and s.first_night:
        return f"{_n(s.gaps, 'gap')}, none new: this is the first night (no baseline yet)"
    left = s.gaps - s.gaps_waived
    if not left:
        return f"every gap ({s.gaps}) is waived"
    return f"{_n(s.gaps, 'gap')}, none unwaived and {_fail_words(s.fail_on)} (--fail-on {s.fail_on})"


def summarise(report, fail_on: str | None = None) -> Summary:
    from .reporting.rows import iter_finding_rows

    fail_on = fail_on or getattr(report, "fail_on", None) or "low"
    first_night = bool(getattr(report, "first_night", False))
    rows = iter_finding_rows(report)  # (one row at a time: never every finding as a row at once)
    findings = {s: 0 for s in BASE_STATUSES}
    group_findings = {s: 0 for s in BASE_STATUSES}
    by_sev = {s: 0 for s in SEVERITIES}
    gaps = gaps_r = gaps_g = advisory = waived = expired = new = persisting = failing = 0
    with_gaps: set[str] = set()
    for row in rows:
        if not row["status"]:   # a resolved baseline gap not checked this run: only in the delta
            continue
        target = findings if row["kind"] == "response" else group_findings
        target[row["status"]] = target.get(row["status"], 0) + 1
        if row["status"] in ADVICE_STATUSES:
            advisory += 1
        if row["status"] != "gap":
            continue
        gaps += 1
        if row["kind"] == "response":
            gaps_r += 1
            with_gaps.add(row["response_id"])
        else:
            gaps_g += 1
        by_sev[row["severity"]] = by_sev.get(row["severity"], 0) + 1
        waived += bool(row["waived"])
        expired += bool(row["waiver_expired"])
        new += row["delta"] == "new"
        persisting += row["delta"] == "persisting"
        failing += fails(row, fail_on, first_night)
    s = Summary(as_of=report.as_of.isoformat(), fail_on=fail_on, responses_checked=len(report.responses),
                responses_with_gaps=len(with_gaps), findings=findings, group_findings=group_findings, gaps=gaps,
                gaps_in_responses=gaps_r, gaps_in_groups=gaps_g, gaps_by_severity=by_sev, advisory=advisory,
                input_errors=len(report.input_errors))
    if report.groups is not None:
        s.groups = len(report.groups)
        states: dict[str, int] = {}
        for g in report.groups:  # (counted: the order does not matter)
            state = g.get("escalation") or "not_checked"
            states[state] = states.get(state, 0) + 1
        s.groups_by_escalation = dict(sorted(states.items()))
        s.groups_needing_action = sum(1 for g in report.groups if group_needs_action(g))
    if report.waivers is not None:
        s.waivers_given = True
        s.gaps_waived, s.gaps_waiver_expired = waived, expired
        s.waivers_unused = len(report.waivers.get("unused") or [])
    if report.baseline is not None or first_night:
        s.baseline_given = True
        s.first_night = first_night
        s.gaps_new, s.gaps_persisting = new, persisting
        s.gaps_resolved = len(report.resolved or [])
    s.failing = failing
    s.groups_not_checked = sum(1 for g in report.groups or [] if group_not_checked(g) and fail_on != "never")
    s.exit_code = (EXIT_INPUT_ERRORS if s.input_errors else EXIT_GAPS if failing or s.groups_not_checked
                   else EXIT_OK)
    s.reason = _reason(s)
    s.notices = notices(report)
    s.selection = getattr(report, "selection", None)
    rb = getattr(report, "rulebook", None)
    if rb is not None and getattr(rb, "chapter_versions", None):
        s.versions = rb.versions_words()
        s.chapter_versions = [v.to_dict() for v in rb.chapter_versions]
    return s


def group_not_checked(group: dict) -> bool:
    """Found without response records (``detect``): nobody has checked whether it was escalated."""
    state = group.get("escalation")
    return state == "not_checked" or (state is None and group.get("escalated") is None)


def group_needs_action(group: dict) -> bool:
    """A group with a gap (not escalated, or escalated late), or one not checked for escalation at all."""
    if group_not_checked(group):
        return True
    return any(isinstance(f, dict) and f.get("status") == "gap" for f in group.get("findings") or [])


def notices(report) -> list[str]:
    """What every format must say prominently, in plain words (no child ids, no free text)."""
    out = list(getattr(report, "notices", None) or [])
    if report.baseline is not None and report.baseline.get("same_ruleset") is False:
        out.append(f"The baseline ({report.baseline.get('as_of')}) was made with another ruleset "
                   f"(sha256 {str(report.baseline.get('ruleset_digest'))[:12]}): new and resolved gaps may come "
                   f"from rule changes, not from the records.")
    sel = getattr(report, "selection", None)
    if sel:
        out.append("Only some responses were checked: " + selection_words(sel) + ".")
    rb = getattr(report, "rulebook", None)
    if rb is not None and getattr(rb, "chapter_versions", None):
        from .versions import review_notices
        out += review_notices(rb.chapter_versions, rb.versions, report.as_of)
    return out


def selection_words(sel: dict) -> str:
    parts = []
    if sel.get("status"):
        parts.append(f"{sel['status']} responses")
    if sel.get("identified_from") or sel.get("identified_to"):
        parts.append(f"identified {sel.get('identified_from') or 'any time'} to {sel.get('identified_to') or 'now'}")
    if sel.get("local_authority"):
        parts.append(f"local authority {', '.join(sel['local_authority'])}")
    left = sel.get("left_out", 0)
    return ", ".join(parts) + f" ({left} other responses left out)"
