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
    # Effective dating (issue 11): the dated values, oldest first, as (valid_from, valid_to, value,
    # reference); valid_to is exclusive (the first day the value no longer applies), None = open.
    # Empty for an undated parameter: ``value`` applies on every date.
    dated: tuple = ()

    def value_on(self, day: "dt.date") -> Any:
        """The value in force on ``day`` (the latest dated value whose window holds it; else ``value``)."""
        for valid_from, valid_to, value, _ in reversed(self.dated):
            if dt.date.fromisoformat(valid_from) <= day and (valid_to is None or day < dt.date.fromisoformat(valid_to)):
                return value
        return self.value

    def on(self, day: "dt.date") -> "Parameter":
        """This parameter as it stands on ``day``: its value in force then (and that value's reference)."""
        if not self.dated:
            return self
        for valid_from, valid_to, value, reference in reversed(self.dated):
            if dt.date.fromisoformat(valid_from) <= day and (valid_to is None or day < dt.date.fromisoformat(valid_to)):
                return Parameter(self.name, value, self.type, self.source, self.description, self.unit,
                                 reference or self.reference, self.reason, self.dated)
        return self

    def change_days(self) -> list[str]:
        """The dates (ISO) on which this parameter's value changes."""
        days = set()
        for valid_from, valid_to, _, _ in self.dated:
            days.add(valid_from)
            if valid_to:
                days.add(valid_to)
        return sorted(days)

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
        if self.dated:
            out["values"] = [dated_dict(d) for d in self.dated]
        return out


def dated_dict(d: tuple) -> dict[str, Any]:
    valid_from, valid_to, value, reference = d
    out: dict[str, Any] = {"value": value, "valid_from": valid_from}
    if valid_to:
        out["valid_to"] = valid_to
    if reference:
        out["reference"] = reference
    return out


def _read_yaml(path: Path, what: str) -> Any:
    return read_yaml(path, what)


def _check_value(name: str, kind: str, value: Any, where: str) -> Any:
    if kind == "date":
        return _iso(value, where, f"parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARAMETER:
        raise ConfigError(f"{where}: parameter {name!r} must be a whole number from 0 to {MAX_PARAMETER}")
    return value


def load_parameters(defaults_path: Path, override_path: Path | None = None) -> dict[str, Parameter]:
    doc = _read_yaml(defaults_path, "parameters")
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise ConfigError(f"{defaults_path}: expected a mapping 'parameters:'")
    params: dict[str, Parameter] = {}
    for name, spec in doc["parameters"].items():
        params[name] = _parameter_spec(name, spec, str(defaults_path))
    if override_path is not None:
        params = apply_overrides(params, override_path)
    return params


def _iso(value: Any, where: str, what: str) -> str:
    """``value`` as YYYY-MM-DD within the supported dates, else a ConfigError naming ``where`` and ``what``."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    try:
        day = dt.date.fromisoformat(str(value))
        if len(str(value)) != 10:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{where}: {what} must be a date YYYY-MM-DD") from None
    if not in_date_range(day):
        raise ConfigError(f"{where}: {what} {DATE_RANGE_MESSAGE}")
    return day.isoformat()


def dated_values(name: str, spec: dict, where: str) -> tuple:
    """A parameter's ``values:`` list (OpenFisca-style dated values), checked and sorted by ``valid_from``:
    ``[{value, valid_from, valid_to?, reference?}]``. Windows must not overlap; ``valid_to`` is exclusive
    and defaults to the next value's ``valid_from`` (the last value stays in force)."""
    given = spec.get("values")
    if given is None:
        return ()
    if not isinstance(given, list) or not given:
        raise ConfigError(f"{where}: parameter {name!r}: 'values' must be a non-empty list of "
                          "{value, valid_from, valid_to?, reference?}")
    rows = []
    for i, item in enumerate(given):
        if not isinstance(item, dict) or not {"value", "valid_from"} <= item.keys() or \
                not set(item) <= {"value", "valid_from", "valid_to", "reference"}:
            raise ConfigError(f"{where}: parameter {name!r} values[{i}] needs value and valid_from "
                              "(and may have valid_to and reference)")
        value = _check_value(name, spec["type"], item["value"], where)
        valid_from = _iso(item["valid_from"], where, f"parameter {name!r} values[{i}].valid_from")
        valid_to = _iso(item["valid_to"], where, f"parameter {name!r} values[{i}].valid_to") \
            if item.get("valid_to") is not None else None
        if valid_to is not None and valid_to <= valid_from:
            raise ConfigError(f"{where}: parameter {name!r} values[{i}]: valid_to {valid_to} is not after "
                              f"valid_from {valid_from}")
        rows.append([valid_from, valid_to, value, str(item.get("reference", ""))])
    rows.sort(key=lambda r: r[0])
    for before, after in zip(rows, rows[1:]):
        if before[0] == after[0]:
            raise ConfigError(f"{where}: parameter {name!r} has two values valid from {before[0]}")
        if before[1] is None:
            before[1] = after[0]
        elif before[1] > after[0]:
            raise ConfigError(f"{where}: parameter {name!r}: the value valid from {before[0]} overlaps the one "
                              f"valid from {after[0]}")
    return tuple(tuple(r) for r in rows)


def add_dated_value(param: Parameter, value: Any, valid_from: str, reference: str, where: str,
                    base_from: str) -> Parameter:
    """``param`` with ``value`` in force from ``valid_from`` on (a chapter version overlay's new value):
    the value before it stays in force until that day (an undated value is taken as in force from
    ``base_from``, the valid_from of the version it comes from)."""
    value = _check_value(param.name, param.type, value, where)
    rows = [list(d) for d in param.dated] or [[base_from, None, param.value, param.reference]]
    rows = [r for r in rows if r[0] < valid_from]
    if rows and (rows[-1][1] is None or rows[-1][1] > valid_from):
        rows[-1][1] = valid_from
    rows.append([valid_from, None, value, reference])
    return Parameter(param.name, value, param.type, param.source, param.description, param.unit,
                     param.reference, param.reason, tuple(tuple(r) for r in rows))


def _parameter_spec(name: str, spec: Any, where: str) -> Parameter:
    """One parameter of a parameters file: ``value`` or dated ``values``, type, source, description."""
    if isinstance(spec, dict) and "values" in spec and "value" not in spec:
        spec = {**spec, "value": None}
    if not isinstance(spec, dict) or not {"value", "type", "source", "description"} <= spec.keys():
        raise ConfigError(f"{where}: parameter {name!r} needs value, type, source and description")
    dated = dated_values(name, spec, where)
    value = dated[-1][2] if dated else _check_value(name, spec["type"], spec["value"], where)
    return Parameter(name, value, spec["type"], spec["source"], str(spec["description"]).strip(),
                     spec.get("unit", ""), spec.get("reference", ""), dated=dated)


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
