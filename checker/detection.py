"""Finding possible self-harm groups in incident feeds: one generic detector for every detection rule.

valid incident rows -> episodes of children -> partitions by basis -> sliding windows -> groups

* **Episodes.** One row is one episode of one child. Only children count
  (chapter 1-P1): the age at the episode is worked out from ``date_of_birth``
  when given, else the row's ``age`` is used; an episode at ``adult_age`` or
  over is left out. Episodes after the as-of date are left out (they have not
  happened as of the check).
* **Partitions.** ``same_setting``: the episodes of one ``setting_id``;
  ``same_area``: of one ``area``; ``connected``: of one connected component of
  the recorded connections between children who have an episode in the feed
  (a connection recorded on either child's row counts; connections are followed
  from child to child, union-find; a connection to someone with no counted
  episode joins nothing).
* **Windows.** In each partition, sorted by date, a window slides over the
  episodes: a window qualifies when it holds ``min_children`` or more distinct
  children whose episodes are at most ``window_days`` calendar days apart
  (first to last). The date of the episode that first made a window qualify is
  when the group *met the definition*.
* **Merging, so that nothing is reported twice.**
  1. Qualifying windows of one rule that share an episode are one group.
  2. Groups of rules with the same basis in the same partition that share an
     episode are one group (it lists every rule that found it, takes the
     highest severity, the smallest ``min_children`` and the earliest
     ``met_definition_on``).
  3. A group whose children are all children of another group of the same or
     higher severity, over overlapping dates, is folded into that group (listed
     under its ``also``; the earlier ``met_definition_on`` is kept).
  A child may otherwise be in several groups (say, a school cluster and a
  separate online group).

Cost: one sort of the episodes (O(n log n)), then linear passes per rule; no
pairwise comparison of incidents.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Iterable, NamedTuple, Sequence

from .detection_rules import BASES, SEVERITIES, DetectionRule
from .errors import InputError
from .inputs_guard import contained_error
from .validation import Record

_RANK = {s: i for i, s in enumerate(SEVERITIES)}


class Episode(NamedTuple):  # (a tuple: built a million times a night, cheaply)
    incident_id: str
    child: str
    day: int                      # proleptic ordinal of the date
    setting: str | None
    area: str | None
    connections: tuple[str, ...]


@dataclass
class Prepared:
    """The episodes that count, and what was left out (counts only: no ids of adults are kept)."""

    episodes: list[Episode] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    adults: int = 0
    after_as_of: int = 0


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Age in whole years on a day (someone born on 29 February turns a year older on 1 March)."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def prepare(records: Iterable[Record], as_of: dt.date, adult_age: int) -> Prepared:
    """Episodes of children from valid incident rows (see the module docstring)."""
    out = Prepared()
    shared: dict[str, str] = {}  # one string object per child, setting and area, however many episodes name it
    share = shared.setdefault
    for rec in records:
        try:
            _prepare_row(rec, as_of, adult_age, out, share)
        except Exception as exc:  # containment: one row's failure is that row's input error
            out.errors.append(contained_error(rec, "incident_id", exc))
    return out


def _prepare_row(rec: Record, as_of: dt.date, adult_age: int, out: Prepared, share) -> None:
    """Add one row's episode to ``out`` (or count why it is left out)."""
    row = rec.data
    day = dt.date.fromisoformat(row["date"])
    if day > as_of:
        out.after_as_of += 1
        return
    if row.get("date_of_birth"):
        born = dt.date.fromisoformat(row["date_of_birth"])
        if born > day:
            out.errors.append(InputError(rec.source, row["incident_id"], "/date_of_birth",
                                         "must not be after the date of the episode", rec.line))
            return
        age = age_on(born, day)
    else:
        age = row["age"]
    if age >= adult_age:
        out.adults += 1
        return
    setting, area = row.get("setting_id") or None, row.get("area") or None
    child = share(row["young_person_id"], row["young_person_id"])
    connections = row.get("connections")
    out.episodes.append(Episode(row["incident_id"], child, day.toordinal(),
                                setting and share(setting, setting), area and share(area, area),
                                tuple([share(c, c) for c in connections if c != child]) if connections else ()))


# -- partitions --------------------------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra  # the smaller id is the root: components are named deterministically


