"""Loading the rules: YAML files validated against the rule schema, then normalised.

Nothing is evaluated until every rule file has passed its schema and the
checks the schema cannot express (unique ids, known facts, fields and
parameters). A rule file is data: YAML is read with ``safe_load``, so no tag
can construct a Python object, and the schema admits only conditions.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import jsonschema

from .catalogue import FACTS, SINGLETONS, canonical_doc, plain_field
from .errors import ConfigError
from .ir import Cond, Condition, Due, IfNone, Ref, Related, Requirement, Rule, Test
from .params import Parameter, apply_overrides, load_parameters
from .policy import section_sort_key
from .vocab import VOCAB_FILE, local_names
from .yamlio import read_yaml

PARAMETERS_FILE = "parameters.yaml"
ALWAYS_PRESENT = {"response": {"status", "identified_on", "as_of"}}
ALIASES = {"response": "r", "subject": "x"}


@lru_cache(maxsize=1)
def rule_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("checker").joinpath("schemas/rule.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _pointer(path) -> str:
    return "".join(f"/{p}" for p in path) or "/"


def schema_problems(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    """A rule file's problems against its schema, as ``/pointer: message``."""
    return [f"{_pointer(where)}: {message}" for where, message in located_schema_problems(validator, doc)]


def located_schema_problems(validator: jsonschema.Draft202012Validator, doc: Any) -> list[tuple[tuple, str]]:
    """A rule file's problems against its schema, as (pointer parts, message)."""
    problems = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        best = jsonschema.exceptions.best_match([err])
        where = tuple(best.absolute_path)
        if best.validator == "required":
            missing = [p for p in best.validator_value if isinstance(best.instance, dict) and p not in best.instance]
            problems.append((where, f"missing required field {', '.join(map(repr, missing))}"))
        elif best.validator == "additionalProperties":
            extra = sorted(set(best.instance) - set(best.schema.get("properties", {})))
            problems.append((where, f"unknown field(s) {', '.join(map(repr, extra))}"))
        elif best.validator == "enum":
            problems.append((where, f"must be one of {', '.join(map(str, best.validator_value))}"))
        else:
            problems.append((where, best.message))
    return problems


@dataclass
class Rulebook:
    rules: list[Rule]
    parameters: dict[str, Parameter]
    directory: Path
    digest: str
    version: str
    # Effective dating (checker/versions.py): every dated version of each rule, oldest first, and the
    # chapter versions the rule set is made of (the first, then each overlay).
    versions: dict[str, list[Rule]] = field(default_factory=dict)
    chapter_versions: list = field(default_factory=list)

    def all_rules(self) -> list[Rule]:
        """Every version of every rule: what the engine compiles (each judges only where in force)."""
        if not self.versions:
            return list(self.rules)
        return [v for rule in self.rules for v in self.versions.get(rule.id, [rule])]

    def versions_of(self, rule_id: str) -> list[Rule]:
        return self.versions.get(rule_id) or [self.by_id(rule_id)]

    @property
    def is_dated(self) -> bool:
        """More than one chapter version, or a rule with more than one version: findings say which judged them."""
        return len(self.chapter_versions) > 1 or any(len(v) > 1 for v in self.versions.values())

    @property
    def detection_dir(self) -> Path:
        """The directory whose detection/ folder holds the group detection rules (the first version's)."""
        return self.chapter_versions[0].directory if self.chapter_versions else self.directory

    def versions_words(self) -> str:
        """The chapter version(s) and rule set version used, in words, for every report."""
        chapters = "; ".join(v.words() for v in self.chapter_versions) or "chapter version not named"
        return f"{chapters}; rule set {self.version}"

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


DETECTION_DIR = "detection"  # group detection rules: their own schema, loaded by checker/detection_rules.py


NOT_RULE_FILES = {PARAMETERS_FILE, "version.yaml", VOCAB_FILE}  # data next to the rules, not rules
VERSIONS_DIR = "versions"  # later chapter versions (overlays, checker/versions.py): not part of this one


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml")
                  if p.name not in NOT_RULE_FILES
                  and p.relative_to(directory).parts[0] not in (DETECTION_DIR, VERSIONS_DIR))


