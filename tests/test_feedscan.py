"""Incident CSV feeds scanned (checker/feedscan.py) give what the general way gives, on one core or two.

The general way is the row-by-row reading this scan replaced: checker.loading's rows, then
checker.validation.iter_validated, then checker.detection.prepare. Episodes, input errors (their order,
file, line, record, path and message), rows read and the counts left out must be the same, with ``jobs=1``
and with ``jobs=2`` (the file cut in two halves, the second scanned by a forked worker).
"""
from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import detection, feedscan, parallel
from checker.api import detect_report
from checker.detection import prepare
from checker.errors import InputError
from checker.loading import iter_raw
from checker.reporting import RENDERERS
from checker.validation import iter_validated, validate_incident

AS_OF = dt.date(2026, 11, 27)
HEADER = "incident_id,young_person_id,date_of_birth,age,date,setting_id,area,connections,reported_by\n"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _cut_small_files(monkeypatch):
    """Cut every file in two and fork for any number of episodes, so small test files take the two-core path."""
    monkeypatch.setattr(feedscan, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(detection, "PARALLEL_MIN_EPISODES", 0)


def general(paths, adult_age=18):
    errors, read = [], 0

    def rows():
        nonlocal read
        for item in iter_validated(iter_raw(paths, "incident"), validate_incident, "incident_id"):
            if isinstance(item, InputError):
                errors.append(item)
            else:
                read += 1
                yield item

    prepared = prepare(rows(), AS_OF, adult_age)
    return outcome(prepared, errors, read)


def outcome(prepared, errors, read):
    return {"episodes": sorted(prepared.episodes), "errors": [e.to_dict() for e in errors],
            "prepare_errors": [e.to_dict() for e in prepared.errors], "read": read,
            "adults": prepared.adults, "after": prepared.after_as_of}


def scanned(paths, jobs):
    feed = feedscan.read_feeds(paths, AS_OF, 18, jobs)
    return outcome(feed.prepared, feed.errors, feed.read)


def plain_row(i, child=None, date="2026-03-02", born="2011-04-02", age="", conn=""):
    child = child if child is not None else f"YP-{i % 37}"
    return f"I-{i},{child},{born},{age},{date},URN-{i % 5},LA-{i % 3},{conn},education\n"


def assert_same(path, expect_split=True):
    want = general([str(path)])
    for jobs in (1, 2):
        assert scanned([str(path)], jobs) == want, f"jobs={jobs}"
    if expect_split:
        raw = Path(path).read_bytes()
        header = feedscan._header(raw)
        assert header is not None and feedscan._cut(header[0], header[1]) is not None
    return want


def test_plain_feed_same_as_general_way_with_one_or_two_jobs(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "".join(plain_row(i, conn=f"YP-{(i + 1) % 37}" if i % 4 == 0 else "")
                                     for i in range(600)))
    want = assert_same(path)
    assert want["read"] == 600 and len(want["episodes"]) == 600 and not want["errors"]


def test_errors_in_both_halves_keep_their_lines_positions_and_order(tmp_path):
    rows = [plain_row(i) for i in range(800)]
    for at in (10, 700):  # one of each in the first half and in the second
        rows[at] = ",YP-1,2011-04-02,,2026-03-02,URN-1,LA-1,,education\n"           # no id: labelled #position
        rows[at + 1] = plain_row(at + 1, date="2026-02-30")                          # not a real date
        rows[at + 2] = plain_row(at + 2, born="2026-05-01")                          # born after the episode
        rows[at + 3] = "I-x,YP-1,2011-04-02\n"                                       # fewer cells
        rows[at + 4] = plain_row(at + 4, age="x", born="")                           # age not a number
        rows[at + 5] = plain_row(5)                                                  # duplicate id (within a half)
        rows[at + 6] = "\n"                                                          # blank: no position
        rows[at + 7] = ",,,,,,,,\n"                                                  # empty cells: no position
        rows[at + 8] = plain_row(at + 8, date="2027-01-01")                          # after the as-of date
        rows[at + 9] = plain_row(at + 9, born="1990-01-01")                          # an adult
        rows[at + 10] = plain_row(at + 10, child=" YP-3 ")                           # spaces: the general way
    rows[720] = plain_row(709)  # a duplicate of a second-half id, later in the second half
    path = tmp_path / "feed.csv"
    path.write_bytes((HEADER + "".join(rows)).encode())
    want = assert_same(path)
    lines = [e["line"] for e in want["errors"]]
    assert lines == sorted(lines) and set(lines) == {12, 13, 15, 16, 17, 702, 703, 705, 706, 707, 722}
    assert [e["record"] for e in want["errors"] if e["line"] in (12, 702)] == ["#11", "#699"]
    assert [e["line"] for e in want["prepare_errors"]] == [14, 704]
    assert want["after"] == 2 and want["adults"] == 2


def test_a_duplicate_across_the_cut_is_found(tmp_path):
    rows = [plain_row(i) for i in range(600)]
    rows[500] = plain_row(3)  # its first sighting is in the first half
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "".join(rows))
    want = assert_same(path)
    assert [(e["line"], e["message"]) for e in want["errors"]] == [
        (502, f"duplicate incident_id: first seen in {path} #4")]


