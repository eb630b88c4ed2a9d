"""The one adapter between shg-check and durable-rules 2.0.28.

It owns every workaround in ../shared/guides/durable-rules-notes.md:
- its own ``Host`` whose background timer threads never start (``_run`` does
  nothing), so every action runs on the calling thread, in order;
- rulesets under fresh names, as many as needed to keep each at most
  ``MAX_VARIANTS`` rule variants with at most 250 patterns ending at one alpha node
  (one alpha node links to at most 256 beta nodes, error 108: ``alpha_links``);
  definitions copied, since ``set_rulesets`` deletes ``run``;
- one fresh ``sid`` per record and only one live at a time, its state always
  deleted afterwards (the engine holds at most 1024 states);
- the whole record asserted as one batch, with a sentinel fact last and a
  sentinel term first in every rule (negation is then order-proof). The sentinel
  is the record's one ``response`` fact (its first copy, see below): every variant
  starts with a response pattern (one that tests nothing where the rule reads no
  response field: every record has exactly one response fact, so it matches once),
  and the payload puts that fact last. A separate sentinel fact and term cost one
  beta node per variant in every record's state;
- a rule that always fires on the sentinel: ``delete_state`` is safe, and a
  batch the engine silently truncated is detected and reported (a bare ``spare``
  fact, whose own rule fires, is then asserted alone so the state can be deleted);
- facts normalised: whole numbers only (dates as epoch days), one type per
  field, no floats, non-ASCII written as is (orjson, or ``ensure_ascii=False``),
  fact ids from a table whose 32-bit FNV-1a hashes are checked for collisions
  once (and each record's sid against them), and no join on ``id``;
- each ruleset is sent only the fact types its rules name, each fact
  serialised once for all of them. A fact that passes no pattern's first test is
  then "not handled" (code 1) and not stored, which changes nothing: it could
  match nothing. (An earlier catch-all rule, ``$ex t`` then a type never sent,
  made the engine store every fact and keep a frame for it: about a fifth of the
  engine's time on heavy records);
- durable-rules' C functions are called directly (``assert_facts``,
  ``start_action_for_state``, ``complete_and_start_action``, ``delete_state``):
  the Host's Python path adds a closure, a state copy and an ``update_state``
  per firing, which our actions (they only record a match) do not need. On
  heavy records that path was about a third of the engine's time;
- durable-rules binds one fact to at most one term of a rule (a fact that
  satisfies a positive term is invisible to a ``none`` term of the same rule):
  the k-th term over a fact type reads the k-th copy of those facts, so every
  term sees every fact, as the oracle does;
- actions that only append to a list; an exception in one is re-raised;
- the DeprecationWarning durable-rules triggers on Python 3.12 is silenced
  around engine calls only, so runs with warnings as errors still work.

What a record costs the engine, and how it is kept down (measured on heavy records,
scripts/bench_data.py, about 370 facts): creating and deleting a state costs per beta
node of the ruleset (rete.c allocates and clears about 8 KB per node for every
state), and asserting costs per fact per ruleset and per frame a fact makes at each
beta node its alpha tests let it reach. So:
- variants whose definitions are identical (a rule's "insufficient" split repeated
  per code, or two rules' equal "not in force" variants) are one engine rule whose
  action records every template; the compiler drops variants that can never fire
  and terms given twice (compiler.py);
- the rulesets are grouped by the fact types their variants read (``_group``), so
  the heavy types (attendees, items covered, episodes, connections) are asserted
  into one ruleset each, not into every one;
- durable-rules 2.0.28 pushes the alpha nodes a fact passes on a stack of 64
  (events.c MAX_STACK_SIZE: error 303 past it), and it never shares a node that
  compares with another fact's field or ``$m`` (rete.c stores each name anew), so
  every such node under one fact type is pushed for every fact of the type. The
  compiler puts tests of constants first (shared, and filtering first: the join's
  expressions are unchanged), and ``_group`` gives no ruleset variants whose alpha
  network could overflow the stack (``alpha_stack``, a bound computed the way
  rete.c builds the network, kept at most 48);
- rulesets of up to 300 variants rather than 200: two rulesets instead of three,
  so young people, meetings and the response are parsed and stored once less.
"""
from __future__ import annotations