def read_rule_file(path: Path) -> dict:
    doc = read_yaml(path, "rule")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a rule file holds one mapping (id, title, policy, ...)")
    return doc


def load_rulebook(directory: Path, params_override: Path | None = None) -> Rulebook:
    """Read, validate and normalise every rule under ``directory``; raise ConfigError listing every problem.

    ``directory`` is a chapter version: the first, or an overlay inheriting earlier ones (checker/versions.py);
    each rule gets one version per window of identification dates in which it and its parameters' values
    are in force."""
    from . import versions as dating

    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: rules directory not found")
    chain = dating.version_chain(directory)
    base = chain[0].directory
    params = load_parameters(base / PARAMETERS_FILE)
    for _ in range(2):  # the first version is in force from chapter_in_force_from (a --params file may move it)
        in_force = params.get("chapter_in_force_from")
        chain[0].valid_from = str(in_force.value) if in_force is not None else "1900-01-01"
        if _:
            break
        params = dating.overlay_parameters(params, chain)
        if params_override is not None:
            params = apply_overrides(params, params_override)
    for before, after in zip(chain, chain[1:]):
        if after.valid_from <= before.valid_from:
            raise ConfigError(f"{after.directory / 'version.yaml'}: valid_from {after.valid_from} is not after "
                              f"the version it inherits ({before.valid_from})")
        before.valid_to = after.valid_from
    docs: list[tuple[Path, dict]] = []
    for version in chain:
        docs += load_rule_docs(rule_files(version.directory), rule_validator(), lambda doc, path: None, "rules")[1]
    by_path = {path: doc for path, doc in docs}
    entries, problems = dating.rule_entries(chain, rule_files, by_path.__getitem__)
    if problems:
        raise ConfigError("invalid chapter version:\n  " + "\n  ".join(problems))
    versions: dict[str, list[Rule]] = {}
    for rid, rule_entries in entries.items():
        try:
            found = dating.dated_versions(rule_entries, params, normalise, chain[0].valid_from, chain)
        except ConfigError as exc:
            problems.append(f"{getattr(exc, 'path', '') or rule_entries[-1].path}: {exc}")
            continue
        if not found:
            problems.append(f"{rule_entries[-1].path}: rule {rid!r} is never in force (valid_to is not after "
                            "valid_from)")
        versions[rid] = found
    if problems:
        raise ConfigError("invalid rules:\n  " + "\n  ".join(problems))
    rules = [vs[-1] for vs in versions.values() if vs]
    if not rules:
        raise ConfigError(f"{directory}: no rule files (*.yaml) found")
    rules.sort(key=lambda r: (section_sort_key(r.section), r.id))
    # the texts as reports show them, in the internal field names
    digest = digest_of([(path, local_names(canonical_doc(doc))) for path, doc in docs], params,
                       chain if len(chain) > 1 else None)
    return Rulebook(rules, params, directory, digest, f"{len(rules)} rules, sha256 {digest[:12]}",
                    versions, chain)


def load_rule_docs(paths: list[Path], validator: jsonschema.Draft202012Validator,
                   normalise_one: Callable[[dict, str], Any], what: str) -> tuple[list, list[tuple[Path, dict]]]:
    """Read every file, validate each against ``validator`` and only then normalise: a ConfigError
    lists every problem of every file (unreadable YAML, schema, duplicate ids, normalising)."""
    problems: list[str] = []
    docs: list[tuple[Path, dict]] = []
    for path in paths:
        try:
            doc = read_rule_file(path)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        problems.extend(f"{path}: {p}" for p in schema_problems(validator, doc))
        docs.append((path, doc))
    if problems:
        raise ConfigError(f"invalid {what}:\n  " + "\n  ".join(problems))
    seen: dict[str, Path] = {}
    out = []
    for path, doc in docs:
        if doc["id"] in seen:
            problems.append(f"{path}: duplicate rule id {doc['id']!r} (also in {seen[doc['id']]})")
            continue
        seen[doc["id"]] = path
        try:
            out.append(normalise_one(doc, str(path)))
        except ConfigError as exc:
            problems.append(f"{path}: {exc}")
    if problems:
        raise ConfigError(f"invalid {what}:\n  " + "\n  ".join(problems))
    return out, docs


