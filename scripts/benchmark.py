"""Speed figures for the README (a benchmark, not a test): group detection and the response check.

Run: make bench   or   .venv/bin/python scripts/benchmark.py --incidents 100000 --responses 500

1. Writes a synthetic incident feed (CSV) of N incidents (default 100,000; invented ids) to a
   temporary folder, then times, separately: reading and validating it
   (checker.validation.load_incidents), and finding the groups (episodes, partitions, sliding
   windows, merging) and checking each against synthetic response records. Peak memory: the
   peak of Python allocations during each phase (tracemalloc, in a second, untimed pass) and
   the process's peak resident size (resource.getrusage).
2. Checks M synthetic response records (variants of the sample export) through
   checker.api.Checker with durable-rules, and prints records per second.
"""
from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from checker.api import DEFAULT_RULES, Checker  # noqa: E402
from checker.detection import detect, prepare  # noqa: E402
from checker.detection_rules import load_detection_rules  # noqa: E402
from checker.escalation import check_escalation  # noqa: E402
from checker.rulebook import load_rulebook  # noqa: E402
from checker.validation import load_incidents  # noqa: E402

AS_OF = dt.date(2026, 11, 27)
COLUMNS = ["incident_id", "young_person_id", "date_of_birth", "age", "date", "setting_id", "area", "connections",
           "reported_by"]


def write_feed(path: Path, n: int, seed: int) -> None:
    """n incidents of n/2 children in n/25 settings (about one episode a month each) and 150 areas over two
    years; 15% of rows name a friend in the same setting, 5% an online contact anywhere."""
    rng = random.Random(seed)
    children = max(n // 2, 10)
    settings = max(n // 25, 2)
    home = {c: (rng.randrange(settings), f"LA-{rng.randrange(150):03d}",
                dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(365 * 8))) for c in range(children)}
    pupils: dict[int, list[int]] = {}
    for c, (setting, _, _) in home.items():
        pupils.setdefault(setting, []).append(c)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        for i in range(n):
            c = rng.randrange(children)
            setting, area, born = home[c]
            date = AS_OF - dt.timedelta(days=rng.randrange(730))
            roll = rng.random()
            friend = rng.choice(pupils[setting]) if roll < 0.15 else rng.randrange(children) if roll < 0.2 else None
            by_age = rng.random() < 0.1
            age = date.year - born.year - ((date.month, date.day) < (born.month, born.day))
            out.writerow([f"INC-{i:08d}", f"YP-{c:07d}", "" if by_age else born.isoformat(),
                          age if by_age else "", date.isoformat(), f"URN-{setting:06d}", area,
                          f"YP-{friend:07d}" if friend is not None and friend != c else "", "education"])


def responses_for(groups, share: float, seed: int) -> list[dict]:
    """Response records covering a share of the groups (each with a referral)."""
    rng = random.Random(seed)
    out = []
    for n, g in enumerate(groups):
        if rng.random() < share:
            referral = (g.met_definition_on + dt.timedelta(days=rng.randrange(10))).isoformat()
            out.append({"schema_version": "1.0", "response_id": f"R-{n:07d}", "status": "open",
                        "identified_on": referral, "referral": {"date": referral, "route": "ifd"},
                        "young_people": [{"id": m} for m in g.members]})
    return out


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def bench_detection(n: int, seed: int) -> None:
    rulebook = load_rulebook(DEFAULT_RULES)
    params = rulebook.parameters
    ruleset = load_detection_rules(DEFAULT_RULES, params)
    adult_age = params["adult_age"].engine_value()
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.csv"
        write_feed(feed, n, seed)

        start = time.perf_counter()
        loaded = load_incidents([str(feed)])
        t_load = time.perf_counter() - start

        start = time.perf_counter()
        prepared = prepare(loaded.records, AS_OF, adult_age)
        groups = detect(prepared.episodes, ruleset.rules)
        t_detect = time.perf_counter() - start

        responses = responses_for(groups, 0.7, seed)
        start = time.perf_counter()
        check_escalation(groups, responses, params, AS_OF)
        t_escalation = time.perf_counter() - start

        # memory: a second pass under tracemalloc (which slows Python down, so it is not timed)
        tracemalloc.start()
        again = load_incidents([str(feed)])
        _, peak_load = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        check_escalation(detect(prepare(again.records, AS_OF, adult_age).episodes, ruleset.rules),
                         responses, params, AS_OF)
        _, peak_detect = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    states: dict[str, int] = {}
    for g in groups:
        states[g.escalation["escalation"]] = states.get(g.escalation["escalation"], 0) + 1
    print(f"Group detection, {n:,} synthetic incidents ({len(prepared.episodes):,} episodes of children, "
          f"{len(loaded.errors)} input errors)")
    print(f"  read and validate the CSV feed : {t_load:6.2f} s  ({n / t_load:,.0f} rows/s), "
          f"peak Python memory {peak_load / 2**20:,.0f} MiB")
    print(f"  find groups ({len(ruleset.rules)} rules)        : {t_detect:6.2f} s  -> {len(groups):,} groups, "
          f"peak Python memory {(peak_detect - base) / 2**20:,.0f} MiB above the loaded feed")
    print(f"  escalation check ({len(responses):,} responses): {t_escalation:6.2f} s  -> "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())))
    print(f"  process peak resident memory   : {peak_rss_mb():,.0f} MiB")


def bench_responses(m: int) -> None:
    import make_fixtures as fx

    base = [fx.complete_closed(), fx.missing_police(), fx.poor_referral(), fx.before_chapter(), fx.open_early()]
    records = []
    for i in range(m):
        rec = copy.deepcopy(base[i % len(base)])
        rec["response_id"] = f"R-B{i:06d}"
        records.append(rec)
    checker = Checker(load_rulebook(DEFAULT_RULES), "durable")
    start = time.perf_counter()
    for rec in records:
        checker.check_record(rec, AS_OF)
    elapsed = time.perf_counter() - start
    print(f"Response check, {m:,} synthetic response records through checker.api.Checker (durable-rules, "
          f"{len(checker.rulebook.rules)} rules): {elapsed:.2f} s, {m / elapsed:,.0f} records/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000, help="synthetic incidents (default 100000)")
    parser.add_argument("--responses", type=int, default=500, help="synthetic response records (default 500; 0: skip)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}; figures vary with the machine")
    if args.incidents:
        bench_detection(args.incidents, args.seed)
    if args.responses:
        bench_responses(args.responses)


if __name__ == "__main__":
    main()
