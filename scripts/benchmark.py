"""Speed figures for the README (a benchmark, not a test): the nightly check end to end, by size.

Run: make bench     or   .venv/bin/python scripts/benchmark.py --sizes 2000:20000,10000:100000 --detect 1000000

For each size R:I (R heavy synthetic responses, see scripts/bench_data.py, and I synthetic incidents),
in a fresh process, on files in a temporary folder:
1. the parse floor: reading the same files with json.loads (each line) and csv.DictReader, nothing else;
2. the whole check, as `shg-check check --incidents --jobs N --output-dir` does it (checker.api.check, then
   every writer streaming its file in turn, as write_output_dir does): wall time, CPU time (this process and its workers), peak resident memory (after the
   check, and after the writers), the ratio of the wall time to the parse floor, and each report's size;
3. each phase on its own, in one process: read, validate, facts, engine (on the first --phase-sample
   responses, per response), incident read+validate, detection and escalation (whole feed), each writer.
With --detect N: `detect` alone on N incidents (read, validate, episodes, groups; --jobs processes): wall time,
CPU time (workers included) and peak memory.
The machine may be shared: compare ratios measured in the same run, not seconds across runs.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_data  # noqa: E402
from checker.api import DEFAULT_RULES, Checker, check  # noqa: E402
from checker.detection import detect  # noqa: E402
from checker.feedscan import read_feeds  # noqa: E402
from checker.detection_rules import load_detection_rules  # noqa: E402
from checker.escalation import check_escalation  # noqa: E402
from checker.facts import response_facts  # noqa: E402
from checker.findings import resolve  # noqa: E402
from checker.loading import iter_raw  # noqa: E402
from checker.parallel import default_jobs, escalation_view  # noqa: E402
from checker.reporting import FILENAMES, STREAMERS  # noqa: E402
from checker.rulebook import load_rulebook  # noqa: E402
from checker.validation import validate_response  # noqa: E402

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
    """Peak resident memory of this process or any of its (waited-for) workers, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def kept_mib(*objects) -> float:
    """The memory the report's kept findings hold (responses with their findings and timelines, groups with
    theirs), by a deep walk of sys.getsizeof: shared strings counted once. The issue's memory goal is peak
    memory flat "apart from the findings kept for the report": peak RSS minus this is the rest."""
    seen: set[int] = set()
    total = 0
    stack = list(objects)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, name) for name in obj.__slots__ if hasattr(obj, name))
        elif hasattr(obj, "__dict__"):
            stack.append(obj.__dict__)
    return total / 2**20


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def parse_floor(responses: Path, feed: Path) -> Timer:
    with Timer() as t:
        with responses.open("rb") as handle:
            for line in handle:
                if line.strip():
                    json.loads(line)
        with feed.open(newline="", encoding="utf-8") as handle:
            for _ in csv.DictReader(handle):
                pass
    return t


def phases(responses: Path, feed: Path, sample: int, report) -> dict[str, float]:
    """CPU seconds per phase (the machine may be shared: CPU time, not wall), one process: per response over the first ``sample``, whole feed for incidents."""
    rulebook = load_rulebook(DEFAULT_RULES)
    checker = Checker(rulebook)
    out: dict[str, float] = {}
    with Timer() as t:
        items = []
        for item in iter_raw([str(responses)], "response"):
            items.append(item)
            if len(items) == sample:
                break
    out["read (per response)"] = t.cpu / len(items)
    with Timer() as t:
        for item in items:
            validate_response(item.data)
    out["validate (per response)"] = t.cpu / len(items)
    with Timer() as t:
        facts = [response_facts(item.data, bench_data.AS_OF) for item in items]
    out["facts (per response)"] = t.cpu / len(items)
    with Timer() as t:
        outcomes = [checker._engine.evaluate(f) for f in facts]
    out["engine (per response)"] = t.cpu / len(items)
    with Timer() as t:
        for o in outcomes:
            [resolve(rule, o[rule.id]) for rule in rulebook.rules]
    out["findings (per response)"] = t.cpu / len(items)
    del items, facts, outcomes
    params = rulebook.parameters
    ruleset = load_detection_rules(DEFAULT_RULES, params)
    with Timer() as t:  # (one process: checker.feedscan reads the CSV feed into episodes)
        episodes = read_feeds([str(feed)], bench_data.AS_OF, params["adult_age"].engine_value()).prepared.episodes
    out["incidents read+validate"] = t.cpu
    with Timer() as t:
        groups = detect(episodes, ruleset.rules)
    out["detection"] = t.cpu
    del episodes
    with responses.open("rb") as handle:
        views = [escalation_view(json.loads(line)) for line in handle if line.strip()]
    with Timer() as t:
        check_escalation(groups, views, params, bench_data.AS_OF)
    out["escalation"] = t.cpu
    return out