def partitions(episodes: Sequence[Episode], basis: str) -> dict[str, list[Episode]]:
    """Episodes (already sorted by date) grouped by the basis key, each list still sorted."""
    out: dict[str, list[Episode]] = defaultdict(list)
    if basis == "same_setting":
        for ep in episodes:
            if ep.setting:
                out[ep.setting].append(ep)
    elif basis == "same_area":
        for ep in episodes:
            if ep.area:
                out[ep.area].append(ep)
    else:
        children = {ep.child for ep in episodes}
        uf = _UnionFind()
        for ep in episodes:
            if ep.connections:
                for other in ep.connections:
                    if other in children:
                        uf.union(ep.child, other)
        find = uf.find  # (a child never connected is its own component: no lookup)
        root = {child: find(child) for child in list(uf.parent)}
        get = root.get
        for ep in episodes:
            child = ep.child
            out[get(child, child)].append(ep)
    return out


def qualifying_windows(episodes: Sequence[Episode], min_children: int, window_days: int,
                       days: Sequence[int] | None = None, children: Sequence[str] | None = None
                       ) -> list[tuple[int, int, int]]:
    """(first index, last index, day the definition was met) of each run of qualifying windows that share episodes.

    ``days`` and ``children``: the episodes' days and children, when the caller has them already."""
    if days is None or children is None:
        days, children = [ep.day for ep in episodes], [ep.child for ep in episodes]
    counts: dict[str, int] = {}
    runs: list[tuple[int, int, int]] = []
    current: list[int] | None = None
    left = 0
    get = counts.get
    for right, day in enumerate(days):
        child = children[right]
        counts[child] = get(child, 0) + 1
        while day - days[left] > window_days:
            gone = children[left]
            if counts[gone] == 1:
                del counts[gone]
            else:
                counts[gone] -= 1
            left += 1
        if len(counts) >= min_children:
            if current is not None and left <= current[1]:
                current[1] = right
            else:
                if current is not None:
                    runs.append((current[0], current[1], current[2]))
                current = [left, right, day]
    if current is not None:
        runs.append((current[0], current[1], current[2]))
    return runs


# -- groups ------------------------------------------------------------------------------------------------------


@dataclass
class Group:
    group_id: str
    basis: str
    rule: str
    rules: list[str]
    severity: str
    clause: str
    min_children: int
    members: list[str]
    settings: list[str]
    areas: list[str]
    first_day: int
    last_day: int
    met_day: int
    incidents: list[str]
    also: list[dict] = field(default_factory=list)
    # set by checker.escalation (None: not checked against response records)
    escalation: dict | None = None

    @property
    def first_date(self) -> dt.date:
        return dt.date.fromordinal(self.first_day)

    @property
    def met_definition_on(self) -> dt.date:
        return dt.date.fromordinal(self.met_day)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group_id": self.group_id, "members": self.members, "basis": self.basis,
            "rule": self.rule, "rules": self.rules, "severity": self.severity,
            "policy": {"section": "1", "clause": self.clause}, "min_children": self.min_children,
            "settings": self.settings, "areas": self.areas,
            "first_date": self.first_date.isoformat(), "last_date": dt.date.fromordinal(self.last_day).isoformat(),
            "met_definition_on": self.met_definition_on.isoformat(),
            "episodes": len(self.incidents), "incidents": self.incidents,
        }
        if self.also:
            out["also"] = self.also
        if self.escalation is None:
            out.update(escalated=None, escalation="not_checked", response_id=None, findings=[])
        else:
            out.update(self.escalation)
        return out


def _make_group(basis: str, eps: Sequence[Episode], found: list[tuple[DetectionRule, int]]) -> Group:
    best = min((r for r, _ in found), key=lambda r: (_RANK[r.severity], r.id))
    first = eps[0]
    return Group(
        group_id="G-" + hashlib.sha256(f"{basis}|{first.incident_id}".encode()).hexdigest()[:12],
        basis=basis, rule=best.id, rules=sorted({r.id for r, _ in found}), severity=best.severity,
        clause=best.clause, min_children=min(r.min_children for r, _ in found),
        members=sorted({e.child for e in eps}), settings=sorted({e.setting for e in eps if e.setting}),
        areas=sorted({e.area for e in eps if e.area}), first_day=first.day, last_day=eps[-1].day,
        met_day=min(day for _, day in found), incidents=sorted(e.incident_id for e in eps))