def test_quoted_line_breaks_near_the_middle_are_never_cut(tmp_path):
    """A quoted cell may hold line breaks (here in a column of the feed's own, which the schema ignores)."""
    rows = [plain_row(i).replace("\n", ",\n") for i in range(1000)]
    for at in range(380, 620, 7):  # quotes around the middle: the cut moves past them, or there is none
        rows[at] = plain_row(at).replace("\n", ',"a\nb, c"\n')
    rows[300] = plain_row(300).replace("\n", ',"a\n')  # an unbalanced quote
    path = tmp_path / "feed.csv"
    path.write_text(HEADER.replace("\n", ",note\n") + "".join(rows))
    raw = path.read_bytes()
    lines, start, _ = feedscan._header(raw)
    cut = feedscan._cut(lines, start)
    assert cut is None or not any(b'"' in line for line in lines[cut - 100:cut])
    want = assert_same(path, expect_split=False)
    assert [e["line"] for e in want["errors"]] == [302]  # (its row is lost, the lines after it are read)
    ids = {ep.incident_id for ep in want["episodes"]}
    assert {f"I-{at}" for at in range(380, 620, 7)} <= ids and "I-301" in ids and len(ids) == 999


def test_a_row_straddling_the_cut_ends_the_fast_second_half(tmp_path, monkeypatch):
    """If the first half ends past the cut (a row spanning it), the rest is read the general way from there."""
    rows = [plain_row(i).replace("\n", ",\n") for i in range(400)]
    rows[199] = plain_row(199).replace("\n", ',"a\n\nb"\n')  # lines 201 to 203
    path = tmp_path / "feed.csv"
    path.write_text(HEADER.replace("\n", ",note\n") + "".join(rows))
    monkeypatch.setattr(feedscan, "_cut", lambda lines, start: 201)  # a (wrong) cut inside the quoted cell
    assert feedscan._two_halves(*feedscan._header(path.read_bytes())[:2], 201, feedscan._Plan(
        feedscan._header(path.read_bytes())[2], AS_OF, 18), str(path))[1] == (None, 203)
    want = general([str(path)])
    assert scanned([str(path)], 2) == want
    assert any(ep.incident_id == "I-199" for ep in want["episodes"])


def test_a_failed_worker_costs_nothing(tmp_path, monkeypatch):
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "".join(plain_row(i) for i in range(500)))
    monkeypatch.setattr(parallel, "_in_forked", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert scanned([str(path)], 2) == general([str(path)])
    import os
    monkeypatch.setattr(parallel, "_in_forked", lambda: os._exit(9))  # a worker that dies
    assert scanned([str(path)], 2) == general([str(path)])
    feed = str(ROOT / "fixtures" / "incidents" / "incidents-2026.csv")  # the group passes' worker too
    failed = RENDERERS["json"](detect_report([feed], AS_OF, jobs=2))
    monkeypatch.setattr(parallel, "_in_forked", None)
    assert failed == RENDERERS["json"](detect_report([feed], AS_OF, jobs=1))


def test_folders_of_csv_and_json_lines_share_their_ids(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "".join(plain_row(i) for i in range(300)))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"incident_id": f"I-{i}", "young_person_id": "YP-9",
                                                          "age": 12, "date": "2026-01-0" + str(1 + i % 9)}) + "\n"
                                              for i in range(295, 310)))
    (tmp_path / "c.csv").write_text(HEADER + "".join(plain_row(i) for i in range(305, 400)))
    want = assert_same(tmp_path, expect_split=False)
    assert sum("duplicate incident_id" in e["message"] for e in want["errors"]) == 10


@pytest.mark.parametrize("text", ["", "\n\n", "a,a\n1,2\n", '"unclosed\n1\n', HEADER, "\ufeff" + HEADER + plain_row(1),
                                  "incident_id,young_person_id\nI-1,YP-1\n", "x\r\ny\r\n"])
def test_odd_files_as_the_general_way(tmp_path, text):
    path = tmp_path / "feed.csv"
    path.write_text(text)
    assert_same(path, expect_split=False)


