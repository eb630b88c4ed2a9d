"""One truth, many formats: every writer and the exit code read one summary model (checker/summary.py).

Each format is parsed on its own terms (rows, lines, elements it renders) and its counts are compared with
the model: generated reports with and without groups, baselines (resolved group gaps, other rulesets) and
waivers (of responses and of groups, expired or not), under every --fail-on.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.api import check
from checker.baseline import Baseline, apply_baseline
from checker.reporting import RENDERERS
from checker.summary import FAIL_ON, summarise
from checker.waivers import Waiver, Waivers, apply_waivers

from nightly_helpers import AS_OF, ROOT, SAMPLE, sample_report
from helpers import examples

FEED = ROOT / "fixtures" / "incidents"


@pytest.fixture(scope="module")
def base_reports():
    return {"plain": sample_report(), "groups": check([SAMPLE], AS_OF, incidents=[FEED])}


def format_counts(report) -> dict[str, dict]:
    """What each format shows, counted from the format itself."""
    out = {}
    doc = json.loads(RENDERERS["json"](report))
    s = doc["summary"]
    out["json"] = {"gaps": s["gaps"], "high": s["gaps_by_severity"]["high"], "new": s.get("gaps_new"),
                   "persisting": s.get("gaps_persisting"), "resolved": s.get("gaps_resolved"),
                   "waived": s.get("gaps_waived"), "exit": s["exit"]["code"], "failing": s["exit"]["failing_gaps"],
                   "listed": sum(1 for r in doc["responses"] for f in r["findings"] if f["status"] == "gap")
                   + sum(1 for g in doc.get("groups") or [] for f in g["findings"] if f["status"] == "gap")}

    text = RENDERERS["text"](report)
    gap_lines = [ln for ln in text.splitlines() if re.match(r"^ +GAP \[", ln)]
    out["text"] = {"gaps": len(gap_lines), "high": sum("GAP [high]" in ln for ln in gap_lines),
                   "new": sum(" NEW" in ln for ln in gap_lines),
                   "persisting": sum(" PERSISTING" in ln for ln in gap_lines),
                   "waived": sum(" WAIVED" in ln for ln in gap_lines),
                   "line": next(ln for ln in text.splitlines() if ln.startswith("Summary: "))[len("Summary: "):]}

    md = RENDERERS["markdown"](report)
    md_gaps = [ln for ln in md.splitlines() if re.match(r"^ *- \*\*(high|medium|low)\*\*", ln)]
    out["markdown"] = {"gaps": len(md_gaps), "high": sum(ln.lstrip().startswith("- **high**") for ln in md_gaps),
                       "new": sum("NEW" in ln for ln in md_gaps), "waived": sum("WAIVED" in ln for ln in md_gaps)}

    html = RENDERERS["html"](report)
    out["html"] = {"gaps": html.count('<tr class="gap-row">') + html.count('<div class="group-gap">'),
                   "line": re.search(r'<p class="headline[^"]*">([^<]*)</p>', html).group(1)}

    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](report).lstrip("\ufeff"))))
    gaps = [r for r in rows if r["status"] == "gap"]
    out["csv"] = {"gaps": len(gaps), "high": sum(r["severity"] == "high" for r in gaps),
                  "new": sum(r["delta"] == "new" for r in gaps), "persisting": sum(r["delta"] == "persisting" for r in gaps),
                  "resolved": sum(r["delta"] == "resolved" and r["status"] != "gap" for r in rows),
                  "waived": sum(r["waived"] == "yes" for r in gaps)}

    root = ET.fromstring(RENDERERS["junit"](report))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    failures = len(list(root.iter("failure")))
    gap_cases = sum(1 for c in root.iter("testcase")
                    if c.find("failure") is not None
                    or (c.find("skipped") is not None and (c.find("skipped").get("message", "").startswith(("gap (", "waived ")))))
    out["junit"] = {"failing": failures, "gaps": gap_cases, "exit": int(props["exit_code"]), "line": props["summary"]}
    return out


def assert_agree(report) -> None:
    m = summarise(report)
    c = format_counts(report)
    for fmt in ("json", "text", "markdown", "html", "csv", "junit"):
        assert c[fmt]["gaps"] == m.gaps, (fmt, c[fmt], m.to_dict())
    for fmt in ("json", "text", "markdown", "csv"):
        assert c[fmt]["high"] == m.gaps_by_severity["high"], fmt
    assert c["json"]["listed"] == m.gaps
    assert c["text"]["line"] == c["html"]["line"].replace("&amp;", "&") == c["junit"]["line"] == m.line()
    assert c["junit"]["failing"] == c["json"]["failing"] == m.failing
    assert c["junit"]["exit"] == c["json"]["exit"] == m.exit_code
    if m.baseline_given and not m.first_night:
        for fmt in ("json", "text", "markdown", "csv"):
            assert c[fmt]["new"] == m.gaps_new, fmt
        for fmt in ("json", "text", "csv"):
            assert c[fmt]["persisting"] == m.gaps_persisting, fmt
        assert c["json"]["resolved"] == m.gaps_resolved
        assert c["csv"]["resolved"] == m.gaps_resolved
    if m.waivers_given:
        for fmt in ("json", "text", "markdown", "csv"):
            assert c[fmt]["waived"] == m.gaps_waived, fmt


def _gap_keys(report) -> list[tuple[str, str, dict]]:
    keys = [(r.response_id, f.rule, {"response_id": r.response_id, "rule": f.rule, "severity": f.severity,
                                     "section": f.section, "clause": f.clause, "title": f.title, "message": f.message})
            for r in report.responses for f in r.findings if f.status == "gap"]
    for g in report.groups or []:
        for f in g["findings"]:
            if f["status"] == "gap":
                keys.append((f"group:{g['group_id']}", f["rule"],
                             {"group": f"group:{g['group_id']}", "group_id": g["group_id"], "rule": f["rule"],
                              "severity": f["severity"], "section": f["policy"]["section"]}))
    return keys


@st.composite
def scenarios(draw):
    kind = draw(st.sampled_from(["plain", "groups"]))
    return {"kind": kind, "fail_on": draw(st.sampled_from(FAIL_ON)),
            "baseline": draw(st.sampled_from([None, "subset", "first_night"])),
            "same_ruleset": draw(st.booleans()), "seed": draw(st.integers(0, 2**32 - 1)),
            "waivers": draw(st.booleans()), "extra_resolved_groups": draw(st.integers(0, 2)),
            "escalated_late_resolved": draw(st.booleans())}


def build(base_reports, sc):
    import random

    rnd = random.Random(sc["seed"])
    report = copy.deepcopy(base_reports[sc["kind"]])
    report.fail_on = sc["fail_on"]
    keys = _gap_keys(report)
    if sc["waivers"] and keys:
        chosen = rnd.sample(keys, k=rnd.randint(1, min(4, len(keys))))
        entries = []
        for ident, rule, _ in chosen:
            expires = AS_OF + dt.timedelta(days=rnd.choice([-3, 0, 30]))
            if ident.startswith("group:"):
                entries.append(Waiver("", rule, "accepted", "Quality lead", expires, ident[len("group:"):]))
            else:
                entries.append(Waiver(ident, rule, "accepted", "Quality lead", expires))
        entries.append(Waiver("R-NOT-THERE", "scoping-chair", "old", "Quality lead", AS_OF))
        apply_waivers(report, Waivers("w.yaml", tuple(entries)))
    if sc["baseline"] == "first_night":
        report.first_night = True
    elif sc["baseline"] == "subset":
        gaps = {(i, r): d for i, r, d in keys if rnd.random() < 0.6}
        for n in range(sc["extra_resolved_groups"]):   # group gaps gone tonight (another key, no --incidents...)
            gaps[(f"group:G-gone{n}", "group-escalated")] = {"group": f"group:G-gone{n}", "group_id": f"G-gone{n}",
                                                             "rule": "group-escalated", "severity": "high",
                                                             "section": "3", "message": "m"}
        gaps[("R-2026-001", "scoping-chair")] = {"response_id": "R-2026-001", "rule": "scoping-chair",
                                                 "severity": "high", "section": "4", "message": "m"}
        digest = report.rulebook.digest if sc["same_ruleset"] else "0" * 64
        apply_baseline(report, Baseline("base.json", "2026-11-26", digest, gaps))
    return report


@settings(max_examples=examples(15, 40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_generated_reports_agree_in_every_format(base_reports, sc):
    assert_agree(build(base_reports, sc))


def test_the_plain_sample_agrees(base_reports):
    for kind in ("plain", "groups"):
        report = copy.deepcopy(base_reports[kind])
        for fail_on in FAIL_ON:
            report.fail_on = fail_on
            assert_agree(report)


def test_command_line_and_html_give_the_same_gap_count(tmp_path, base_reports):
    """Was: the command line said 19 gaps, the HTML 15 (before issue 8's rules: now 18 everywhere); the escalated-late group was left out of HTML/Markdown."""
    report = copy.deepcopy(base_reports["groups"])
    m = summarise(report)
    assert (m.gaps, m.gaps_in_groups, m.groups_needing_action) == (18, 4, 4)
    html, md = RENDERERS["html"](report), RENDERERS["markdown"](report)
    late = next(g for g in report.groups if g["escalation"] == "escalated_late")
    assert late["group_id"] in html and late["group_id"] in md
    assert "Escalated late: referral on 2026-10-05" in html and "Escalated late: referral on 2026-10-05" in md
    pending = next(g for g in report.groups if g["escalation"] == "pending")
    section = html[html.index('id="groups"'):html.index('id="gaps"')]
    table = section[:section.index("</table>")]
    assert pending["group_id"] not in table   # a pair not yet due is not among those needing action
    assert "18 gaps (high 11, medium 5, low 2)" in html


def test_junit_fails_only_what_fail_on_fails(base_reports):
    """Was: JUnit counted medium gaps as failures under --fail-on high."""
    report = copy.deepcopy(base_reports["plain"])
    report.fail_on = "high"
    root = ET.fromstring(RENDERERS["junit"](report))
    failures = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert len(failures) == summarise(report).gaps_by_severity["high"] == 8
    assert all(c.find("failure").get("type") == "gap/high" for c in failures)
    skipped = [c.find("skipped").get("message") for c in root.iter("testcase") if c.find("skipped") is not None]
    assert sum(m.startswith("gap (medium) does not fail under --fail-on high") for m in skipped) == 5


def test_group_gaps_are_tagged_new_or_persisting_in_text(base_reports):
    """Was: group gaps were not tagged new or persisting in the text report, nor counted in gaps_persisting."""
    report = copy.deepcopy(base_reports["groups"])
    keys = _gap_keys(report)
    apply_baseline(report, Baseline("b.json", "2026-11-26", report.rulebook.digest,
                                    {(i, r): d for i, r, d in keys}))
    text = RENDERERS["text"](report)
    group_part = text[:text.index("\nResponses\n")]
    assert group_part.count("GAP [high] PERSISTING") == 3 and group_part.count("GAP [low] PERSISTING") == 1
    assert report.summary()["gaps_persisting"] == 18


def test_advisory_findings_are_advice_in_every_format_and_never_fail(base_reports):
    """Issue 8 may add status advisory: counted generically, shown as advice, never a gap, never exit 1."""
    report = copy.deepcopy(base_reports["plain"])
    before = {fail_on: summarise(report, fail_on).failing for fail_on in FAIL_ON}
    r = next(x for x in report.responses if x.response_id == "R-2026-001")
    f = next(f for f in r.findings if f.status == "met")
    f.status, f.message = "advisory", "The chapter advises a debrief; it is not required."
    m = summarise(report)
    assert m.advisory == 2 and m.findings["advisory"] == 2 and m.gaps == 14  # the sample has one already
    assert "ADVICE section" in RENDERERS["text"](report)
    assert "## Advice" in RENDERERS["markdown"](report)
    assert '<span class="badge s-advisory">advice</span>' in RENDERERS["html"](report)
    assert "advice (" in RENDERERS["junit"](report)
    assert_agree(report)
    assert {fail_on: summarise(report, fail_on).failing for fail_on in FAIL_ON} == before
    assert before["low"] == 14 and summarise(report).exit_code == 1
