"""JUnit XML for the dashboards nightly jobs feed.

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
from typing import Iterator

from ..api import Report
from ..summary import fails, group_not_checked
from .rows import group_finding_rows, response_rows, waiver_note

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(value: object) -> str:
    """Text XML 1.0 can hold (ElementTree escapes markup but not forbidden control characters)."""
    return _NOT_XML.sub("\ufffd", str(value))


_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR_ESCAPES = _TEXT_ESCAPES + (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _escape(value: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, entity in escapes:  # "&" first, as ElementTree does
        if char in value:
            value = value.replace(char, entity)
    return value


def _attr(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it (tests/test_report_streaming.py compares the two)."""
    return _escape(value, _ATTR_ESCAPES)


def _cdata(value: str) -> str:
    """Element text escaped as ElementTree escapes it."""
    return _escape(value, _TEXT_ESCAPES)


def _tag(name: str, attrs: dict[str, str], end: str) -> str:
    """``<name a="v" ...`` + ``end`` (``" />"`` for an empty element, ``">"`` for one with content)."""
    return "<" + name + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items()) + end


def _outcome(row: dict, fail_on: str, first_night: bool) -> str:
    """What a finding is in JUnit: failure, skipped or passed (advice and met and not applicable pass)."""
    if row["status"] == "gap":
        return "failure" if not row["waived"] and fails(row, fail_on, first_night) else "skipped"
    if row["status"] in ("insufficient_data", "pending"):
        return "skipped"
    return "passed"


def _case(classname: str, row: dict, fail_on: str, first_night: bool) -> str:
    """One testcase, indented as ET.indent indents it inside a suite (level 2)."""
    head = {"classname": _x(classname), "name": _x(row["rule"]), "time": "0"}
    where = f"section {row['section']}, clause {row['clause']}"
    if row["status"] == "gap" and row["waived"]:
        inner = _tag("skipped", {"message": _x(waiver_note(row))}, " />")
    elif row["status"] == "gap" and not fails(row, fail_on, first_night):
        why = "not new since the baseline" if fail_on == "new" else f"does not fail under --fail-on {fail_on}"
        inner = _tag("skipped", {"message": _x(f"gap ({row['severity']}) {why}: {row['message']}")}, " />")
    elif row["status"] == "advisory":
        text = _x(f"advice ({where}): {row['message']}")
        inner = "<system-out>" + _cdata(text) + "</system-out>" if text else "<system-out />"
    elif row["status"] == "gap":
        delta = f" [{row['delta']}]" if row["delta"] else ""
        details = [f"{row['title']} ({where}){delta}"]
        if row["missing"]:
            details.append("Missing: " + ", ".join(row["missing"]))
        if row["evidence"]:
            details.append("Evidence: " + ", ".join(row["evidence"]))
        if row["waiver_expired"]:
            details.append(waiver_note(row))
        text = _x("\n".join(details))
        attrs = {"message": _x(row["message"]), "type": _x(f"gap/{row['severity']}")}
        inner = _tag("failure", attrs, ">") + _cdata(text) + "</failure>" if text else _tag("failure", attrs, " />")
    elif row["status"] in ("insufficient_data", "pending"):
        inner = _tag("skipped", {"message": _x(f"{row['status']}: {row['message']}")}, " />")
    else:
        return "\n    " + _tag("testcase", head, " />")
    return "\n    " + _tag("testcase", head, ">") + "\n      " + inner + "\n    </testcase>"


_COUNTS = ("tests", "failures", "errors", "skipped")
_GROUPS = object()  # a suite's source: the groups' findings (and groups not checked)


def _suite_head(name: str, counts: dict) -> str:
    return _tag("testsuite", {"name": _x(name), **{k: str(counts[k]) for k in _COUNTS}, "time": "0"}, ">")


def _unchecked_case(g: dict) -> str:
    members = ", ".join(str(m) for m in g.get("members") or [])
    attrs = {"type": "group/not_checked", "message": _x(
        f"Possible group ({g.get('severity', '')}) of {members}, {g.get('first_date', '')} to "
        f"{g.get('last_date', '')}: not checked for escalation (no response records given)")}
    text = _x(f"rule {g.get('rule', '')}; basis {g.get('basis', '')}")
    head = {"classname": _x(f"shg-check.group.{g.get('group_id', '')}"), "name": "group-escalated", "time": "0"}
    return ("\n    " + _tag("testcase", head, ">") + "\n      " + _tag("failure", attrs, ">") + _cdata(text) +
            "</failure>\n    </testcase>")


