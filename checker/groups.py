"""Possible groups from incident feeds, end to end: load -> validate -> episodes -> detect -> escalation check.

The library functions behind ``shg-check check --incidents`` and ``shg-check detect``.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from . import __version__
from .detection import Group, detect
from .detection_rules import DetectionRuleset, load_detection_rules
from .errors import InputError
from .escalation import EscalationChecker
from .params import Parameter
from .feedscan import read_feeds
from .validation import nothing_usable_error


@dataclass
class GroupResult:
    """The groups found in the feeds, and what was read and left out."""

    as_of: dt.date
    ruleset: DetectionRuleset
    groups: list[Group] = field(default_factory=list)
    input_errors: list[InputError] = field(default_factory=list)
    incidents_read: int = 0
    episodes_counted: int = 0
    adults_left_out: int = 0
    after_as_of_left_out: int = 0
    escalation_checked: bool = False

    def group_dicts(self) -> list[dict[str, Any]]:
        with _fewer_collections():
            return [g.to_dict() for g in self.groups]

    def gap_count(self) -> int:
        return sum(1 for g in self.groups for f in (g.escalation or {}).get("findings", []) if f["status"] == "gap")

    def meta(self) -> dict[str, Any]:
        """What the report says about the detection: rules, digest and counts (no child ids)."""
        return {
            "rules": [r.to_dict() for r in self.ruleset.rules], "digest": self.ruleset.digest,
            "incidents_read": self.incidents_read, "episodes_counted": self.episodes_counted,
            "left_out": {"adult_at_episode": self.adults_left_out, "after_as_of": self.after_as_of_left_out},
            "escalation_checked": self.escalation_checked,
        }

    def summary(self) -> dict[str, Any]:
        by_status: dict[str, int] = {}
        for g in self.groups:
            state = (g.escalation or {}).get("escalation", "not_checked")
            by_status[state] = by_status.get(state, 0) + 1
        return {"groups": len(self.groups), "groups_by_escalation": dict(sorted(by_status.items())),
                "group_gaps": self.gap_count(), "input_errors": len(self.input_errors)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``shg-check detect``: like the check report, without responses."""
        return {
            "tool": {"name": "shg-check", "version": __version__},
            "ruleset": {"version": f"{len(self.ruleset.rules)} detection rules, sha256 {self.ruleset.digest[:12]}",
                        "digest": self.ruleset.digest},
            "as_of": self.as_of.isoformat(),
            "parameters": [p.to_dict() for p in self.ruleset.parameters.values()],
            "summary": self.summary(),
            "detection": self.meta(),
            "groups": self.group_dicts(),
            "input_errors": [e.to_dict() for e in self.input_errors],
        }


def find_groups(feed_paths: Sequence[str | os.PathLike[str]], as_of: dt.date, rules_dir: str | os.PathLike[str],
                params: dict[str, Parameter], responses: Sequence[dict] | None = None,
                ruleset: DetectionRuleset | None = None, jobs: int = 1) -> GroupResult:
    """Detect possible groups in the incident feeds; with ``responses``, check whether each was escalated.

    Raises ConfigError (bad detection rules) or UsageError (a feed path not found) before reading anything.
    ``jobs`` > 1: a large CSV feed is read by two processes (checker.feedscan), with the same result.
    """
    ruleset = ruleset or load_detection_rules(rules_dir, params)
    with _fewer_collections():  # (rows streamed into compact episodes: checker.feedscan)
        feed = read_feeds(feed_paths, as_of, params["adult_age"].engine_value(), jobs)
        prepared, errors, read = feed.prepared, feed.errors, feed.read
        groups = detect(prepared.episodes, ruleset.rules, jobs)
    if not read and not errors:  # the empty-input rule: a feed with no row at all is never a clean night
        errors.append(nothing_usable_error(feed_paths, "incident", "incident rows"))
    errors = errors + prepared.errors
    if responses is not None:
        errors += _check_escalation_contained(groups, responses, params, as_of, feed_paths)
    return GroupResult(as_of, ruleset, groups, errors, read,
                       len(prepared.episodes), prepared.adults, prepared.after_as_of, responses is not None)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """No cyclic garbage collection while a feed is read and its groups found or listed: a million rows make
    several million objects, none of them in a cycle, and each collection walks them all (measured at
    1,000,000 rows: about 6 s of 48 s of detection with a raised threshold; nothing with none). Afterwards the
    objects made meanwhile go straight to the oldest generation (gc.freeze then gc.unfreeze), so the next young
    collections do not walk them all once more (that cost about 20 s listing 187,000 groups)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _check_escalation_contained(groups: Sequence[Group], responses: Sequence[dict], params: dict[str, Parameter],
                                as_of: dt.date, feed_paths: Sequence[str | os.PathLike[str]]) -> list[InputError]:
    """Escalation of each group (checker.escalation); one group's failure is that group's input error."""
    checker = EscalationChecker(responses, params, as_of, {m for g in groups for m in g.members})
    errors = []
    for group in groups:
        try:
            group.escalation = checker.check(group)
        except Exception as exc:  # containment: the group is still reported, as not checked
            errors.append(InputError(", ".join(os.fspath(p) for p in feed_paths), group.group_id, "",
                                     f"escalation could not be checked ({type(exc).__name__}); "
                                     "the other groups were checked"))
    return errors
