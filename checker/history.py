"""Run history in an embedded SQLite database (``check --history DB``, ``shg-check history DB``).

Standard library ``sqlite3``, WAL mode (readers never block the writer), a
busy timeout and one ``BEGIN IMMEDIATE`` transaction per run, so two runs at
once each record whole or wait; neither corrupts the file. The schema is
versioned with ``PRAGMA user_version`` and migrated forward on open.

What a run records (read from the one summary model, so the history agrees
with every report): when it ran, the as-of date, the ruleset digest, the
counts, the exit code and its reason, and each gap's identity (response id or
group id, and rule), severity, section, delta and waiver. No child id and no
free text is stored: a gap's subject is a response id or a group id (made from
incident ids), and a pseudonymised run records its key fingerprint.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from typing import Any

from .errors import ConfigError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: runs and their gaps
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at TEXT NOT NULL,
            as_of TEXT NOT NULL,
            ruleset_digest TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            key_fingerprint TEXT,
            fail_on TEXT NOT NULL,
            exit_code INTEGER NOT NULL,
            reason TEXT NOT NULL,
            responses INTEGER NOT NULL,
            gaps INTEGER NOT NULL,
            gaps_high INTEGER NOT NULL,
            gaps_medium INTEGER NOT NULL,
            gaps_low INTEGER NOT NULL,
            gaps_new INTEGER,
            gaps_persisting INTEGER,
            gaps_resolved INTEGER,
            gaps_waived INTEGER,
            input_errors INTEGER NOT NULL,
            summary TEXT NOT NULL)""",
        """CREATE TABLE gaps (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            section TEXT NOT NULL,
            delta TEXT,
            waived INTEGER NOT NULL)""",
        "CREATE INDEX gaps_by_run ON gaps(run_id)",
        "CREATE INDEX gaps_by_identity ON gaps(subject, rule)",
    ),
    (  # 2: the selection a run was made with
        "ALTER TABLE runs ADD COLUMN selection TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class History:
    """A history database; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], timeout: float = 60.0):
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: not a usable shg-check history database ({exc})") from None

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(f"{self.path}: the history was written by a newer shg-check (schema {version})")
            for n in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[n]:
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def record(self, report, recorded_at: dt.datetime | None = None) -> int:
        """Record one run (its summary and gaps) in one transaction; return its id."""
        from . import __version__
        from .reporting.rows import finding_rows

        s = report.summary_model()
        compared = s.baseline_given and not s.first_night
        when = (recorded_at or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
        fp = (report.pseudonymisation or {}).get("key_fingerprint")
        gaps = [(r["kind"], r["group"] if r["kind"] == "group" else r["response_id"], r["rule"], r["severity"],
                 r["section"], r["delta"] or None, 1 if r["waived"] else 0)
                for r in finding_rows(report) if r["status"] == "gap"]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.execute(
                "INSERT INTO runs (recorded_at, as_of, ruleset_digest, tool_version, key_fingerprint, fail_on, "
                "exit_code, reason, responses, gaps, gaps_high, gaps_medium, gaps_low, gaps_new, gaps_persisting, "
                "gaps_resolved, gaps_waived, input_errors, summary, selection) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (when, s.as_of, report.rulebook.digest, __version__, fp, s.fail_on, s.exit_code, s.reason,
                 s.responses_checked, s.gaps, s.gaps_by_severity["high"], s.gaps_by_severity["medium"],
                 s.gaps_by_severity["low"], s.gaps_new if compared else None,
                 s.gaps_persisting if compared else None, s.gaps_resolved if compared else None,
                 s.gaps_waived if s.waivers_given else None, s.input_errors,
                 json.dumps(s.to_dict(), sort_keys=True), json.dumps(s.selection) if s.selection else None))
            run_id = cur.lastrowid
            self.db.executemany("INSERT INTO gaps (run_id, kind, subject, rule, severity, section, delta, waived) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, *g) for g in gaps])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return run_id

    def runs(self, last: int | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, recorded_at, as_of, ruleset_digest, key_fingerprint, fail_on, exit_code, reason, responses, "
            "gaps, gaps_high, gaps_medium, gaps_low, gaps_new, gaps_persisting, gaps_resolved, gaps_waived, "
            "input_errors FROM runs ORDER BY as_of, id").fetchall()
        names = ("id", "recorded_at", "as_of", "ruleset_digest", "key_fingerprint", "fail_on", "exit_code", "reason",
                 "responses", "gaps", "gaps_high", "gaps_medium", "gaps_low", "gaps_new", "gaps_persisting",
                 "gaps_resolved", "gaps_waived", "input_errors")
        out = [dict(zip(names, r)) for r in rows]
        return out[-last:] if last else out

    def trend(self, last: int | None = None) -> dict[str, Any]:
        """Runs with their gaps by severity and section, and the time gaps took to resolve."""
        runs = self.runs(last)
        by_section: dict[int, dict[str, int]] = {}
        ids = [r["id"] for r in runs]
        identities: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            for run_id, section, n in self.db.execute(
                    f"SELECT run_id, section, COUNT(*) FROM gaps WHERE run_id IN ({marks}) "
                    "GROUP BY run_id, section", ids):
                by_section.setdefault(run_id, {})[section or "-"] = n
            for run_id, subject, rule in self.db.execute(
                    f"SELECT run_id, subject, rule FROM gaps WHERE run_id IN ({marks})", ids):
                identities[run_id].add((subject, rule))
        for r in runs:
            r["gaps_by_section"] = dict(sorted(by_section.get(r["id"], {}).items()))
        return {"runs": runs, "time_to_resolve": time_to_resolve(runs, identities)}


def time_to_resolve(runs: list[dict], identities: dict[int, set[tuple[str, str]]]) -> dict[str, Any]:
    """Days from the first night a gap was seen to the first later night it was gone (runs in as-of order)."""
    first_seen: dict[tuple[str, str], dt.date] = {}
    days: list[int] = []
    for r in runs:
        day = dt.date.fromisoformat(r["as_of"])
        now = identities.get(r["id"], set())
        for gone in [k for k in first_seen if k not in now]:
            days.append((day - first_seen.pop(gone)).days)
        for k in now:
            first_seen.setdefault(k, day)
    days.sort()
    median = None
    if days:
        mid = len(days) // 2
        median = days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2
    return {"resolved": len(days), "median_days": median, "max_days": max(days) if days else None,
            "open": len(first_seen)}


def render_history(trend: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(trend, indent=2, sort_keys=True) + "\n"
    lines = ["shg-check run history", "",
             f"{'as of':<10}  {'recorded (UTC)':<25}  {'resp':>5}  {'gaps':>5}  {'high':>5}  {'med':>5}  {'low':>5}  "
             f"{'new':>5}  {'pers':>5}  {'res':>5}  {'waiv':>5}  {'err':>4}  exit"]

    def n(v: Any) -> str:
        return "-" if v is None else str(v)

    for r in trend["runs"]:
        lines.append(f"{r['as_of']:<10}  {r['recorded_at']:<25}  {r['responses']:>5}  {r['gaps']:>5}  "
                     f"{r['gaps_high']:>5}  {r['gaps_medium']:>5}  {r['gaps_low']:>5}  {n(r['gaps_new']):>5}  "
                     f"{n(r['gaps_persisting']):>5}  {n(r['gaps_resolved']):>5}  {n(r['gaps_waived']):>5}  "
                     f"{r['input_errors']:>4}  {r['exit_code']}")
    if not trend["runs"]:
        lines.append("(no runs recorded yet)")
    sections = sorted({s for r in trend["runs"] for s in r["gaps_by_section"]},
                      key=lambda s: tuple(int(p) if p.isdigit() else 0 for p in s.split(".")))
    if sections:
        lines += ["", "Gaps by chapter section per night", "",
                  f"{'as of':<10}  " + "  ".join(f"{s:>5}" for s in sections)]
        for r in trend["runs"]:
            lines.append(f"{r['as_of']:<10}  " + "  ".join(f"{r['gaps_by_section'].get(s, 0):>5}" for s in sections))
    t = trend["time_to_resolve"]
    lines += ["", f"Time to resolve a gap: {t['resolved']} resolved, median {n(t['median_days'])} days, "
                  f"longest {n(t['max_days'])} days; {t['open']} still open."]
    return "\n".join(lines) + "\n"