def render_junit(report: Report) -> str:
    return "".join(iter_junit(report))


def iter_junit(report: Report) -> Iterator[str]:
    """The text of :func:`render_junit` (ElementTree's output, indented), one suite at a time.

    A first pass counts each suite's tests (the counts are attributes of the opening tags), a second writes
    the test cases; neither keeps more than one response's rows."""
    model = report.summary_model()
    fail_on, first_night = model.fail_on, model.first_night
    # name -> (counts, sources: the positions of its responses in report.responses, or _GROUPS); positions, not
    # the results: kept results may be spooled (checker/kept.py), and holding them would hold them all
    suites: dict[str, tuple[dict, list]] = {}

    def suite(name: str, source) -> dict:
        if name not in suites:
            suites[name] = ({k: 0 for k in _COUNTS}, [])
        counts, sources = suites[name]
        if not sources or sources[-1] != source:
            sources.append(source)
        return counts

    def count(counts: dict, outcome: str) -> None:
        counts["tests"] += 1
        if outcome != "passed":
            counts["failures" if outcome == "failure" else "skipped"] += 1

    for at, r in enumerate(report.responses):
        for row in response_rows(r):
            if row["status"]:
                count(suite(row["response_id"], at), _outcome(row, fail_on, first_night))
    group_rows = [row for row in group_finding_rows(report) if row["status"]]
    for row in group_rows:
        count(suite("groups", _GROUPS), _outcome(row, fail_on, first_night))
    unchecked = [g for g in report.groups or [] if group_not_checked(g)]
    if unchecked and model.groups_not_checked:  # detect without response records: each group needs a look
        counts = suite("groups", _GROUPS)
        counts["tests"] += len(unchecked)
        counts["failures"] += len(unchecked)
    else:
        unchecked = []
    total = {k: sum(c[k] for c, _ in suites.values()) for k in _COUNTS}
    errors = report.input_errors
    if errors:
        total["tests"] += len(errors)
        total["errors"] += len(errors)
    root = {"name": _x(f"shg-check as of {report.as_of.isoformat()}"), **{k: str(v) for k, v in total.items()}}
    props = [{"name": name, "value": _x(value)} for name, value in (
        ("exit_code", model.exit_code), ("fail_on", model.fail_on), ("gaps", model.gaps),
        ("failing_gaps", model.failing), ("summary", model.line()),
        *((("versions", model.versions),) if model.versions else ()))]
    props += [{"name": "notice", "value": _x(text)}
              for text in model.notices + (["first night: no baseline yet"] if model.first_night else [])]
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n' + _tag("testsuites", root, ">") + "\n  " +
           _tag("testsuite", {"name": "shg-check summary", "tests": "0", "failures": "0", "errors": "0",
                              "skipped": "0", "time": "0"}, ">") + "\n    <properties>" +
           "".join("\n      " + _tag("property", p, " />") for p in props) + "\n    </properties>\n  </testsuite>")
    for name, (counts, sources) in suites.items():
        parts = ["\n  " + _suite_head(name, counts)]
        for source in sources:
            if source is _GROUPS:
                for row in group_rows:
                    parts.append(_case(f"shg-check.group.{row['group']}", row, fail_on, first_night))
                parts += [_unchecked_case(g) for g in unchecked]
            else:
                for row in response_rows(report.responses[source]):
                    if row["status"]:
                        parts.append(_case(f"shg-check.{name}", row, fail_on, first_night))
        parts.append("\n  </testsuite>")
        yield "".join(parts)
    if errors:
        parts = ["\n  " + _suite_head("input-errors", {"tests": len(errors), "failures": 0, "errors": len(errors),
                                                       "skipped": 0})]
        for e in errors:
            head = {"classname": "shg-check.input", "time": "0", "name": _x(f"{e.source} {e.record or '-'} {e.path}".strip())}
            parts.append("\n    " + _tag("testcase", head, ">") + "\n      " +
                         _tag("error", {"message": _x(e.message), "type": "input_error"}, " />") + "\n    </testcase>")
        parts.append("\n  </testsuite>")
        yield "".join(parts)
    yield "\n</testsuites>\n"