def _groups_of_partition(basis: str, eps: list[Episode], rules: Sequence[DetectionRule]) -> list[Group]:
    if len(eps) < min(rule.min_children for rule in rules):
        return []  # (fewer episodes than any rule needs children: most connected components are one child)
    children = [ep.child for ep in eps]
    distinct = len(set(children))
    days = [ep.day for ep in eps]
    runs = sorted(((lo, hi, day, rule) for rule in rules if distinct >= rule.min_children
                   for lo, hi, day in qualifying_windows(eps, rule.min_children, rule.window_days, days, children)),
                  key=lambda run: (run[0], run[1], run[2], run[3].id))
    if not runs:
        return []
    groups: list[Group] = []
    current: list | None = None  # [lo, hi, [(rule, met day)]]
    for lo, hi, day, rule in runs:
        if current is not None and lo <= current[1]:
            current[1] = max(current[1], hi)
            current[2].append((rule, day))
        else:
            if current is not None:
                groups.append(_make_group(basis, eps[current[0]:current[1] + 1], current[2]))
            current = [lo, hi, [(rule, day)]]
    if current is not None:
        groups.append(_make_group(basis, eps[current[0]:current[1] + 1], current[2]))
    return groups


def _fold_subsumed(groups: list[Group]) -> list[Group]:
    """Fold a group into another of the same or higher severity holding all its children over overlapping dates."""
    order = sorted(groups, key=lambda g: (_RANK[g.severity], -len(g.members), BASES.index(g.basis),
                                          g.first_day, g.members))
    kept: list[Group] = []
    by_member: dict[str, list[Group]] = defaultdict(list)
    member_sets: dict[int, set[str]] = {}
    folded: dict[int, tuple[set[str], set[str], set[str]]] = {}  # host -> settings, areas, incidents added
    for g in order:
        members = set(g.members)
        # a host holds every member, so it is in each member's list, all in the order kept: the first host in
        # the shortest list is the first host in any of them
        candidates = min(map(by_member.__getitem__, g.members), key=len) if len(g.members) > 1 else by_member[g.members[0]]
        first, last, rank = g.first_day, g.last_day, _RANK[g.severity]
        host = next((h for h in candidates
                     if first <= h.last_day and h.first_day <= last and _RANK[h.severity] <= rank
                     and members <= member_sets[id(h)]), None)
        if host is None:
            kept.append(g)
            member_sets[id(g)] = members
            for m in g.members:
                by_member[m].append(g)
            continue
        host.also.append({"group_id": g.group_id, "basis": g.basis, "rule": g.rule, "members": g.members,
                          "met_definition_on": g.met_definition_on.isoformat()})
        host.met_day = min(host.met_day, g.met_day)
        host.min_children = min(host.min_children, g.min_children)
        host.first_day, host.last_day = min(host.first_day, g.first_day), max(host.last_day, g.last_day)
        added = folded.get(id(host))
        if added is None:  # built once per host, not on every fold (that copy made detection quadratic)
            added = folded[id(host)] = (set(host.settings), set(host.areas), set(host.incidents))
        settings, areas, incidents = added
        settings.update(g.settings)
        areas.update(g.areas)
        incidents.update(g.incidents)
    for h in kept:
        if id(h) in folded:
            settings, areas, incidents = folded[id(h)]
            h.settings, h.areas, h.incidents = sorted(settings), sorted(areas), sorted(incidents)
    return kept


PARALLEL_MIN_EPISODES = 100_000  # fewer: the bases' passes run in this process (a fork costs more than it saves)