import itertools
import json
import warnings
from typing import Any, Callable, Iterable

import durable_rules_engine as _dre
from durable import engine as durable_engine

try:  # orjson serialises a batch about 5x faster than json; the engine reads either
    import orjson as _orjson
except ImportError:  # pragma: no cover - a declared dependency
    _orjson = None

from .compiler import SENTINEL, Template, compile_rule, fact_type_name
from .findings import Outcome, describe
from .ir import Rule

_NAMES = itertools.count(1)
MAX_PROPERTIES = 200  # the engine crashes at about 250 (MAX_OBJECT_PROPERTIES 255)
MAX_VARIANTS = 300    # per ruleset (fewer rulesets: each fact type parsed and stored fewer times); the
                      # engine refuses more than 256 links from one alpha node: _group counts them


class EngineError(Exception):
    """The engine could not evaluate one record; the record is reported, the run goes on."""


class _QuietHost(durable_engine.Host):
    """A Host that never starts its background dispatch threads."""

    def _run(self) -> None:  # noqa: D401 - durable-rules hook
        return None


def _dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (the engine does not decode \\u escapes)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value).decode("utf-8")
        except TypeError:  # pragma: no cover - e.g. an integer beyond 64 bits: the standard library can
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_loads = _orjson.loads if _orjson is not None else json.loads


def _dump_one(value: Any) -> bytes:
    return _dumps(value).encode("utf-8") if _orjson is None else _orjson.dumps(value)


def _join(parts: list[bytes]) -> str:
    return (b"[" + b",".join(parts) + b"]").decode("utf-8")


