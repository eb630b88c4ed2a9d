"""Issue 13: parsed YAML is remembered per process; callers still get their own copy, and failures repeat."""
from __future__ import annotations

import pytest

from checker import yamlio
from checker.errors import ConfigError


def test_a_remembered_document_is_a_fresh_copy_each_time():
    text = "a: &x [1, {b: 2026-02-30}]\nc: *x\n"
    first = yamlio.parse_yaml(text, "f.yaml")
    assert first == {"a": [1, {"b": "2026-02-30"}], "c": [1, {"b": "2026-02-30"}]}
    assert first["a"] is first["c"]  # an alias stays one value, as the parser builds it
    first["a"][1]["b"] = "changed"
    first["new"] = True
    second = yamlio.parse_yaml(text, "g.yaml")
    assert second == {"a": [1, {"b": "2026-02-30"}], "c": [1, {"b": "2026-02-30"}]}
    assert second is not first and second["a"] is second["c"]
    assert text in yamlio._PARSED


def test_a_text_that_fails_fails_each_time_naming_the_caller():
    for where in ("one.yaml", "two.yaml"):
        with pytest.raises(ConfigError) as err:
            yamlio.parse_yaml("a: [1\n", where)
        assert str(err.value) == f"{where}: not valid YAML at line 2, column 1"
    assert "a: [1\n" not in yamlio._PARSED


def test_the_memory_is_bounded():
    for n in range(yamlio._PARSED_MAX_FILES + 10):
        assert yamlio.parse_yaml(f"n: {n}\n", "f.yaml") == {"n": n}
    assert len(yamlio._PARSED) == yamlio._PARSED_MAX_FILES
    big = "x: " + "y" * (yamlio._PARSED_MAX_CHARS + 1) + "\n"
    assert yamlio.parse_yaml(big, "big.yaml")["x"].startswith("yyy")
    assert big not in yamlio._PARSED
