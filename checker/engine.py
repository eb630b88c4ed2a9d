"""The one adapter between shg-check and durable-rules 2.0.28.

It owns every workaround in ../shared/guides/durable-rules-notes.md:
- its own ``Host`` whose background timer threads never start (``_run`` does
  nothing), so every action runs on the calling thread, in order;
- rulesets under fresh names, as many as needed to keep each under 256 rule
  variants (one alpha node, the sentinel term, links to at most 256 beta
  nodes); definitions deep-copied, since ``set_rulesets`` deletes ``run``;
- one fresh ``sid`` per record and only one live at a time, its state always
  deleted afterwards (the engine holds at most 1024 states);
- the whole record asserted as one batch, with a sentinel fact last and a
  sentinel term first in every rule (negation is then order-proof);
- a rule that always fires on the sentinel: ``delete_state`` is safe, and a
  batch the engine silently truncated is detected and reported;
- facts normalised: whole numbers only (dates as epoch days), one type per
  field, no floats, ``ensure_ascii=False`` by the engine itself, fact ids that
  are checked for 32-bit FNV-1a collisions, and no join on ``id``;
- a catch-all pattern so that a fact no rule mentions is still "handled";
- durable-rules binds one fact to at most one term of a rule (a fact that
  satisfies a positive term is invisible to a ``none`` term of the same rule):
  the k-th term over a fact type reads the k-th copy of those facts, so every
  term sees every fact, as the oracle does;
- actions that only append to a list; an exception in one is re-raised;
- the DeprecationWarning durable-rules triggers on Python 3.12 is silenced
  around engine calls only, so runs with warnings as errors still work.
"""
from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Iterable

from durable import engine as durable_engine

from .compiler import Template, compile_rule, fact_type_name
from .findings import Outcome, describe
from .ir import Rule

_NAMES = itertools.count(1)
MAX_PROPERTIES = 200  # the engine crashes at about 250 (MAX_OBJECT_PROPERTIES 255)
MAX_VARIANTS = 200    # per ruleset: the engine refuses more than 256 links from one alpha node


class EngineError(Exception):
    """The engine could not evaluate one record; the record is reported, the run goes on."""


class _QuietHost(durable_engine.Host):
    """A Host that never starts its background dispatch threads."""

    def _run(self) -> None:  # noqa: D401 - durable-rules hook
        return None


def fnv1a32(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def _check_fact(fact: dict) -> None:
    if len(fact) > MAX_PROPERTIES:
        raise EngineError(f"a {fact.get('t')} fact has {len(fact)} properties (limit {MAX_PROPERTIES})")
    for key, value in fact.items():
        if isinstance(value, float) or (value is None):
            raise EngineError(f"fact field {key!r} is not normalised")


class RulesEngine:
    """Evaluates compiled rules against one record's facts at a time."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = list(rules)
        self._sink: list[Outcome] | None = None
        self._sentinel_seen = 0
        self._errors: list[BaseException] = []
        # One alpha node links to at most 256 beta nodes (BETA_LIST_LENGTH; error 108 when
        # exceeded) and every variant shares the sentinel term: the rules are split over as
        # many rulesets as needed, a rule's variants always in one.
        chunks: list[dict[str, Any]] = [{}]
        self.copies: dict[str, int] = {}
        for rule in self.rules:
            variants = compile_rule(rule)
            if len(variants) > MAX_VARIANTS:  # pragma: no cover - no rule comes near
                raise EngineError(f"rule {rule.id} compiles to {len(variants)} variants (limit {MAX_VARIANTS})")
            if chunks[-1] and len(chunks[-1]) + len(variants) > MAX_VARIANTS:
                chunks.append({})
            for i, (body, template, uses) in enumerate(variants):
                body["run"] = self._action(template)
                chunks[-1][f"{rule.id}#{i}"] = body
                for fact, n in uses.items():
                    self.copies[fact] = max(self.copies.get(fact, 1), n)
        self._host = _QuietHost()
        self.names: list[str] = []
        self.definition: dict[str, Any] = {}
        for definition in chunks:
            definition["zz-sentinel"] = {"all": [{"s": {"t": "sentinel"}}], "run": self._sentinel}
            definition["zz-catch-all"] = {"all": [{"a": {"$ex": {"t": 1}}}, {"b": {"t": "never"}}],
                                        "run": self._sentinel}
            name = f"shg{next(_NAMES)}"
            # set_rulesets deletes each 'run' from what it is given; the dict is built
            # for this call only (never deep-copy it: that would copy the bound actions' self).
            self.definition.update({k: {kk: vv for kk, vv in v.items() if kk != "run"}
                                    for k, v in definition.items()})
            self._host.set_rulesets({name: definition})
            self.names.append(name)
        self.name = self.names[0]
        self.rule_count = len(self.definition)
        self._sids = itertools.count(1)

    def _action(self, tpl: Template) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            try:
                ptr, code, detail = tpl.ptr, tpl.code, ""
                if tpl.relative:
                    subject = c._m.get("x") or c._m["r"]
                    ptr = subject["ptr"] + tpl.ptr
                    detail = describe(subject, c._m["r"])
                    if tpl.code_field:
                        code = str(subject.get(tpl.code_field, ""))
                self._sink.append(Outcome(tpl.rule, tpl.kind, code, ptr, tpl.reason, detail))
            except BaseException as exc:  # the engine would swallow it: keep it for evaluate()
                self._errors.append(exc)
        return act

    def _sentinel(self, c: Any) -> None:
        self._sentinel_seen += 1

    def evaluate(self, facts: list[dict]) -> dict[str, set[Outcome]]:
        """All outcomes, by rule id, for one record's facts."""
        sid = str(next(self._sids))
        batch = []
        seen_hashes = {fnv1a32(sid)}
        for n, fact in enumerate(facts):
            _check_fact(fact)
            for k in range(self.copies.get(fact["t"], 1)):
                fid = f"{sid}.{n}" if k == 0 else f"{sid}.{n}~{k}"
                while fnv1a32(fid) in seen_hashes:
                    fid += "~"
                seen_hashes.add(fnv1a32(fid))
                batch.append({**fact, "t": fact_type_name(fact["t"], k), "sid": sid, "id": fid})
        batch.append({"t": "sentinel", "sid": sid, "id": f"{sid}.sentinel"})
        self._sink, self._sentinel_seen, self._errors = [], 0, []
        truncated = False
        for name in self.names:
            seen = self._sentinel_seen
            with warnings.catch_warnings():  # durable-rules calls datetime.utcfromtimestamp (deprecated in 3.12)
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    self._host.assert_facts(name, batch)
                except durable_engine.MessageNotHandledException:  # pragma: no cover - the catch-all takes every fact
                    pass
                if self._sentinel_seen == seen:
                    # Part of the batch was dropped: no action may have fired, and delete_state on
                    # such a state can segfault. Assert the sentinel alone so its rule fires first.
                    truncated = True
                    self._host.assert_fact(name, {"t": "sentinel", "sid": sid, "id": f"{sid}.sentinel2"})
            self._host.delete_state(name, sid)
        if truncated:
            raise EngineError("the engine dropped part of the record (sentinel not reached)")
        if self._errors:
            raise EngineError(f"an action failed: {type(self._errors[0]).__name__}")
        result: dict[str, set[Outcome]] = {rule.id: set() for rule in self.rules}
        for outcome in self._sink:
            result[outcome.rule].add(outcome)
        return result