def write_reports(report, folder: Path) -> dict[str, tuple[float, int]]:
    """Every format written to ``folder`` as `check --output-dir` writes it (checker.cli.write_output_dir: each
    streamed to a temporary file in turn, then all swapped in); per file: CPU seconds and size in bytes.

    Each writer is timed in write_set's order by wrapping its streamer; the bytes are counted from the files."""
    from checker.cli import write_output_dir

    times: dict[str, float] = {}

    def timed(fmt, stream):
        def run(rep):
            start = cpu_seconds()
            try:
                yield from stream(rep)
            finally:
                times[FILENAMES[fmt]] = cpu_seconds() - start  # CPU: the machine may be shared
        return run

    original = dict(STREAMERS)
    try:
        for fmt, stream in original.items():
            STREAMERS[fmt] = timed(fmt, stream)
        write_output_dir(str(folder), report)
    finally:
        STREAMERS.update(original)
    return {name: (times[name], (folder / name).stat().st_size) for name in FILENAMES.values()}


def run_size(n_responses: int, n_incidents: int, jobs: int, sample: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        responses, feed = Path(tmp) / "responses.jsonl", Path(tmp) / "feed.csv"
        size = bench_data.write_responses(responses, n_responses, seed)
        write_feed(feed, n_incidents, seed)
        floor = parse_floor(responses, feed)
        with Timer() as whole:
            with Timer() as checking:
                report = check([str(responses)], bench_data.AS_OF, incidents=[str(feed)], jobs=jobs)
            rss_check = peak_rss_mb()
            writers = write_reports(report, Path(tmp) / "reports")
        kept = kept_mib(report.responses, report.groups)  # after the timers: a deep walk of what the report keeps
        result = {
            "kept_mib": kept, "responses": n_responses, "incidents": n_incidents, "jobs": jobs, "input_mb": size / 2**20,
            "parse_floor": floor.wall, "parse_floor_cpu": floor.cpu, "check_wall": checking.wall, "check_cpu": checking.cpu,
            "wall": whole.wall, "cpu": whole.cpu, "rss_check": rss_check, "rss": peak_rss_mb(),
            "writers": writers, "gaps": report.gap_count, "groups": len(report.groups or []),
            "input_errors": len(report.input_errors),
        }
        del report
        result["phases"] = phases(responses, feed, min(sample, n_responses), None)
    return result


def run_detect(n: int, seed: int, jobs: int = 1) -> dict:
    from checker.api import detect as api_detect

    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.csv"
        write_feed(feed, n, seed)
        with Timer() as floor:
            with feed.open(newline="", encoding="utf-8") as handle:
                for _ in csv.DictReader(handle):
                    pass
        with Timer() as t:
            result = api_detect([str(feed)], bench_data.AS_OF, DEFAULT_RULES, jobs=jobs)
        return {"incidents": n, "wall": t.wall, "cpu": t.cpu, "rss": peak_rss_mb(), "parse_floor": floor.wall,
                "groups": len(result.groups), "episodes": result.episodes_counted}


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"benchmark child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_size(r: dict) -> None:
    print(f"\n{r['responses']:,} heavy responses ({r['input_mb']:,.0f} MB JSON Lines) + {r['incidents']:,} incidents, "
          f"--jobs {r['jobs']}: {r['gaps']:,} gaps, {r['groups']:,} groups, {r['input_errors']} input errors")
    print(f"  parse floor (json.loads + csv)  {r['parse_floor']:7.2f} s wall, {r['parse_floor_cpu']:7.2f} s CPU")
    print(f"  check (read..escalation)        {r['check_wall']:7.2f} s wall, {r['check_cpu']:7.2f} s CPU  "
          f"= {r['check_wall'] / r['parse_floor']:.1f}x the parse floor; peak RSS {r['rss_check']:,.0f} MiB")
    print(f"  findings kept for the report    {r['kept_mib']:7.0f} MiB (responses' and groups'); peak RSS of the "
          f"check without them {r['rss_check'] - r['kept_mib']:,.0f} MiB")
    ideal = r["check_cpu"] / r["jobs"] / r["parse_floor_cpu"]
    print(f"  on an idle machine (check CPU / jobs, over the floor's CPU) about {ideal:.1f}x the parse floor")
    print(f"  check + every writer            {r['wall']:7.2f} s wall, {r['cpu']:7.2f} s CPU  "
          f"= {r['wall'] / r['parse_floor']:.1f}x the parse floor; peak RSS {r['rss']:,.0f} MiB")
    for name, (seconds, size) in r["writers"].items():
        print(f"    writer {name:17s}      {seconds:7.2f} s CPU {size / 2**20:8.1f} MB "
              f"({size / max(r['responses'], 1) / 1024:6.1f} KB a response)")
    print("  phases, one process (CPU time):")
    for name, seconds in r["phases"].items():
        unit = f"{seconds * 1000:7.2f} ms" if "per response" in name else f"{seconds:7.2f} s "
        print(f"    {name:28s} {unit}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200:2000,2000:20000",
                        help="responses:incidents, comma-separated (default 200:2000,2000:20000)")
    parser.add_argument("--detect", type=int, default=100_000, help="incidents for `detect` alone (0: skip)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: cores)")
    parser.add_argument("--phase-sample", type=int, default=300, help="responses timed phase by phase")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--detect-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        r, i = (int(x) for x in args.one.split(":"))
        print(json.dumps(run_size(r, i, args.jobs, args.phase_sample, args.seed)))
        return
    if args.detect_one:
        print(json.dumps(run_detect(args.detect_one, args.seed, args.jobs)))
        return
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, --jobs {args.jobs}; each size in a fresh process. "
          "Timings vary with the load: compare the ratios.")
    results = []
    for size in args.sizes.split(","):
        r = _child(["--one", size, "--jobs", str(args.jobs), "--phase-sample", str(args.phase_sample),
                    "--seed", str(args.seed)])
        print_size(r)
        results.append(r)
    if len(results) > 1:
        a, b = results[-2], results[-1]
        print(f"\npeak RSS of the check, {a['responses']:,} -> {b['responses']:,} responses: "
              f"{a['rss_check']:,.0f} -> {b['rss_check']:,.0f} MiB ({b['rss_check'] / a['rss_check']:.2f}x)")
    if args.detect:
        d = _child(["--detect-one", str(args.detect), "--seed", str(args.seed), "--jobs", str(args.jobs)])
        print(f"\ndetect on {d['incidents']:,} incidents ({d['episodes']:,} episodes of children): {d['wall']:.2f} s wall, "
              f"{d['cpu']:.2f} s CPU, peak RSS {d['rss']:,.0f} MiB, {d['groups']:,} groups; "
              f"csv.DictReader alone {d['parse_floor']:.2f} s ({d['wall'] / d['parse_floor']:.1f}x)")


if __name__ == "__main__":
    main()
