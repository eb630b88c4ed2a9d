"""Replacing every child's id in a report by a keyed hash (``--pseudonymise KEYFILE``).

``YP#`` + the first 16 hex digits of HMAC-SHA256(key file's bytes, id): the
same id and key give the same pseudonym on every run, so nightly reports (and
a baseline made with the same key) stay comparable, while nobody without the
key can tell which child is meant. Children's ids are collected from the
records (``young_people[].id``, ``connections[].to``,
``information_sharing.school_meetings[].young_person``) and from group members;
they are replaced wherever a report holds them: missing codes, messages,
group members and group findings, and the baseline's resolved gaps.

Ids inside text are replaced only where they stand as an id: an id made of
digits only (``7``) is replaced only in a list (after ``: ``, ``, `` or ``(``
and before ``,``, ``.``, ``)`` or the end), never in a count or a date.
Evidence pointers (``/young_people/1/id``) hold positions, never ids: their
number segments are never rewritten.

Free text typed into a waivers file (``reason``, ``approved_by``) is not
printed in a pseudonymised report: it could name a child. The report says the
reason is withheld; the waivers file keeps it.

A pseudonymised report records ``pseudonymisation.key_fingerprint`` (16 hex
digits of HMAC-SHA256 of a fixed text with the key): a baseline made without the
key, or with another key, is refused (see checker/baseline.py).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigError
from .kept import editing

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


WITHHELD = "(withheld: a pseudonymised report does not print text typed into the waivers file)"
# waiver_note (checker/reporting/rows.py) words a withheld waiver as "...waivers file; withheld: ..."


def key_fingerprint(key: bytes) -> str:
    """Tells keys apart without revealing them: the same key gives the same fingerprint."""
    return hmac.new(key, b"shg-check pseudonymisation key fingerprint", hashlib.sha256).hexdigest()[:16]


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
        wordy = sorted((i for i in self.ids if not _bare(i)), key=lambda i: (-len(i), i))
        bare = sorted((i for i in self.ids if _bare(i)), key=lambda i: (-len(i), i))
        patterns = []
        if wordy:
            patterns.append(rf"(?<![\w\-#])(?:{'|'.join(re.escape(i) for i in wordy)})(?![\w\-])")
        if bare:  # digits-only (or symbol-only) ids: only as a list item, never a count, a date or a time
            patterns.append(rf"(?:(?<=: )|(?<=, )|(?<=\())(?:{'|'.join(re.escape(i) for i in bare)})"
                            rf"(?=,|\.(?!\w)|\)|$)")
        self._in_text = re.compile("|".join(patterns)) if patterns else None

    def code(self, value: str) -> str:
        return self.map.get(value, value)

    def text(self, value: str) -> str:
        if not self._in_text or not isinstance(value, str):
            return value
        return self._in_text.sub(lambda m: self.map[m.group(0)], value)

    def pointer(self, value: str) -> str:
        """A JSON pointer: only segments that are exactly a (non-numeric) id are replaced."""
        if not isinstance(value, str):
            return value
        return "/".join(seg if seg.isdigit() else self.map.get(seg, seg) for seg in value.split("/"))

    def deep(self, value: Any) -> Any:
        """Every string in a JSON-like value: exact ids replaced, ids inside text replaced."""
        if isinstance(value, str):
            return self.map[value] if value in self.map else self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value


def _bare(child_id: str) -> bool:
    return not any(ch.isalpha() for ch in child_id)


def withhold_waiver(w: dict | None) -> dict | None:
    """A waiver as a pseudonymised report shows it: dates kept, typed text withheld."""
    if not isinstance(w, dict):
        return w
    out = dict(w)
    for name in ("reason", "approved_by"):
        if name in out:
            out[name] = WITHHELD
    return out


def _group(p: Pseudonymiser, group: dict) -> dict:
    out = {}
    for k, v in group.items():
        if k == "findings" and isinstance(v, list):
            out[k] = [_group_finding(p, f) for f in v]
        else:
            out[k] = p.deep(v)
    return out


def _group_finding(p: Pseudonymiser, f: Any) -> Any:
    if not isinstance(f, dict):
        return p.deep(f)
    out = {}
    for k, v in f.items():
        if k == "evidence" and isinstance(v, list):
            out[k] = [p.pointer(e) for e in v]
        elif k in ("waived", "waiver_expired"):
            out[k] = withhold_waiver(v)
        else:
            out[k] = p.deep(v)
    return out


def pseudonymise_report(report, key: bytes, child_ids: Iterable[str]) -> None:
    """Replace children's ids in ``report`` in place (findings, groups, resolved baseline gaps), withhold
    waiver text, and record the key's fingerprint."""
    ids = set(child_ids)
    for group in report.groups or []:
        ids.update(m for m in group.get("members") or [] if isinstance(m, str))
    p = Pseudonymiser(key, ids)
    for result in editing(report.responses):  # (kept results: each change is written back)
        for f in result.findings:
            f.missing = sorted(p.code(c) for c in f.missing)
            f.unknown = sorted(p.code(c) for c in f.unknown)
            f.pending = sorted(p.code(c) for c in f.pending)
            f.message = p.text(f.message)
            f.evidence = [p.pointer(e) for e in f.evidence]
            f.waived = withhold_waiver(f.waived)
            f.waiver_expired = withhold_waiver(f.waiver_expired)
    if report.groups is not None:
        report.groups = [_group(p, g) for g in report.groups]
    if report.resolved:
        report.resolved = [p.deep(r) for r in report.resolved]
    if report.waivers is not None:
        report.waivers = {k: ([withhold_waiver(p.deep(w)) for w in v] if isinstance(v, list) else v)
                          for k, v in report.waivers.items()}
    report.pseudonymisation = {"key_fingerprint": key_fingerprint(key)}
