"""Issue 9: fuzzing every input path with generated garbage.

Every example must end in findings or input errors (records, rows) or in a
ConfigError (parameters, waivers, rule files): never any other exception, so
the words "internal error" are unreachable from an input file.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.api import Checker
from checker.errors import ConfigError, InputError
from checker.groups import find_groups
from checker.loading import iter_raw
from checker.params import load_parameters
from checker.rulebook import PARAMETERS_FILE, load_rulebook
from checker.validation import load_incidents, load_responses
from checker.waivers import load_waivers
from checker.yamlio import read_yaml

from conftest import minimal_response
from helpers import AS_OF, RULES, SAMPLE, examples, rulebook
import nightly_helpers

FUZZ = settings(max_examples=examples(30, 60), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
FEED_HEADER = "incident_id,young_person_id,date_of_birth,age,date,setting_id,area,connections,reported_by"

# -- garbage ---------------------------------------------------------------------------------------------------------

any_char = st.characters(codec=None, categories=None)  # every code point, lone surrogates included
nasty_text = st.one_of(
    st.text(any_char, max_size=12),
    st.dates(dt.date.min, dt.date.max).map(dt.date.isoformat),
    st.sampled_from(["", " ", "\n", "\ud800", "2026-02-30", "9999-12-31", "0001-01-01", "1900-01-01",
                     "NaN", "null", "\x00", "\u202e", '"', "'", "YP-A\nGAP", "R-2026-001"]),
)
nasty_scalar = st.one_of(
    st.none(), st.booleans(), nasty_text,
    st.integers(-(2 ** 70), 2 ** 70), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([9223372036854775807, -1, 0, 2 ** 63, 1e308]),
)
nasty_json = st.recursive(nasty_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(nasty_text, inner, max_size=3)), max_leaves=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(value, path, new):
    if not path:
        return new
    out = copy.copy(value)
    out[path[0]] = _replace(value[path[0]], path[1:], new)
    return out


@st.composite
def mutated(draw, base):
    """A copy of ``base`` with one to three values (anywhere) replaced by garbage."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths[1:] or paths))
        value = _replace(value, path, draw(nasty_json))
    return value


@lru_cache(maxsize=1)
def sample_records() -> tuple:
    return tuple(nightly_helpers.sample_records())


@lru_cache(maxsize=2)
def checker(engine: str) -> Checker:
    return Checker(rulebook(), engine)


def check_all(paths, engine="python"):
    """What api.check does for the records of ``paths`` (reusing one checker): (results, errors)."""
    loaded = load_responses(paths)
    results, errors = checker(engine).check_records(loaded.records, AS_OF)
    return loaded, results, loaded.errors + errors


def render_all(results, errors):
    from checker.api import Report
    from checker.reporting import RENDERERS

    report = Report(AS_OF, rulebook(), results, errors)
    for render in RENDERERS.values():
        text = render(report)
        text.encode("utf-8")  # every output is writable text


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=True)  # lone surrogates become \\udxxx escapes, as an export may hold


# -- JSON and JSON Lines -------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), engine=st.sampled_from(["python", "python", "durable"]))
def test_garbage_records_end_in_findings_or_input_errors(data, engine):
    base = data.draw(st.sampled_from(sample_records()))
    bad = data.draw(mutated(base))
    good = minimal_response("R-CONTROL")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.json").write_text("[" + _dump(bad) + ",\n" + _dump(good) + "]", encoding="utf-8")
        Path(tmp, "b.jsonl").write_text(_dump(bad) + "\n" + _dump(minimal_response("R-CONTROL-2")) + "\n",
                                        encoding="utf-8")
        loaded, results, errors = check_all([tmp], engine)
    ids = [r.response_id for r in results]
    assert "R-CONTROL" in ids and "R-CONTROL-2" in ids  # the good records are always checked
    assert len(results) + len({(e.source, e.record) for e in errors}) >= 4  # nothing lost silently
    render_all(results, errors)


@FUZZ
@given(raw=st.binary(max_size=200), cut=st.integers(0, 400))
def test_garbage_bytes_in_json_files_are_input_errors(raw, cut):
    text = _dump(sample_records()[0]).encode()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.json").write_bytes(text[:cut] + raw + text[cut:])
        Path(tmp, "b.jsonl").write_bytes(raw + b"\n" + text[:cut] + raw + b"\n" + _dump(minimal_response("R-OK")).encode())
        loaded, results, errors = check_all([tmp])
    assert "R-OK" in [r.response_id for r in results]
    assert all(isinstance(e, InputError) for e in errors)


# -- CSV -----------------------------------------------------------------------------------------------------------

GOOD_ROWS = [f"GOOD-{i},YP-{i % 4},,14,2026-03-{1 + i:02d},URN-1,LA-1,," for i in range(8)]
csv_cell = st.one_of(nasty_text.filter(lambda s: "\n" not in s and "\r" not in s),
                     st.sampled_from(['"', '"x', 'x"', '""', '"a,b"', "a;b", "2026-03-01", "14"]))