def digest_of(docs: list[tuple[Path, dict]], params: dict[str, Parameter], chain: list | None = None) -> str:
    """sha256 of the rule documents (by id) and the parameter values and sources used (with their dated
    values, and the chapter versions' manifests, where there are)."""
    h = hashlib.sha256()
    for _, doc in sorted(docs, key=lambda d: (d[1]["id"], json.dumps(d[1], sort_keys=True, default=str))):
        h.update(json.dumps(doc, sort_keys=True, default=str).encode())
    h.update(json.dumps({k: [p.value, p.source] for k, p in sorted(params.items())}, sort_keys=True).encode())
    dated = {k: p.dated for k, p in sorted(params.items()) if p.dated}
    if dated:
        h.update(json.dumps(dated, sort_keys=True, default=str).encode())
    for version in chain or ():
        h.update(json.dumps({**version.to_dict(), "adds": version.adds, "changes": version.changes,
                             "removes": version.removes}, sort_keys=True).encode())
    return h.hexdigest()


class _Normaliser:
    def __init__(self, doc: dict, params: dict[str, Parameter]):
        self.doc, self.params = doc, params
        self.subject = doc["subject"]["fact"]
        self.used_params: set[str] = set()

    def fail(self, message: str):
        raise ConfigError(message)

    def amount(self, value: Any) -> int:
        if isinstance(value, dict):
            name = value["param"]
            if name not in self.params:
                self.fail(f"unknown parameter {name!r}")
            self.used_params.add(name)
            return self.params[name].engine_value()
        return int(value)

    def limits(self, names: set[str]) -> str:
        """The rule's parameters as a gap message names them: value, unit and where it comes from."""
        out = []
        for name in sorted(names):
            p = self.params.get(name)
            if p is None or name == "chapter_in_force_from":
                continue
            out.append(f"{name} = {p.shown()} ({p.source})")
        return "; ".join(out)

    def fact_of(self, alias_name: str) -> str:
        return "response" if alias_name == "response" else self.subject

    def ref(self, text: str, plus: int = 0, how: str = "d") -> tuple[Ref, str]:
        alias_name, fname = text.split(".", 1)
        fact = self.fact_of(alias_name)
        kind = FACTS[fact].get(fname)
        if kind is None:
            self.fail(f"{text}: {fact} has no field {fname!r}")
        if alias_name == "response" and fname not in ALWAYS_PRESENT["response"] and self.subject != "response":
            self.fail(f"{text}: only response.identified_on, response.as_of and response.status may be referred to")
        alias = "r" if alias_name == "response" or self.subject == "response" else "x"
        encoded = f"{fname}_{how}" if kind == "date" else fname
        return Ref(alias, encoded, plus), kind

    def operand(self, value: Any, kind: str, how: str = "d") -> Any:
        if isinstance(value, dict) and "ref" in value:
            offset = self.amount(value.get("plus_days", 0)) - self.amount(value.get("minus_days", 0))
            ref, rkind = self.ref(value["ref"], offset, how)
            if rkind != kind:
                self.fail(f"{value['ref']}: compares a {kind} with a {rkind}")
            return ref
        if isinstance(value, dict) and "param" in value:
            return self.amount(value)
        if kind == "date":
            self.fail("a date can only be compared with another date ({ref: ...})")
        expected = {"str": str, "int": int, "bool": bool}[kind]
        if type(value) is not expected:
            self.fail(f"{value!r} is not a {kind}")
        return value

    def test(self, fact: str, fname: str, spec: Any) -> Test:
        kind = FACTS[fact].get(fname)
        if kind is None:
            self.fail(f"{fact} has no field {fname!r} (known: {', '.join(plain_field(fact, f) for f in FACTS[fact])})")
        primary = f"{fname}_d" if kind == "date" else fname
        null = f"{fname}__null"
        if not isinstance(spec, dict):
            spec = {"eq": spec}
        (op, value), = spec.items()
        if op == "present":
            return Test(fname, primary, null, Cond(primary, "ex" if value else "nex"))
        if op == "recorded":
            return Test(fname, primary, null, Cond(primary, "rec" if value else "unk", null))
        if op == "within_working_days":
            if kind != "date":
                self.fail(f"{fname}: within_working_days needs a date field")
            ref, _ = self.ref(value["of"]["ref"], self.amount(value["days"]), "w")
            return Test(fname, primary, null, Cond(f"{fname}_w", "lte", ref))
        if op in ("in", "not_in"):
            items = tuple(self.operand(v, kind) for v in value)
            return Test(fname, primary, null, Cond(primary, "in" if op == "in" else "nin", items))
        return Test(fname, primary, null, Cond(primary, op, self.operand(value, kind)))

    def tests(self, fact: str, spec: dict | None) -> tuple[Test, ...]:
        return tuple(self.test(fact, k, v) for k, v in (spec or {}).items())

    def related(self, spec: dict) -> Related:
        return Related(spec["fact"], self.tests(spec["fact"], spec.get("where")))

    def condition(self, spec: dict, allow_subject: bool = True) -> Condition:
        (kind, body), = spec.items()
        if kind == "subject":
            if not allow_subject:
                self.fail("'subject' conditions are not allowed in applies")
            return Condition("subject", self.tests(self.subject, body))
        if kind == "response":
            return Condition("response", self.tests("response", body))
        return Condition(kind, related=self.related(body))

    def due(self, spec: Any) -> Due | None:
        if spec is None:
            return None
        if spec == "at_closure":
            return Due("at_closure")
        if "after_closure" in spec:
            return Due("after_closure", self.amount(spec["after_closure"]["working_days"]), "r",
                       "closed_on_w", "closed_on_d")
        if "once" in spec:
            return Due("once", related=self.related(spec["once"]))
        ref, kind = self.ref(spec["after"], 0, "w")
        if kind != "date":
            self.fail(f"due.after: {spec['after']} is not a date")
        return Due("working_days", self.amount(spec["working_days"]), ref.alias, ref.field,
                   ref.field[:-2] + "_d")

    def requirement(self, index: int, spec: dict, rule_due: Due | None) -> Requirement:
        code = spec["code"]
        code_field = None
        if isinstance(code, dict):
            code_field = code["field"]
            if code_field not in FACTS[self.subject]:
                self.fail(f"requires[{index}].code: {self.subject} has no field {code_field!r}")
            code = None
        when = tuple(self.condition(c) for c in spec.get("when", []))
        test = exists = None
        if "test" in spec:
            if len(spec["test"]) != 1:
                self.fail(f"requires[{index}].test: test exactly one field (one code per requirement)")
            test = self.tests(self.subject, spec["test"])[0]
            if test.cond.op in ("nex", "rec", "unk"):
                self.fail(f"requires[{index}].test: only a value can be required, not presence or absence")
        if "exists" in spec:
            exists = self.related(spec["exists"])
        needs = [self.test(self.subject, n, {"present": True}).primary for n in spec.get("needs", [])]
        for t in (exists.where if exists else ()) + ((test,) if test else ()):
            needs += [r.field for r in t.refs() if r.alias == "x" and r.field not in needs]
        label = spec.get("label") or (code or code_field or "")
        unknown_if = self.related(spec["unknown_if"]) if "unknown_if" in spec else None
        return Requirement(index, code, code_field, label, when, test, exists, tuple(needs), unknown_if,
                           spec.get("evidence", ""), self.due(spec.get("due")) or rule_due)

    def build(self, source: str) -> Rule:
        doc = self.doc
        subject = doc["subject"]
        if self.subject == "response" and subject.get("where"):
            self.fail("subject response takes no 'where'; use 'applies'")
        rule_due = self.due(doc.get("due"))
        expanded = [one for spec in doc["requires"] for one in expand_codes(spec)]
        requires = tuple(self.requirement(i, r, rule_due) for i, r in enumerate(expanded))
        inone = subject.get("if_none", {"status": "not_applicable"})
        unknown = inone.get("unknown_unless")
        if unknown and unknown not in FACTS["response"]:
            self.fail(f"subject.if_none.unknown_unless: response has no field {unknown!r}")
        if inone["status"] == "gap" and not inone.get("code"):
            self.fail("subject.if_none: a gap needs a 'code'")
        none_due = self.due(inone["due"]) if "due" in inone else rule_due
        if none_due and inone["status"] == "gap" and (
                none_due.alias == "x"
                or (none_due.related and any(r.alias == "x" for t in none_due.related.where for r in t.refs()))):
            self.fail("the due of an absent subject must count from a response date")
        if_none = IfNone(inone["status"], inone.get("code"), inone.get("evidence", ""), unknown,
                         inone.get("reason", f"no {subject.get('label', self.subject)} in the record"),
                         inone.get("label", ""))
        applies = tuple(self.condition(c, allow_subject=False) for c in doc.get("applies", []))
        declared = set(doc.get("parameters", []))
        self.used_params.add("chapter_in_force_from")
        in_force = self.amount({"param": "chapter_in_force_from"})
        undeclared = self.used_params - declared - {"chapter_in_force_from"}
        if undeclared:
            self.fail(f"parameters: uses {', '.join(sorted(undeclared))} without listing it")
        unknown_params = declared - set(self.params)
        if unknown_params:
            self.fail(f"parameters: unknown {', '.join(sorted(unknown_params))}")
        if self.subject not in SINGLETONS and not subject.get("label"):
            self.fail("subject.label is needed for a fact that can occur many times")
        policy = doc["policy"]
        if not policy["clause"].startswith(policy["section"] + "-"):
            self.fail(f"policy.clause {policy['clause']} is not in section {policy['section']}")
        return Rule(
            id=doc["id"], title=doc["title"], section=policy["section"], clause=policy["clause"],
            also=tuple(policy.get("also", [])), severity=doc["severity"],
            description=" ".join(doc.get("description", "").split()),
            message=" ".join(doc.get("message", "").split()),
            parameters=tuple(sorted(declared | {"chapter_in_force_from"})),
            in_force_from=in_force, applies=applies,
            applies_reason=doc.get("applies_reason", "the rule's conditions do not hold for this response"),
            subject_fact=self.subject, subject_where=self.tests(self.subject, subject.get("where")),
            subject_label=subject.get("label", self.subject.replace("_", " ")), if_none=if_none,
            requires=requires, due=none_due, missing_heading=doc.get("missing_heading", "Missing"), source=source, raw=doc,
            limits=self.limits(declared),
            strength=doc.get("strength", "must"), next_step=" ".join(doc.get("next_step", "").split()),
        )


def _substitute(value: Any, code: str) -> Any:
    if value == "$code":
        return code
    if isinstance(value, dict):
        return {k: _substitute(v, code) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, code) for v in value]
    return value


def expand_codes(spec: dict) -> list[dict]:
    """``codes: [a, b]`` is one requirement per code, with "$code" in its conditions replaced."""
    if "codes" not in spec:
        return [spec]
    rest = {k: v for k, v in spec.items() if k != "codes"}
    return [{**_substitute(rest, code), "code": code} for code in spec["codes"]]


def normalise(doc: dict, params: dict[str, Parameter], source: str = "") -> Rule:
    """A schema-valid rule document as the engine runs it: field names taken in their internal form
    (plain names such as ``meeting_type`` and the deprecated aliases such as ``mtype`` both work), and
    front-door placeholders filled from the vocabularies in use."""
    return _Normaliser(local_names(canonical_doc(doc)), params).build(source)  # type: ignore[arg-type]