def test_not_utf8_and_nul_bytes(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(HEADER.encode() + b"".join(plain_row(i).encode() for i in range(100))
                     + b"I-900,YP-\xff,2011-04-02,,2026-03-02,,,,\nI-901,YP-\x00,2011-04-02,,2026-03-02,,,,\n"
                     + b"".join(plain_row(i).encode() for i in range(100, 200)))
    want = assert_same(path)
    assert [e["line"] for e in want["errors"]] == [102, 103]


CELLS = st.sampled_from(["", " ", "x", "YP-1", "YP-2", "YP-1;YP-2", ";;", "YP-1; YP-3", "2026-03-02", "2026-02-30",
                         "2011-04-02", "2027-01-01", "1990-06-01", "12", "18", "017", "-1", "\u0661\u0662", "police",
                         "teachers", "URN-1", "LA-1", "\u200b", '"q"', '"a\nb"', '"', "a b", "\t", "I-1", "I-2"])


@st.composite
def feeds(draw):
    n = draw(st.integers(0, 40))
    lines = []
    for i in range(n):
        kind = draw(st.sampled_from(["plain", "plain", "plain", "mutated", "blank", "short"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["\n", " \n", ",,,,,,,,\n", "\r\n"])))
        elif kind == "short":
            lines.append(",".join(draw(st.lists(CELLS, max_size=10))) + "\n")
        else:
            cells = plain_row(draw(st.integers(0, 30))).rstrip("\n").split(",")
            if kind == "mutated":
                for _ in range(draw(st.integers(1, 3))):
                    cells[draw(st.integers(0, 8))] = draw(CELLS)
            lines.append(",".join(cells) + "\n")
    return HEADER + "".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(feeds())
def test_mutated_feeds_as_the_general_way(tmp_path, text):
    path = tmp_path / "feed.csv"
    path.write_text(text)
    want = general([str(path)])
    assert scanned([str(path)], 1) == want
    assert scanned([str(path)], 2) == want


def test_detect_report_jobs_1_and_2_byte_identical(tmp_path):
    rng = random.Random(7)
    rows = [plain_row(i, child=f"YP-{rng.randrange(60)}", date=(AS_OF - dt.timedelta(days=rng.randrange(200))).isoformat(),
                      conn=f"YP-{rng.randrange(60)}" if rng.random() < 0.2 else "") for i in range(1500)]
    rows[40] = plain_row(40, date="2026-02-30")
    rows[1400] = ",YP-1,2011-04-02,,2026-03-02,,,,\n"
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "".join(rows))
    for feed in (str(path), str(ROOT / "fixtures" / "incidents" / "incidents-2026.csv")):
        reports = [detect_report([feed], AS_OF, jobs=jobs) for jobs in (1, 2)]
        for fmt in ("json", "text", "csv"):
            one, two = (RENDERERS[fmt](r) for r in reports)
            assert one == two, fmt
        assert reports[0].groups


def test_cli_detect_jobs_option(tmp_path):
    from click.testing import CliRunner

    from checker.cli import main

    feed = str(ROOT / "fixtures" / "incidents" / "incidents-2026.csv")
    outs = [CliRunner().invoke(main, ["detect", feed, "--as-of", "2026-11-27", "--format", "json", "--jobs", j])
            for j in ("1", "2")]
    assert outs[0].exit_code == outs[1].exit_code == 1
    assert outs[0].output == outs[1].output and '"groups"' in outs[0].output


@pytest.mark.parametrize("keep", [("connected",), ("connected", "same_area"), ("same_setting", "same_area"),
                                  ("connected", "same_setting", "same_area")])
def test_detect_jobs_2_same_groups_whatever_the_bases(tmp_path, keep):
    from checker.detection import detect
    from checker.detection_rules import load_detection_rules
    from checker.params import load_parameters

    rng = random.Random(11)
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "".join(
        plain_row(i, child=f"YP-{rng.randrange(80)}", date=(AS_OF - dt.timedelta(days=rng.randrange(300))).isoformat(),
                  conn=f"YP-{rng.randrange(80)}" if rng.random() < 0.3 else "") for i in range(2000)))
    params = load_parameters(ROOT / "rules" / "parameters.yaml")
    rules = [r for r in load_detection_rules(ROOT / "rules", params).rules if r.basis in keep]
    episodes = feedscan.read_feeds([str(path)], AS_OF, 18, 1).prepared.episodes
    one, two = (detect(episodes, rules, jobs) for jobs in (1, 2))
    assert one and [g.to_dict() for g in one] == [g.to_dict() for g in two]
