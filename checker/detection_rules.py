"""Loading the group detection rules: YAML files under ``rules/detection/``, validated before anything runs.

A detection rule is data (``checker/schemas/detection-rule.schema.json``): a
basis, a minimum number of children and a window, each a number or the name
of a parameter. Nothing in a rule file can run code; ``checker/detection.py``
interprets every rule the same way.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ConfigError
from .params import Parameter
from .rulebook import digest_of, load_rule_docs

DETECTION_DIR = "detection"
BASES = ("connected", "same_setting", "same_area")
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class DetectionRule:
    id: str
    title: str
    section: str
    clause: str
    also: tuple[str, ...]
    severity: str
    basis: str
    min_children: int
    window_days: int
    parameters: tuple[str, ...]
    description: str = ""
    source: str = ""
    raw: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "basis": self.basis, "severity": self.severity,
                "min_children": self.min_children, "window_days": self.window_days,
                "policy": {"section": self.section, "clause": self.clause}}


@dataclass
class DetectionRuleset:
    rules: list[DetectionRule]
    parameters: dict[str, Parameter]
    directory: Path
    digest: str

    def by_id(self, rule_id: str) -> DetectionRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@lru_cache(maxsize=1)
def detection_rule_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("checker").joinpath("schemas/detection-rule.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text), format_checker=jsonschema.FormatChecker())


def _amount(doc: dict, key: str, params: dict[str, Parameter], used: set[str]) -> int:
    value = doc[key]
    if isinstance(value, dict):
        name = value["param"]
        if name not in params:
            raise ConfigError(f"{key}: unknown parameter {name!r}")
        used.add(name)
        return params[name].engine_value()
    return int(value)


def normalise(doc: dict, params: dict[str, Parameter], source: str = "") -> DetectionRule:
    """A schema-valid rule document as a DetectionRule, with its parameters resolved."""
    used: set[str] = set()
    min_children = _amount(doc, "min_children", params, used)
    window = _amount(doc, "window_days", params, used)
    if min_children < 2:
        raise ConfigError(f"min_children is {min_children}: a group needs at least 2 children")
    declared = set(doc.get("parameters", []))
    undeclared = used - declared
    if undeclared:
        raise ConfigError(f"parameters: uses {', '.join(sorted(undeclared))} without listing it")
    unknown = declared - set(params)
    if unknown:
        raise ConfigError(f"parameters: unknown {', '.join(sorted(unknown))}")
    policy = doc["policy"]
    return DetectionRule(
        id=doc["id"], title=doc["title"], section=policy["section"], clause=policy["clause"],
        also=tuple(policy.get("also", [])), severity=doc["severity"], basis=doc["basis"],
        min_children=min_children, window_days=window, parameters=tuple(sorted(declared)),
        description=" ".join(doc.get("description", "").split()), source=source, raw=doc)


def load_detection_rules(rules_dir: str | Path, params: dict[str, Parameter]) -> DetectionRuleset:
    """Read, validate and normalise ``<rules_dir>/detection/*.yaml``; raise ConfigError listing every problem."""
    directory = Path(rules_dir) / DETECTION_DIR
    if not directory.is_dir():
        raise ConfigError(f"{directory}: detection rules directory not found")
    rules, docs = load_rule_docs(sorted(directory.glob("*.yaml")), detection_rule_validator(),
                                 lambda doc, path: normalise(doc, params, path), "detection rules")
    if not rules:
        raise ConfigError(f"{directory}: no detection rule files (*.yaml) found")
    rules.sort(key=lambda r: (BASES.index(r.basis), SEVERITIES.index(r.severity), r.id))
    return DetectionRuleset(rules, params, directory, digest_of(docs, params))
