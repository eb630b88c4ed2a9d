"""The normalised form of a rule that both evaluators read: the durable-rules
compiler and the plain-Python oracle. Field names here are the encoded names
the facts carry (``date_d``, ``date_w``, ``x__null``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NEGATE = {"eq": "ne", "ne": "eq", "in": "nin", "nin": "in", "gt": "lte", "lte": "gt",
          "gte": "lt", "lt": "gte", "ex": "nex", "nex": "ex", "rec": "unk", "unk": "rec"}


@dataclass(frozen=True)
class Ref:
    """Another fact's field: alias ``r`` (the response) or ``x`` (the subject), plus an offset."""
    alias: str
    field: str
    offset: int = 0


@dataclass(frozen=True)
class Cond:
    field: str
    op: str          # eq ne in nin gt gte lt lte ex nex, rec/unk (value or null / neither)
    value: Any = None  # literal, tuple of literals, Ref, or None for ex/nex

    def negated(self) -> "Cond":
        return Cond(self.field, NEGATE[self.op], self.value)


@dataclass(frozen=True)
class Test:
    """One field tested: ``cond`` holds only where ``primary`` is present (unless nex)."""
    name: str        # catalogue field name
    primary: str     # encoded field that must be present
    null: str        # encoded null marker
    cond: Cond

    def refs(self) -> list[Ref]:
        return [self.cond.value] if isinstance(self.cond.value, Ref) else []


@dataclass(frozen=True)
class Related:
    fact: str
    where: tuple[Test, ...]


@dataclass(frozen=True)
class Condition:
    kind: str                      # response | subject | exists | not_exists
    tests: tuple[Test, ...] = ()   # for response / subject
    related: Related | None = None


@dataclass(frozen=True)
class Due:
    kind: str                      # at_closure | working_days | once | after_closure
    days: int = 0
    alias: str = ""                # r or x
    field: str = ""                # encoded _w field of the start date
    presence: str = ""             # encoded field that must be present
    related: "Related | None" = None  # once: due as soon as a fact like this exists


@dataclass(frozen=True)
class Requirement:
    index: int
    code: str | None               # literal code
    code_field: str | None         # or the subject's field holding it
    label: str
    when: tuple[Condition, ...]
    test: Test | None
    exists: Related | None
    needs: tuple[str, ...]         # encoded subject fields that must be present
    unknown_if: Related | None     # where such a fact exists, unmet is unknown, not a gap
    evidence: str
    due: Due | None


@dataclass(frozen=True)
class IfNone:
    status: str
    code: str | None
    evidence: str
    unknown_unless: str | None     # encoded response field
    reason: str
    label: str = ""                # what the code means, for messages


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    section: str
    clause: str
    also: tuple[str, ...]
    severity: str
    description: str
    message: str
    parameters: tuple[str, ...]
    in_force_from: int             # epoch day
    applies: tuple[Condition, ...]
    applies_reason: str
    subject_fact: str
    subject_where: tuple[Test, ...]
    subject_label: str
    if_none: IfNone
    requires: tuple[Requirement, ...]
    due: Due | None = None         # when an absent subject becomes a gap
    missing_heading: str = "Missing"
    source: str = ""
    strength: str = "must"         # must | should | may (may: an unmet requirement is advisory, never a gap)
    next_step: str = ""            # what to do or record next, for gap messages
    limits: str = ""               # the parameters used, with value, unit and source, for gap messages
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    # Effective dating (issue 11): this rule version is in force for responses identified on or after
    # ``in_force_from`` and before ``valid_to`` (epoch days; valid_to exclusive, None = open). One rule id
    # may have several versions (a changed rule file, or a dated parameter value): ``window`` of ``windows``.
    valid_to: int | None = None
    version: str = ""              # the rule version's name: the ISO date it is in force from
    chapter_version: str = ""      # the chapter version (rules/version.yaml, an overlay's) it comes from
    window: int = 0
    windows: int = 1
    has_before: bool = True        # not_applicable where identified before in_force_from (the first version,
    before_from: int | None = None  # or after a gap from before_from on, when the rule was not in force)
    before_reason: str = ""        # '' = the v1 reason (before the chapter came into force)
    after_reason: str = ""         # not in force from valid_to on (only on a rule's last version)
    next_review: str = ""          # ISO date the rule is due for review ('' = the chapter's)


# Fields every fact of its type carries (required by the exchange format): never unknown.
ALWAYS_PRESENT = {"yp", "ref", "mref", "mtype", "mdate", "t", "status", "identified_on", "as_of"}


def unknowable(t: Test, fact: str) -> bool:
    """Whether a ``when`` test can be undecidable for want of data: it tests a value (not
    presence) of a field that a record may leave out."""
    if t.cond.op in ("ex", "nex", "rec", "unk") or t.name in ALWAYS_PRESENT:
        return False
    return not (fact == "meeting" and t.name == "date")
