"""Property-based tests: the durable-rules engine and the plain-Python oracle agree, and results
do not depend on record order or batch size. At least 200 generated records a run (about 220 in the quick
default run, about 475 under HYPOTHESIS_PROFILE=deep: `make fuzz`)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from checker.api import Checker
from checker.engine import RulesEngine
from checker.facts import response_facts
from checker.findings import resolve_versions
from checker.validation import Record, validate_response
from helpers import AS_OF, examples, rulebook
from strategies import response_records

SETTINGS = settings(max_examples=examples(150, 300), deadline=None, suppress_health_check=[HealthCheck.too_slow])


class LeakyEngine(RulesEngine):
    """A deliberately broken adapter: one fixed sid, state never deleted (as the notes warn)."""

    def evaluate(self, facts):
        call = next(self._sids)
        batch = [{**f, "sid": "1", "id": f"1.{call}.{n}"} for n, f in enumerate(facts)]
        batch.append({"t": "sentinel", "sid": "1", "id": f"1.{call}.s"})
        self._sink, self._sentinel_seen, self._errors = [], False, []
        self._assert(self.name, json.dumps(batch, ensure_ascii=False))  # the adapter's own C calls
        result = {rule.id: set() for rule in self.rules}
        for outcome in self._sink:
            result[outcome.rule].add(outcome)
        return result


def findings(outcomes, record):
    """The engine's outcomes resolved as ``Checker.check_record`` resolves them: each rule by the version in
    force on the identification date (issue 11), so the oracle side is compared field for field."""
    rb = rulebook()
    return [resolve_versions(rb.versions_of(rule.id), outcomes[rule.id], record["identified_on"]).to_dict()
            for rule in rb.rules]


def agreement_property(engine, run_settings=SETTINGS):
    oracle = Checker(rulebook(), "python")

    @run_settings
    @given(response_records())
    def prop(record):
        assert validate_response(record) == []
        facts = response_facts(record, AS_OF)
        got = findings(engine.evaluate(facts), record)
        want = [f.to_dict() for f in oracle.check_record(record, AS_OF)]
        assert got == want
    return prop


@pytest.mark.slow
def test_engine_agrees_with_oracle():
    agreement_property(RulesEngine(rulebook().rules))()


def test_property_catches_a_broken_adapter():
    """The same property, run against an adapter that leaks state between records, fails."""
    # No shrinking: the leaky engine keeps every fact it was ever given, so each further
    # example costs more; failing at all is what this test shows.
    quick = settings(SETTINGS, max_examples=examples(50, 100), phases=[Phase.generate], derandomize=True)
    with pytest.raises((AssertionError, ExceptionGroup)) as caught:
        agreement_property(LeakyEngine(rulebook().rules), quick)()
    if isinstance(caught.value, ExceptionGroup):  # hypothesis found several distinct failures
        assert caught.value.subgroup(AssertionError) is not None
        assert caught.value.split(AssertionError)[1] is None  # and nothing but disagreements


WHOLE, BATCHED = Checker(rulebook(), "durable"), Checker(rulebook(), "durable")


@pytest.mark.slow
@settings(max_examples=examples(10, 25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(response_records(), min_size=2, max_size=12), st.randoms(use_true_random=False),
       st.integers(1, 5))
def test_order_and_batch_size_do_not_matter(records, rnd, batch):
    for i, rec in enumerate(records):
        rec["response_id"] = f"R-{i}"
    recs = [Record("x.json", i + 1, None, r) for i, r in enumerate(records)]
    whole, _ = WHOLE.check_records(recs, AS_OF)
    shuffled = recs[:]
    rnd.shuffle(shuffled)
    pieces = []
    for start in range(0, len(shuffled), batch):
        part, _ = BATCHED.check_records(shuffled[start:start + batch], AS_OF)
        pieces.extend(part)
    key = lambda r: r.response_id  # noqa: E731
    assert [r.to_dict() for r in sorted(whole, key=key)] == [r.to_dict() for r in sorted(pieces, key=key)]
