"""Named parameters with provenance: defaults from rules/parameters.yaml, overrides per partnership."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .limits import DATE_RANGE_MESSAGE, MAX_PARAMETER, in_date_range
from .workdays import epoch_day
from .yamlio import read_yaml


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Any
    type: str
    source: str          # "chapter", "local default" or "override (<file>)"
    description: str
    unit: str = ""
    reference: str = ""
    reason: str = ""     # why a partnership overrode it

    def engine_value(self) -> int:
        """The whole number the engine compares: dates as epoch days."""
        if self.type == "date":
            return epoch_day(dt.date.fromisoformat(str(self.value)))
        return int(self.value)

    def shown(self) -> str:
        """The value with its unit, as people read it: "1 working day", "14 days", "2026-02-01"."""
        unit = self.unit if self.unit and self.unit != "date" else ""
        if unit and self.value == 1 and unit.endswith("s"):
            unit = unit[:-1]
        return f"{self.value} {unit}" if unit else f"{self.value}"

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "value": self.value, "unit": self.unit, "source": self.source,
               "description": self.description}
        if self.reference:
            out["reference"] = self.reference
        if self.reason:
            out["reason"] = self.reason
        return out


def _read_yaml(path: Path, what: str) -> Any:
    return read_yaml(path, what)


def _check_value(name: str, kind: str, value: Any, where: str) -> Any:
    if kind == "date":
        try:
            day = dt.date.fromisoformat(str(value))
            if len(str(value)) != 10:
                raise ValueError
        except ValueError:
            raise ConfigError(f"{where}: parameter {name!r} must be a date YYYY-MM-DD") from None
        if not in_date_range(day):
            raise ConfigError(f"{where}: parameter {name!r} {DATE_RANGE_MESSAGE}")
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARAMETER:
        raise ConfigError(f"{where}: parameter {name!r} must be a whole number from 0 to {MAX_PARAMETER}")
    return value


def load_parameters(defaults_path: Path, override_path: Path | None = None) -> dict[str, Parameter]:
    doc = _read_yaml(defaults_path, "parameters")
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise ConfigError(f"{defaults_path}: expected a mapping 'parameters:'")
    params: dict[str, Parameter] = {}
    for name, spec in doc["parameters"].items():
        if not isinstance(spec, dict) or not {"value", "type", "source", "description"} <= spec.keys():
            raise ConfigError(f"{defaults_path}: parameter {name!r} needs value, type, source and description")
        value = _check_value(name, spec["type"], spec["value"], str(defaults_path))
        params[name] = Parameter(name, value, spec["type"], spec["source"], spec["description"].strip(),
                                 spec.get("unit", ""), spec.get("reference", ""))
    if override_path is not None:
        params = apply_overrides(params, override_path)
    return params


def apply_overrides(params: dict[str, Parameter], path: Path) -> dict[str, Parameter]:
    """A partnership's file: ``parameters: {name: value}`` or ``{name: {value, reason}}``."""
    doc = _read_yaml(path, "parameters override")
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise ConfigError(f"{path}: expected a mapping 'parameters:' of name: value")
    out = dict(params)
    for name, given in doc["parameters"].items():
        if name not in params:
            known = ", ".join(sorted(params))
            raise ConfigError(f"{path}: unknown parameter {name!r} (known: {known})")
        reason = ""
        if isinstance(given, dict):
            if "value" not in given:
                raise ConfigError(f"{path}: parameter {name!r} needs a 'value'")
            reason = str(given.get("reason", ""))
            given = given["value"]
        base = params[name]
        value = _check_value(name, base.type, given, str(path))
        out[name] = Parameter(name, value, base.type, f"override ({path.name})", base.description,
                              base.unit, base.reference, reason)
    return out
