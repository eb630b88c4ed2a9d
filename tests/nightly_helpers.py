"""Helpers for the report, baseline, waiver and pseudonymisation tests."""
from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample-export"
AS_OF = dt.date(2026, 11, 27)
AS_OF_TEXT = AS_OF.isoformat()
SAMPLE_GAPS = {
    ("R-2026-002", "scoping-required-roles"), ("R-2026-003", "referral-content"),
    ("R-2026-003", "referral-via-ifd-mash"), ("R-2026-003", "scoping-meeting-timely"),
    ("R-2026-006", "individual-procedure-followed"),
    ("R-2026-006", "referral-timely"), ("R-2026-007", "operational-feeds-back"),
    ("R-2026-007", "strategic-attendees-senior"), ("R-2026-007", "strategic-plan"),
    ("R-2026-008", "cross-boundary-responsibility"), ("R-2026-008", "school-meetings-parents-informed"),
    ("R-2026-009", "closure-child-safety-plans"), ("R-2026-009", "closure-overview-report"),
    ("R-2026-009", "closure-review-actions"),
}


def sample_records() -> list[dict]:
    """Every response record in the sample export, read straight from the files (not through the checker)."""
    records = []
    for path in sorted(SAMPLE.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            records += [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            records += data if isinstance(data, list) else [data]
    return records


def copy_sample(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(SAMPLE, target)
    return target


def fix_r2026_002(export: Path) -> None:
    """Give R-2026-002's scoping meeting the police and Children in Care nurse it lacked."""
    path = export / "responses-2026.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    for rec in records:
        if rec["response_id"] == "R-2026-002":
            rec["meetings"][0]["attendees"] += [{"role": "police", "agency": "police"},
                                                {"role": "cic_specialist_nurse", "agency": "health"}]
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``shg-check ARGS`` in this process, through click's CliRunner (run from the repository's top, like
    :func:`run_process`): exit code, standard output and standard error kept apart, as a CompletedProcess.
    An exception that escaped the command (a real process would end with a traceback) fails the test."""
    from click.testing import CliRunner

    from checker.cli import main

    with contextlib.chdir(ROOT):
        result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"shg-check {' '.join(map(str, args))} raised {result.exception!r}") \
            from result.exception
    return subprocess.CompletedProcess(["shg-check", *args], result.exit_code, result.stdout, result.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess:
    """``python -m checker.cli ARGS`` as a real process: for what only a process shows (its exit status,
    standard error with no traceback). Each costs a Python start and a fresh load of the rules: the others
    go through :func:`run_cli`."""
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def gaps_of(report_json: dict) -> dict[tuple[str, str], dict]:
    return {(r["response_id"], f["rule"]): f for r in report_json["responses"] for f in r["findings"]
            if f["status"] == "gap"}


@functools.lru_cache(maxsize=1)
def _sample_report():
    from checker.api import check

    return check([SAMPLE], AS_OF)


def sample_report():
    """``check([SAMPLE], AS_OF)``: the bundled sample's report, computed once per test process; each call gets a
    fresh deep copy (a test may change it). Tests of checking itself call ``check``."""
    return copy.deepcopy(_sample_report())