def _fact_types(node: Any, found: set[str]) -> set[str]:
    """Every fact type a ruleset definition names (``{"t": name}`` anywhere in its patterns)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "t" and isinstance(value, str):
                found.add(value)
            else:
                _fact_types(value, found)
    elif isinstance(node, list):
        for value in node:
            _fact_types(value, found)
    return found


class _Match:
    """What an action gets: the matched facts by term alias (``_m``, as durable's Closure has)."""

    __slots__ = ("_m",)

    def __init__(self, match: dict) -> None:
        self._m = match


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


_NOT_NORMALISED = frozenset({float, type(None)})


def _check_fact(fact: dict) -> None:
    if len(fact) > MAX_PROPERTIES:
        raise EngineError(f"a {fact.get('t')} fact has {len(fact)} properties (limit {MAX_PROPERTIES})")
    if not _NOT_NORMALISED.isdisjoint(map(type, fact.values())):
        for key, value in fact.items():
            if isinstance(value, float) or value is None:
                raise EngineError(f"fact field {key!r} is not normalised")


# Typical facts of each type in a large response (scripts/bench_data.py's heavy records): how grouping
# weighs sending a fact type to one more ruleset. Only speed depends on it, never an outcome.
_TYPICAL = {"attendee": 120, "covered": 110, "episode": 50, "connection": 40, "young_person": 20,
            "meeting": 10, "school_meeting": 6, "involved_agency": 5, "drop_in": 4}
_ALPHA_OPS = frozenset({"$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex", "$mt", "$imt"})


class _Alpha:
    """One node of durable-rules' alpha network, as rete.c builds it (createAlpha, findAlpha)."""

    __slots__ = ("shared", "listed", "ends")

    def __init__(self) -> None:
        self.ends = 0  # patterns ending here: links to beta nodes (BETA_LIST_LENGTH 256, error 108)
        self.shared: dict[tuple[str, str, str, Any], _Alpha] = {}  # a constant's tests: one node per test
        self.listed: list[_Alpha] = []                         # $or joins and references: never shared

    def add(self, term: dict) -> "_Alpha":
        (key, value), = term.items()
        if key == "$and":
            node = self
            for t in value:
                node = node.add(t)
            return node
        if key == "$or":  # each alternative, from here, links to one new node
            joined = _Alpha()
            for alt in value:
                self.add(alt).listed.append(joined)
            return joined
        if key in _ALPHA_OPS:
            (field, operand), = value.items()
        else:
            key, field, operand = "$eq", key, value
        if isinstance(operand, (dict, list)):  # names another fact or $m: rete.c never shares it
            node = _Alpha()
            self.listed.append(node)
            return node
        k = (key, field, type(operand).__name__, operand)  # $nex tests are listed, but shared alike
        node = self.shared.get(k)
        if node is None:
            node = self.shared[k] = _Alpha()
        return node

    def stack(self, memo: dict[int, int]) -> int:
        """The most entries this node's walk can push on handleAlpha's stack (MAX_STACK_SIZE 64), every
        test assumed to pass but equality with distinct words on one field (one value each)."""
        done = memo.get(id(self))
        if done is not None:
            return done
        children = [*self.shared.values(), *self.listed]
        if not children:
            memo[id(self)] = 0
            return 0
        words: set[str] = set()
        width = len(self.listed)
        for op, field, _, word in self.shared:
            if op == "$eq" and isinstance(word, str) and word.lower() not in ("true", "false") \
                    and not word.lstrip("-").replace(".", "", 1).isdigit():
                words.add(field)  # a fact has one value: at most one of these matches
            else:
                width += 1
        width += len(words)
        memo[id(self)] = result = max(width, width - 1 + max(c.stack(memo) for c in children))
        return result


MAX_ALPHA_STACK = 48  # events.c: MAX_STACK_SIZE 64 (error 303 past it); a margin below
MAX_LINKS = 250       # rete.c: BETA_LIST_LENGTH 256 beta nodes linked from one alpha node (error 108);
                      # the ruleset's own sentinel and spare rules come on top


def _network(bodies: Iterable[dict], types: frozenset[str] | None) -> _Alpha:
    root = _Alpha()
    for body in bodies:
        for term in body["all"]:
            (pattern,) = term.values()
            if types is None or (pattern["$and"][0] if "$and" in pattern else pattern)["t"] in types:
                root.add(pattern).ends += 1
    return root


def _stack(root: _Alpha) -> int:
    memo: dict[int, int] = {}
    return max((max(1, node.stack(memo)) for node in root.shared.values()), default=0)


def alpha_stack(bodies: Iterable[dict], types: frozenset[str] | None = None) -> int:
    """An upper bound of handleAlpha's stack for any fact asserted into a ruleset of these rules (of
    one of ``types``, if given: the network of each fact type is its own)."""
    return _stack(_network(bodies, types))


def alpha_links(bodies: Iterable[dict], types: frozenset[str] | None = None) -> int:
    """The most patterns of these rules that end at one alpha node (each is a link to a beta node)."""
    return _links(_network(bodies, types))


def _links(root: _Alpha) -> int:
    most, seen, todo = 0, set(), [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen.add(id(node))
            most = max(most, node.ends)
            todo.extend(node.shared.values())
            todo.extend(node.listed)
    return most


def term_types(body: dict) -> list[str]:
    """The fact type (copy included) each pattern of a compiled variant reads (its first test)."""
    return [pattern["$and"][0]["t"] for term in body["all"] for pattern in term.values()]


def _group(variants: list[tuple[dict, list[Template]]], limit: int) -> list[list[tuple[int, tuple[dict, list[Template]]]]]:
    """The variants split into as few rulesets of at most ``limit`` as fit, each fact type sent to as
    few of them as can be: the engine's cost is per fact asserted into each ruleset (parsing, storing,
    the alpha network) and per beta node, so a heavy type (attendees, items covered) should reach
    one ruleset, not every one. Greedy, by the variants' sets of fact types, heaviest first; a ruleset
    whose alpha walk could overflow the engine's stack (``alpha_stack``) takes no more."""
    Item = tuple[int, tuple[dict, list[Template]]]
    by_types: dict[frozenset[str], list[Item]] = {}
    for i, v in enumerate(variants):
        types = frozenset(term_types(v[0])) - {SENTINEL}
        by_types.setdefault(types, []).append((i, v))

    def weight(types: Iterable[str]) -> int:
        return sum(_TYPICAL.get(t.split("~")[0], 1) for t in types)

    def fits(items: list[Item], types: frozenset[str]) -> bool:
        if len(items) > limit:
            return False
        network = _network((v[0] for _, v in items), types)
        return _stack(network) <= MAX_ALPHA_STACK and _links(network) <= MAX_LINKS

    order = sorted(by_types, key=lambda ts: (-weight(ts), -len(by_types[ts]), sorted(ts)))
    n_bins = max(1, -(-len(variants) // limit))
    bins: list[tuple[set[str], list[Item]]] = [(set(), []) for _ in range(n_bins)]
    pending = [by_types[types] for types in order]
    while pending:
        items = pending.pop(0)
        named = frozenset(t for _, v in items for t in term_types(v[0]))
        types = named - {SENTINEL}
        for b in sorted(bins, key=lambda b: (weight(types - b[0]), -len(b[1]) if b[0] else 0)):
            if fits(b[1] + items, named):  # the other types' networks are unchanged
                b[0].update(types)
                b[1].extend(items)
                break
        else:
            if len(items) > 1 and not fits(items, named):  # too many for one ruleset: halves, tried again
                half = len(items) // 2
                pending[:0] = [items[:half], items[half:]]
            elif fits(items, named):
                bins.append((set(types), list(items)))
            else:  # pragma: no cover - one variant alone overflows: the engine would refuse its facts
                raise EngineError("a rule variant's patterns overflow the engine's alpha stack")
    return [sorted(b[1], key=lambda iv: iv[0]) for b in bins if b[1]]


class RulesEngine:
    """Evaluates compiled rules against one record's facts at a time."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = list(rules)
        self._sink: list[Outcome] | None = None
        self._sentinel_seen = 0
        self._errors: list[BaseException] = []
        # One alpha node links to at most 256 beta nodes (BETA_LIST_LENGTH; error 108 when
        # exceeded) and many variants start with the same response term: the variants are split
        # over as many rulesets as needed (_group), at most MAX_VARIANTS each.
        # Variants with the same body (the same rule's "insufficient" split per code, or one rule's
        # "not in force" variant and another's) are one engine rule whose action records each
        # template: every beta node costs memory set up and freed in every record's state.
        merged: dict[str, tuple[dict, list[Template]]] = {}
        self.copies: dict[str, int] = {}
        for rule in self.rules:
            for body, template, uses in compile_rule(rule):
                key = repr(body)  # a plain structure of str, int and bool: repr tells True from 1
                entry = merged.get(key)
                if entry is None:
                    merged[key] = (body, [template])
                elif template not in entry[1]:
                    entry[1].append(template)
                for fact, n in uses.items():
                    self.copies[fact] = max(self.copies.get(fact, 1), n)
        chunks = _group(list(merged.values()), MAX_VARIANTS)
        chunks = [{f"v{i}": {**body, "run": self._action(templates)} for i, (body, templates) in chunk}
                  for chunk in chunks]
        self._host = _QuietHost()
        self._handles: dict[str, int] = {}
        self._wanted: dict[str, list[str]] = {}  # fact type -> the rulesets whose rules name it
        self._actions: dict[str, dict[str, Callable[[Any], None]]] = {}
        self.names: list[str] = []
        self.definition: dict[str, Any] = {}
        self.definitions: dict[str, dict[str, Any]] = {}  # by ruleset name, without 'run'
        for definition in chunks:
            definition["zz-sentinel"] = {"all": [{"s": {"t": SENTINEL}}], "run": self._sentinel}
            # for a truncated batch only: a bare fact whose rule fires, so delete_state is safe
            definition["zz-spare"] = {"all": [{"s": {"t": "spare"}}], "run": self._sentinel}
            name = f"shg{next(_NAMES)}"
            # set_rulesets deletes each 'run' from what it is given; the dict is built
            # for this call only (never deep-copy it: that would copy the bound actions' self).
            self.definitions[name] = {k: {kk: vv for kk, vv in v.items() if kk != "run"}
                                      for k, v in definition.items()}
            self.definition.update(self.definitions[name])
            actions = {rule_name: body["run"] for rule_name, body in definition.items()}
            for fact_type in _fact_types(definition, set()):
                self._wanted.setdefault(fact_type, []).append(name)
            self._host.set_rulesets({name: definition})
            self.names.append(name)
            self._handles[name] = self._host.get_ruleset(name)._handle
            self._actions[name] = actions
        self.name = self.names[0]
        self.rule_count = len(self.definition)
        self._sids = itertools.count(1)
        self._fact_ids: dict[tuple[int, int], str] = {}
        self._id_json: dict[tuple[int, int], bytes] = {}
        self._type_json: dict[tuple[str, int], bytes] = {}
        self._plans: dict[str, tuple[bytes, list[tuple[int, bytes, list[int]]]]] = {}
        self._id_hashes: set[int] = set()
        self._spare_id = self.fact_id(-1, 0)

    def _action(self, templates: list[Template]) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            try:
                for tpl in templates:
                    ptr, code, detail = tpl.ptr, tpl.code, ""
                    if tpl.relative:
                        subject = c._m.get("x") or c._m["r"]
                        ptr = subject["ptr"] + tpl.ptr
                        detail = describe(subject, c._m.get("r"))
                        if tpl.code_field:
                            code = str(subject.get(tpl.code_field, ""))
                    self._sink.append(Outcome(tpl.rule, tpl.kind, code, ptr, tpl.reason, detail))
            except BaseException as exc:  # the engine would swallow it: keep it for evaluate()
                self._errors.append(exc)
        return act

    def _sentinel(self, c: Any) -> None:
        self._sentinel_seen += 1

    def fact_id(self, n: int, k: int) -> str:
        """The id of copy ``k`` of the ``n``-th fact: the same in every record, its 32-bit FNV-1a hash
        checked once against the ids before it (a counter, not a hash per fact per record)."""
        key = (n, k)
        fid = self._fact_ids.get(key)
        if fid is None:
            fid = str(n) if k == 0 else f"{n}~{k}"
            while fnv1a32(fid) in self._id_hashes:
                fid += "~"
            self._id_hashes.add(fnv1a32(fid))
            self._fact_ids[key] = fid
        return fid

    def _next_sid(self) -> str:
        """A fresh sid whose hash is none of the fact ids' (one hash per record)."""
        while True:
            sid = f"s{next(self._sids)}"
            if fnv1a32(sid) not in self._id_hashes:
                return sid

    def _json_id(self, n: int, k: int) -> bytes:
        key = (n, k)
        encoded = self._id_json.get(key)
        if encoded is None:
            encoded = self._id_json[key] = _dump_one(self.fact_id(n, k))
        return encoded

    def _json_type(self, t: str, k: int) -> bytes:
        key = (t, k)
        encoded = self._type_json.get(key)
        if encoded is None:
            encoded = self._type_json[key] = _dump_one(fact_type_name(t, k))
        return encoded

    def _plan(self, t: str) -> tuple[bytes, list[tuple[int, bytes, list[int]]]]:
        """How a fact of type ``t`` is sent: the head its JSON starts with, and for each copy some
        ruleset reads, the copy number, the start of its JSON and the rulesets (by index) it goes to."""
        plan = self._plans.get(t)
        if plan is None:
            copies = []
            for k in range(self.copies.get(t, 1)):
                names = self._wanted.get(fact_type_name(t, k))
                if names:
                    copies.append((k, b'{"t":' + self._json_type(t, k) + b',"sid":',
                                   [self.names.index(name) for name in names]))
            plan = self._plans[t] = (b'{"t":' + self._json_type(t, 0) + b",", copies)
        return plan

    def payloads(self, facts: list[dict], sid: str) -> dict[str, str]:
        """The batch of each ruleset, as JSON: each fact (each copy typed ``t~k``, with sid and id) in
        record order, but the response fact's first copy, the sentinel, last.

        A ruleset gets only the fact types its rules name: its rules cannot match, nor miss in a
        ``none``, a fact of a type they do not name, so leaving those out changes no outcome and saves
        the engine storing them (it costs per fact asserted, and again in delete_state). Each fact is
        serialised once: its copies and its sid and id are spliced in front of the same bytes."""
        parts: list[list[bytes]] = [[] for _ in self.names]
        last: bytes | None = None
        sid_json = _dump_one(sid)
        for n, fact in enumerate(facts):
            _check_fact(fact)
            t = fact["t"]
            head, copies = self._plans.get(t) or self._plan(t)
            if not copies:
                continue
            encoded = _dump_one(fact)
            body = encoded[len(head):] if encoded.startswith(head) else None
            for k, start, targets in copies:
                if body is not None:
                    piece = start + sid_json + b',"id":' + self._json_id(n, k) + b"," + body
                else:  # "t" is not the first key, or the only one: the fact is built whole
                    piece = _dump_one({**fact, "t": fact_type_name(t, k), "sid": sid, "id": self.fact_id(n, k)})
                if k == 0 and t == SENTINEL and last is None:
                    last = piece  # every ruleset reads it (its sentinel rule does)
                    continue
                for i in targets:
                    parts[i].append(piece)
        if last is None:
            raise EngineError("the record has no response fact")
        return {name: _join([*items, last]) for name, items in zip(self.names, parts)}

    def evaluate(self, facts: list[dict]) -> dict[str, set[Outcome]]:
        """All outcomes, by rule id, for one record's facts."""
        sid = self._next_sid()
        payloads = self.payloads(facts, sid)  # each fact serialised once
        self._sink, self._sentinel_seen, self._errors = [], 0, []
        truncated = False
        for name in self.names:
            seen = self._sentinel_seen
            with warnings.catch_warnings():  # durable-rules calls datetime.utcfromtimestamp (deprecated in 3.12)
                warnings.simplefilter("ignore", DeprecationWarning)
                self._assert(name, payloads[name])
                if self._sentinel_seen == seen:
                    # Part of the batch was dropped: no action may have fired, and delete_state on
                    # such a state can segfault. Assert a bare sentinel alone so its rule fires.
                    truncated = True
                    self._assert(name, _dumps({"t": "spare", "sid": sid, "id": self._spare_id}), single=True)
            _dre.delete_state(self._handles[name], sid)
        if truncated:
            raise EngineError("the engine dropped part of the record (sentinel not reached)")
        if self._errors:
            raise EngineError(f"an action failed: {type(self._errors[0]).__name__}")
        result: dict[str, set[Outcome]] = {rule.id: set() for rule in self.rules}
        for outcome in self._sink:
            result[outcome.rule].add(outcome)
        return result

    def _assert(self, name: str, payload: str, single: bool = False) -> None:
        """Assert serialised facts and run the actions that fire, by the engine's own C calls.

        This is what ``Host.assert_facts`` does, less its per-firing overhead (a closure, a state
        copy and an ``update_state`` for every action: ours never change the state)."""
        handle = self._handles[name]
        code, state_handle = (_dre.assert_fact if single else _dre.assert_facts)(handle, payload)
        if code == 2:  # pragma: no cover - ids are fresh in every record
            raise EngineError("the engine saw a fact twice")
        if code == 3:  # pragma: no cover - as Ruleset._handle_result
            state_handle = 0
        # code 1 (not handled): some fact matched no pattern's first test, so the engine did not
        # store it; it could match nothing, and the state was still created by the sentinel
        actions = self._actions[name]
        result = _dre.start_action_for_state(handle, state_handle)
        if not result:
            return
        message = result[1]
        while message:
            for action_name, match in _loads(message).items():
                actions[action_name](_Match(match))
                break
            message = _dre.complete_and_start_action(handle, state_handle)