garbage_line = st.one_of(
    st.lists(csv_cell, min_size=0, max_size=12).map(lambda cells: ",".join(cells).encode("utf-8", "surrogatepass")),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@FUZZ
@given(garbage=garbage_line, at=st.integers(0, len(GOOD_ROWS)))
def test_one_garbage_row_costs_at_most_itself(garbage, at):
    lines = [row.encode() for row in GOOD_ROWS]
    lines.insert(at, garbage)
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp, "feed.csv")
        feed.write_bytes(FEED_HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n")
        result = load_incidents([str(feed)])
        found = find_groups([str(feed)], AS_OF, RULES, rulebook().parameters, [])
    read = [r.data["incident_id"] for r in result.records]
    assert [i for i in read if i.startswith("GOOD-")] == [f"GOOD-{i}" for i in range(8)]
    assert all(e.line == at + 2 for e in result.errors)  # only the garbage row's line is named
    assert found.groups  # the good rows still make their group


@FUZZ
@given(rows=st.lists(st.one_of(garbage_line, st.sampled_from([r.encode() for r in GOOD_ROWS])), max_size=15),
       breaks=st.sampled_from([b"\n", b"\r\n", b"\r"]), bom=st.booleans())
def test_garbage_feeds_end_in_groups_or_input_errors(rows, breaks, bom):
    body = (b"\xef\xbb\xbf" if bom else b"") + FEED_HEADER.encode() + breaks + breaks.join(rows) + breaks
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp, "feed.csv")
        feed.write_bytes(body)
        responses = [r.data for r in load_responses([str(SAMPLE)]).records]
        found = find_groups([str(feed)], AS_OF, RULES, rulebook().parameters, responses)
        items = list(iter_raw([str(feed)], "incident"))
    assert all(isinstance(e, InputError) for e in found.input_errors)
    assert found.incidents_read + len({e.line for e in found.input_errors}) >= len([r for r in rows if r.strip()]) \
        or any(e.message.startswith("unbalanced") for e in found.input_errors)
    assert items is not None


# -- configuration: --params, --waivers, rule files -----------------------------------------------------------------

yaml_text = st.one_of(
    st.text(any_char.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=80),
    st.sampled_from(["a: &a [1, *a]", "a: !!python/object:os.system x", "a: 2026-02-30", "[" * 200,
                     "parameters: {adult_age: &x 1, referral_working_days: *x}", "? [a, b]\n: c", "a: !!binary xx",
                     "waivers: !!set {a, b}", "parameters: {adult_age: 1e400}", "%YAML 9.9\n---\na: 1"]),
)


def yaml_of(value) -> str:
    try:
        return yaml.safe_dump(value, allow_unicode=True)
    except yaml.YAMLError:
        return "x: 1"


@FUZZ
@given(data=st.data())
def test_garbage_parameter_files_are_config_errors(data):
    base = {"parameters": {"adult_age": 17, "referral_working_days": {"value": 2, "reason": "local"},
                           "chapter_in_force_from": "2026-02-01"}}
    text = data.draw(st.one_of(yaml_text, mutated(base).map(yaml_of)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "p.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            params = load_parameters(RULES / PARAMETERS_FILE, path)
        except ConfigError:
            return
    checker("python")  # noqa: the parameters must also be usable: every value has an engine value
    for p in params.values():
        p.engine_value()


@FUZZ
@given(data=st.data())
def test_garbage_waiver_files_are_config_errors(data):
    base = {"waivers": [{"response_id": "R-2026-002", "rule": "scoping-required-roles", "reason": "r",
                         "approved_by": "q", "expires_on": "2026-12-31"}]}
    text = data.draw(st.one_of(yaml_text, mutated(base).map(yaml_of),
                               st.just("waivers:\n  - {response_id: R-1, rule: x, reason: r, approved_by: q, "
                                       "expires_on: 2026-02-30}\n")))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "w.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            load_waivers(path, rulebook())
        except ConfigError:
            pass


@lru_cache(maxsize=1)
def rule_docs() -> tuple:
    files = sorted((RULES).rglob("*.yaml"))
    return tuple((p.relative_to(RULES), read_yaml(p)) for p in files if p.name not in (PARAMETERS_FILE, "vocabularies.yaml")
                 and "detection" not in p.parts)


@settings(FUZZ, max_examples=examples(15, 30))
@given(data=st.data())
def test_garbage_rule_files_are_config_errors(data):
    rel, doc = data.draw(st.sampled_from(rule_docs()))
    text = data.draw(st.one_of(mutated(doc).map(yaml_of), yaml_text))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(RULES / PARAMETERS_FILE, Path(tmp, PARAMETERS_FILE))
        Path(tmp, "rule.yaml").write_text(text, encoding="utf-8")
        try:
            book = load_rulebook(Path(tmp))
        except ConfigError:
            return
    for record in sample_records()[:3]:
        Checker(book, "python").check_record(record, AS_OF)


@settings(FUZZ, max_examples=examples(20, 40))
@given(raw=st.binary(max_size=300))
def test_garbage_bytes_in_any_yaml_file_are_config_errors(raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "x.yaml")
        path.write_bytes(raw)
        for load in (lambda: read_yaml(path), lambda: load_waivers(path),
                     lambda: load_parameters(RULES / PARAMETERS_FILE, path)):
            try:
                load()
            except ConfigError:
                pass
