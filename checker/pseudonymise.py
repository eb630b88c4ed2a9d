"""Replacing every child's id in a report by a keyed hash (``--pseudonymise KEYFILE``).

``YP#`` + the first 16 hex digits of HMAC-SHA256(key file's bytes, id): the
same id and key give the same pseudonym on every run, so nightly reports (and
a baseline made with the same key) stay comparable, while nobody without the
key can tell which child is meant. Children's ids are collected from the
records (``young_people[].id``, ``connections[].to``,
``information_sharing.school_meetings[].young_person``) and from group members;
they are replaced wherever a report holds them: missing codes, messages,
group members and group findings.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigError

PREFIX = "YP#"
MIN_KEY_BYTES = 16


def load_key(path: str | os.PathLike[str]) -> bytes:
    try:
        key = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pseudonymisation key file ({exc.strerror})") from None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{path}: the pseudonymisation key file must hold at least {MIN_KEY_BYTES} bytes "
                          "(e.g. head -c 32 /dev/urandom > key)")
    return key


def pseudonym(key: bytes, child_id: str) -> str:
    return PREFIX + hmac.new(key, child_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _ids_of(value: Any) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def collect_child_ids(records: Iterable[dict]) -> set[str]:
    ids: set[str] = set()
    for rec in records:
        for yp in rec.get("young_people") or []:
            if not isinstance(yp, dict):
                continue
            ids.update(_ids_of(yp.get("id")))
            for conn in yp.get("connections") or []:
                if isinstance(conn, dict):
                    ids.update(_ids_of(conn.get("to")))
        sharing = rec.get("information_sharing")
        if isinstance(sharing, dict):
            for meeting in sharing.get("school_meetings") or []:
                if isinstance(meeting, dict):
                    ids.update(_ids_of(meeting.get("young_person")))
    return ids


class Pseudonymiser:
    def __init__(self, key: bytes, child_ids: Iterable[str]):
        self.key = key
        self.ids = {i for i in child_ids if i}
        self.map = {i: pseudonym(key, i) for i in self.ids}
        # longest first, and never inside a longer id-like token (YP-1 inside YP-10)
        alternatives = "|".join(re.escape(i) for i in sorted(self.ids, key=lambda i: (-len(i), i)))
        self._in_text = re.compile(rf"(?<![\w\-#])(?:{alternatives})(?![\w\-])") if self.ids else None

    def code(self, value: str) -> str:
        return self.map.get(value, value)

    def text(self, value: str) -> str:
        if not self._in_text or not isinstance(value, str):
            return value
        return self._in_text.sub(lambda m: self.map[m.group(0)], value)

    def deep(self, value: Any) -> Any:
        """Every string in a JSON-like value: exact ids replaced, ids inside text replaced."""
        if isinstance(value, str):
            return self.map[value] if value in self.map else self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value


def pseudonymise_report(report, key: bytes, child_ids: Iterable[str]) -> None:
    """Replace children's ids in ``report`` in place (findings, groups)."""
    ids = set(child_ids)
    for group in report.groups or []:
        ids.update(m for m in group.get("members") or [] if isinstance(m, str))
    p = Pseudonymiser(key, ids)
    for result in report.responses:
        for f in result.findings:
            f.missing = sorted(p.code(c) for c in f.missing)
            f.unknown = sorted(p.code(c) for c in f.unknown)
            f.pending = sorted(p.code(c) for c in f.pending)
            f.message = p.text(f.message)
            f.evidence = [p.text(e) for e in f.evidence]
    if report.groups is not None:
        report.groups = [p.deep(g) for g in report.groups]
