"""The JUnit writer as it was before it streamed (ElementTree, whole): the reference the streamed writer must
match byte for byte (tests/test_report_streaming.py). Kept from checker/reporting/junit_report.py of main 3ddfa2f.

JUnit XML for the dashboards nightly jobs feed.

One testsuite per response, one testcase per rule (classname ``shg-check.<response_id>``,
name the rule id): a gap that fails the run under ``--fail-on`` (the summary
model decides) is a failure; a gap that does not (below the severity, not new,
or waived) is skipped with the reason; insufficient_data and pending are
skipped with their message; met, not_applicable and advisory pass (advice is
in the test case's output). Groups' findings form a ``groups`` suite (classname
``shg-check.group.<group_id>``), and input errors an ``input-errors`` suite of errors.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from checker.api import Report
from checker.reporting.rows import finding_rows, waiver_note
from checker.summary import fails, group_not_checked

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(value: object) -> str:
    """Text XML 1.0 can hold (ElementTree escapes markup but not forbidden control characters)."""
    return _NOT_XML.sub("\ufffd", str(value))


def _case(suite: ET.Element, classname: str, row: dict, counts: dict, fail_on: str, first_night: bool) -> None:
    case = ET.SubElement(suite, "testcase", {"classname": _x(classname), "name": _x(row["rule"]), "time": "0"})
    counts["tests"] += 1
    where = f"section {row['section']}, clause {row['clause']}"
    if row["status"] == "gap" and row["waived"]:
        ET.SubElement(case, "skipped", {"message": _x(waiver_note(row))})
        counts["skipped"] += 1
    elif row["status"] == "gap" and not fails(row, fail_on, first_night):
        why = "not new since the baseline" if fail_on == "new" else f"does not fail under --fail-on {fail_on}"
        ET.SubElement(case, "skipped", {"message": _x(f"gap ({row['severity']}) {why}: {row['message']}")})
        counts["skipped"] += 1
    elif row["status"] == "advisory":
        out = ET.SubElement(case, "system-out")
        out.text = _x(f"advice ({where}): {row['message']}")
    elif row["status"] == "gap":
        delta = f" [{row['delta']}]" if row["delta"] else ""
        fail = ET.SubElement(case, "failure", {"message": _x(row["message"]), "type": _x(f"gap/{row['severity']}")})
        details = [f"{row['title']} ({where}){delta}"]
        if row["missing"]:
            details.append("Missing: " + ", ".join(row["missing"]))
        if row["evidence"]:
            details.append("Evidence: " + ", ".join(row["evidence"]))
        if row["waiver_expired"]:
            details.append(waiver_note(row))
        fail.text = _x("\n".join(details))
        counts["failures"] += 1
    elif row["status"] in ("insufficient_data", "pending"):
        ET.SubElement(case, "skipped", {"message": _x(f"{row['status']}: {row['message']}")})
        counts["skipped"] += 1


def _suite(parent: ET.Element, name: str) -> tuple[ET.Element, dict]:
    suite = ET.SubElement(parent, "testsuite", {"name": _x(name)})
    return suite, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}


def _close(suite: ET.Element, counts: dict, total: dict) -> None:
    for k in ("tests", "failures", "errors", "skipped"):
        suite.set(k, str(counts[k]))
        total[k] += counts[k]
    suite.set("time", "0")


def render_junit(report: Report) -> str:
    model = report.summary_model()
    root = ET.Element("testsuites", {"name": f"shg-check as of {report.as_of.isoformat()}"})
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    rows = [r for r in finding_rows(report) if r["status"]]
    suites: dict[str, tuple[ET.Element, dict]] = {}
    for row in rows:
        name = row["response_id"] if row["kind"] == "response" else "groups"
        if name not in suites:
            suites[name] = _suite(root, name)
        suite, counts = suites[name]
        _case(suite, f"shg-check.{name}" if row["kind"] == "response" else f"shg-check.group.{row['group']}", row,
              counts, model.fail_on, model.first_night)
    unchecked = [g for g in report.groups or [] if group_not_checked(g)]
    if unchecked and model.groups_not_checked:  # detect without response records: each group needs a look
        if "groups" not in suites:
            suites["groups"] = _suite(root, "groups")
        suite, counts = suites["groups"]
        for g in unchecked:
            case = ET.SubElement(suite, "testcase", {"classname": _x(f"shg-check.group.{g.get('group_id', '')}"),
                                                     "name": "group-escalated", "time": "0"})
            members = ", ".join(str(m) for m in g.get("members") or [])
            fail = ET.SubElement(case, "failure", {"type": "group/not_checked", "message": _x(
                f"Possible group ({g.get('severity', '')}) of {members}, {g.get('first_date', '')} to "
                f"{g.get('last_date', '')}: not checked for escalation (no response records given)")})
            fail.text = _x(f"rule {g.get('rule', '')}; basis {g.get('basis', '')}")
            counts["tests"] += 1
            counts["failures"] += 1
    for suite, counts in suites.values():
        _close(suite, counts, total)
    if report.input_errors:
        suite, counts = _suite(root, "input-errors")
        for e in report.input_errors:
            case = ET.SubElement(suite, "testcase", {"classname": "shg-check.input", "time": "0",
                                                     "name": _x(f"{e.source} {e.record or '-'} {e.path}".strip())})
            ET.SubElement(case, "error", {"message": _x(e.message), "type": "input_error"})
            counts["tests"] += 1
            counts["errors"] += 1
        _close(suite, counts, total)
    for k, v in total.items():
        root.set(k, str(v))
    summary = ET.Element("testsuite", {"name": "shg-check summary", "tests": "0", "failures": "0", "errors": "0",
                                       "skipped": "0", "time": "0"})
    root.insert(0, summary)
    props = ET.SubElement(summary, "properties")
    for name, value in (("exit_code", model.exit_code), ("fail_on", model.fail_on), ("gaps", model.gaps),
                        ("failing_gaps", model.failing), ("summary", model.line()),
                        *((("versions", model.versions),) if model.versions else ())):
        ET.SubElement(props, "property", {"name": name, "value": _x(value)})
    for text in model.notices + (["first night: no baseline yet"] if model.first_night else []):
        ET.SubElement(props, "property", {"name": "notice", "value": _x(text)})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