def detect(episodes: Iterable[Episode], rules: Sequence[DetectionRule], jobs: int = 1) -> list[Group]:
    """Every possible group the rules find among the episodes, merged and in a fixed order.

    ``jobs`` > 1 (and many episodes): a forked worker (checker.parallel.Forked) finds the groups of the first
    half of the bases while this process finds the rest's; put back in order, they are the groups of ``jobs=1``."""
    # by (day, child, incident id): one stable sort per key, last key first (same order, simple keys sort faster)
    ordered = sorted(episodes, key=attrgetter("incident_id"))
    ordered.sort(key=attrgetter("child"))
    ordered.sort(key=attrgetter("day"))
    bases = [(basis, [r for r in rules if r.basis == basis]) for basis in BASES]
    bases = [(basis, basis_rules) for basis, basis_rules in bases if basis_rules]
    if jobs > 1 and len(bases) > 1 and len(ordered) >= PARALLEL_MIN_EPISODES:
        from .parallel import Forked
        # each basis's passes cost about the same (every episode once): the worker takes the first half of the
        # bases, cutting the middle one by its partitions, and this process the second half; in the same order
        half = len(bases) / 2
        middle = int(half)
        share = half - middle
        forked = Forked(_packed_groups, ordered, bases[:middle] + ([bases[middle]] if share else []), share)
        groups = [g for basis, basis_rules in bases[middle:]
                  for g in _groups_of_basis(ordered, basis, basis_rules, share if basis == bases[middle][0] and share
                                            else 0.0, second=True)]
        first = forked.result()
        groups[:0] = [Group(*fields) for fields in first] if first is not None else [
            g for basis, basis_rules in bases[:middle] + ([bases[middle]] if share else [])
            for g in _groups_of_basis(ordered, basis, basis_rules, share if basis == bases[middle][0] else 0.0)]
    else:
        groups = [g for basis, basis_rules in bases for g in _groups_of_basis(ordered, basis, basis_rules)]
    groups = _fold_subsumed(groups)
    groups.sort(key=lambda g: (g.first_day, _RANK[g.severity], BASES.index(g.basis), g.members, g.group_id))
    return groups


def _groups_of_basis(ordered: Sequence[Episode], basis: str, basis_rules: Sequence[DetectionRule],
                     share: float = 0.0, second: bool = False) -> list[Group]:
    """The groups of one basis, partition by partition in key order. ``share`` (0 < share < 1): only the first
    partitions, holding about that share of the episodes (``second``: only the others)."""
    parts = partitions(ordered, basis)
    keys = sorted(parts)
    if share:
        target, count, cut = share * sum(len(p) for p in parts.values()), 0, len(keys)
        for n, key in enumerate(keys):
            if count >= target:
                cut = n
                break
            count += len(parts[key])
        keys = keys[cut:] if second else keys[:cut]
    groups: list[Group] = []
    for key in keys:
        groups.extend(_groups_of_partition(basis, parts[key], basis_rules))
    return groups


def _packed_groups(ordered: Sequence[Episode], bases: list, share: float) -> list[tuple]:  # pragma: no cover - worker
    """The worker's part of ``detect`` (see there), as tuples of the groups' fields (cheaper to send)."""
    last = bases[-1][0]
    return [tuple(vars(g).values()) for basis, basis_rules in bases
            for g in _groups_of_basis(ordered, basis, basis_rules, share if basis == last and share else 0.0)]


# -- the rules' own examples -------------------------------------------------------------------------------------


def example_problems(rule: DetectionRule, adult_age: int) -> list[str]:
    """Run a rule alone on each of its examples: what does not come out as the rule file says ([] if all do)."""
    from .validation import validate_incident

    problems = []
    for kind in ("pass", "fail"):
        for n, example in enumerate(rule.raw["examples"][kind]):
            label = f"{rule.id}: examples/{kind}/{n} ({example['name']})"
            records = []
            for i, row in enumerate(example["incidents"]):
                row = {"incident_id": f"EX-{i + 1}", **row}
                bad = validate_incident(row)
                if bad:
                    problems.append(f"{label}: incident {i + 1} is not valid: {bad[0][0]} {bad[0][1]}")
                    continue
                records.append(Record(rule.source, i + 1, None, row))
            as_of = dt.date.fromisoformat(example["as_of"]) if "as_of" in example else dt.date.max
            found = [{"members": g.members, "met_definition_on": g.met_definition_on.isoformat()}
                     for g in detect(prepare(records, as_of, adult_age).episodes, [rule])]
            if kind == "pass" and found:
                problems.append(f"{label}: expected no group, found {found}")
            if kind == "fail":
                expected = [{"met_definition_on": g.get("met_definition_on", f["met_definition_on"]), **g}
                            for g, f in zip(example["expect"], found)]
                if len(found) != len(example["expect"]) or found != expected:
                    problems.append(f"{label}: expected {example['expect']}, found {found}")
    return problems
