"""Meeting checklists (Markdown and HTML), generated from the rules: a chair can use one as the agenda.

For each meeting type (scoping, strategic, operational, final) the checklist
lists what the rules require of that meeting, grouped as: who must attend
(with the circumstances that make a role required), what must be covered
and recorded, and the other things the record must show (chair, decisions).
Each line names the rule, the chapter clause, the severity, and the sheet and
column of the tracker that records it. Nothing here is written by hand: a
rule added or changed changes the checklist.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from checker.rulebook import Rulebook, expand_codes
from checker.tabular.layout import Layout, layout
from checker.vocab import active, label_of

MEETING_TYPES = ("scoping", "strategic", "operational", "final")
TITLES = {"scoping": "Multi-Agency Response Group (Scoping) meeting",
          "strategic": "Multi-Agency Response Group (Strategic) meeting",
          "operational": "Multi-Agency Response Group (Operational) meeting",
          "final": "Final meeting"}
# The facts the rules read (checker/catalogue.py) and where their fields are in the record.
FACT_PATHS = {
    "response": "", "referral": "referral", "young_person": "young_people",
    "episode": "young_people.self_harm_episodes", "connection": "young_people.connections",
    "meeting": "meetings", "attendee": "meetings.attendees", "covered": "meetings.covered",
    "school_meeting": "information_sharing.school_meetings", "drop_in": "information_sharing.drop_in_sessions",
    "cross_boundary": "cross_boundary", "boundary_agreement": "cross_boundary.agreed_by", "closure": "closure",
    "agency_review": "closure.agency_reviews", "lessons_action": "closure.lessons_actions",
    "safety_plan_agency": "young_people.safety_plan.supporting_agencies",
}
FIELD_NAMES = {
    "ref": "id", "mtype": "type", "chair_role": "chair.role", "chair_delegate": "chair.delegate",
    "group_identified": "decisions.group_identified", "full_response": "decisions.full_response",
    "review_date": "decisions.review_date", "focus": "decisions.focus", "attendees_recorded": "attendees",
    "covered_recorded": "covered", "setting": "setting_id", "previous_setting": "previous_setting_id", "yp": "id",
    "risk_assessed_on": "risk_assessment.date", "risk_level": "risk_assessment.level",
    "risk_agency": "risk_assessment.agency", "s47_considered_on": "s47.considered_on",
    "s47_enquiry_started": "s47.enquiry_started", "safety_plan_agreed_on": "safety_plan.agreed_on",
    "safety_plan_agencies_count": "safety_plan.supporting_agencies", "episodes_count": "self_harm_episodes",
    "connections_count": "connections", "debrief_arrangements": "staff_support.debrief_arrangements",
    "wellbeing_support": "staff_support.wellbeing_support", "young_people_count": "young_people",
    "home_areas_count": "young_people.home_area", "agency_reviews_recorded": "agency_reviews",
    "areas_count": "areas", "agreed_by_count": "agreed_by", "mdate": "date",
}
SKIP = {"mref", "as_of", "item", "agency"}
FACT_WORDS = {"young_person": "any young person", "episode": "any self-harm episode", "meeting": "a meeting",
              "attendee": "an attendee", "covered": "the minutes"}


def record_field(fact: str, name: str) -> str | None:
    """The dotted record field a fact's field comes from (None for join fields)."""
    if name in SKIP and fact not in ("attendee", "covered", "boundary_agreement", "safety_plan_agency",
                                     "agency_review"):
        return None
    if fact == "covered":
        return "meetings.covered"
    if fact in ("boundary_agreement", "safety_plan_agency"):
        return FACT_PATHS[fact]
    if name.endswith("_recorded") and fact == "response":
        name = name[: -len("_recorded")]
    elif name.endswith("_meetings_count"):
        return "meetings.type"
    if name == "mref":
        return None
    name = FIELD_NAMES.get(name, name)
    prefix = FACT_PATHS.get(fact, fact)
    return f"{prefix}.{name}" if prefix else name


def _add_fields(fact: str, names, out: set[str]) -> None:
    for name in names:
        f = record_field(fact, str(name))
        if f:
            out.add(f)


def _walk(spec, subject: str, out: set[str]) -> None:
    if isinstance(spec, dict):
        fact = spec.get("fact")
        if isinstance(fact, str) and isinstance(spec.get("where"), dict):
            _add_fields(fact, spec["where"], out)
        for key, value in spec.items():
            if key == "subject" and isinstance(value, dict) and "fact" not in value:
                _add_fields(subject, value, out)
            elif key == "response" and isinstance(value, dict):
                _add_fields("response", value, out)
            elif (key == "test" and isinstance(value, dict)) or (key == "needs" and isinstance(value, list)):
                _add_fields(subject, value, out)
            else:
                _walk(value, subject, out)
    elif isinstance(spec, list):
        for v in spec:
            _walk(v, subject, out)


def rule_fields(rule) -> set[str]:
    """Every record field (dotted) a rule reads."""
    raw = rule.raw or {}
    subject = (raw.get("subject") or {}).get("fact", "response")
    out: set[str] = set()
    _walk({k: v for k, v in raw.items() if k not in ("examples", "description")}, subject, out)
    return out


@dataclass
class Line:
    text: str
    rule: str
    clause: str
    severity: str
    recorded_in: str
    condition: str = ""


@dataclass
class Checklist:
    mtype: str
    title: str
    attend: list[Line] = field(default_factory=list)
    cover: list[Line] = field(default_factory=list)
    other: list[Line] = field(default_factory=list)


def _where_in_tracker(lay: Layout, dotted: str) -> str:
    for t in sorted(lay.tables(), key=lambda t: not t.scalar):
        for c in t.columns:
            if ".".join((*t.path, *c.path)) == dotted or (t.scalar and t.name == dotted):
                return f"sheet {t.title}, column \"{c.heading}\""
    return f"field {dotted}"


def _describe_condition(cond: dict, subject: str) -> str:
    for kind in ("exists", "not_exists"):
        if kind in cond:
            spec = cond[kind]
            fact = spec.get("fact", "")
            tests = ", ".join(_describe_test(fact, k, v) for k, v in (spec.get("where") or {}).items())
            who = FACT_WORDS.get(fact, fact.replace("_", " "))
            return f"when {who} has {tests}" if kind == "exists" else f"unless {who} has {tests}"
    for kind, fact in (("subject", subject), ("response", "response")):
        if kind in cond:
            tests = ", ".join(_describe_test(fact, k, v) for k, v in cond[kind].items())
            return f"when {'this meeting' if fact == 'meeting' else 'the response'} has {tests}"
    return "in some circumstances"


def _describe_test(fact: str, name: str, value) -> str:
    shown = record_field(fact, name) or name
    shown = shown.rsplit(".", 1)[-1] if "." in shown and fact != "response" else shown
    if isinstance(value, dict):
        if "in" in value:
            return f"{shown} one of {', '.join(map(str, value['in']))}"
        if "present" in value:
            return f"{shown} {'recorded' if value['present'] else 'not recorded'}"
        op, v = next(iter(value.items()))
        words = {"gte": "on or after", "gt": "after", "lte": "on or before", "lt": "before", "eq": "=", "ne": "not"}
        if isinstance(v, dict) and "ref" in v:  # compared with another date of the record
            if name == "looked_after_from" and op in ("lte", "lt"):
                return "looked_after = Yes on the meeting's date"
            if name == "inpatient_from" and op in ("lte", "lt"):
                return "inpatient = Yes on the meeting's date"
            if name == "inpatient_to" and op in ("gte", "gt"):
                return "not discharged before the meeting's date"
            target = {"subject.date": "the meeting's date", "subject.first_session_on": "the first session"}
            return f"{shown} {words.get(op, op)} {target.get(v['ref'], v['ref'])}"
        if isinstance(v, dict):
            param = v.get("param") or next((x.get("param") for x in v.values() if isinstance(x, dict)), None)
            return f"{shown} {words.get(op, op)} a date set by parameter {param}" if param else f"{shown} recorded"
        return f"{shown} {words.get(op, op)} {v}"
    if value is True:
        return f"{shown} = Yes"
    if value is False:
        return f"{shown} = No"
    return f"{shown} = {value}"


def _mtypes_of(raw: dict) -> set[str]:
    found: set[str] = set()

    def walk(spec) -> None:
        if isinstance(spec, dict):
            if spec.get("fact") in ("meeting", "attendee", "covered") and isinstance(spec.get("where"), dict):
                m = spec["where"].get("mtype")
                if isinstance(m, str):
                    found.add(m)
                elif isinstance(m, dict) and "in" in m:
                    found.update(m["in"])
            for v in spec.values():
                walk(v)
        elif isinstance(spec, list):
            for v in spec:
                walk(v)
    subject = raw.get("subject") or {}
    if subject.get("fact") == "meeting":
        walk(subject)
        if found:
            return found
    walk([r.get("exists") for r in raw.get("requires", [])])
    return found


def checklists(rulebook: Rulebook, lay: Layout | None = None) -> list[Checklist]:
    lay = lay or layout()
    out = []
    for mtype in MEETING_TYPES:
        cl = Checklist(mtype, TITLES[mtype])
        for rule in rulebook.rules:
            raw = rule.raw or {}
            if mtype not in _mtypes_of(raw):
                continue
            subject = (raw.get("subject") or {}).get("fact", "response")
            for req in raw.get("requires", []):
                for one in expand_codes(req):
                    _add(cl, rule, subject, one, lay, mtype)
            if not raw.get("requires") and (raw.get("subject") or {}).get("fact") == "meeting":
                cl.other.append(Line(rule.title, rule.id, rule.clause, rule.severity,
                                     _where_in_tracker(lay, "meetings.type")))
        out.append(cl)
    return out


def _add(cl: Checklist, rule, subject: str, req: dict, lay: Layout, mtype: str) -> None:
    exists = req.get("exists") or {}
    fact = exists.get("fact")
    where = exists.get("where") or {}
    if fact in ("covered", "attendee") and where.get("mtype") not in (None, mtype) and subject != "meeting":
        return
    condition = "; ".join(_describe_condition(c, subject) for c in req.get("when", []))
    code = req.get("code") if isinstance(req.get("code"), str) else None
    line_args = dict(rule=rule.id, clause=rule.clause, severity=rule.severity, condition=condition)
    if fact == "attendee":
        target = cl.attend
        text = (active().roles.get(code, label_of(code)) + f" ({code})") if code else (req.get("label") or rule.title)
        recorded = _where_in_tracker(lay, "meetings.attendees.role")
        for k in where:
            if k not in ("mref", "role", "mtype"):
                recorded += f" and column of {k}"
    elif fact == "covered":
        target = cl.cover
        text = active().items.get(str(code), str(code)) + f" ({code})"
        recorded = _where_in_tracker(lay, "meetings.covered")
    else:
        target = cl.other
        text = req.get("label") or rule.title
        fields = set()
        _walk({k: v for k, v in req.items() if k not in ("when",)}, subject, fields)
        recorded = "; ".join(sorted(_where_in_tracker(lay, f) for f in fields)) or "(see the rule)"
        if isinstance(code, str) and code not in text:
            text = f"{text} ({code})"
    if not any(l.text == text and l.condition == condition for l in target):
        target.append(Line(text, recorded_in=recorded, **line_args))


def render_markdown(lists: list[Checklist], mtype: str) -> str:
    cl = next(c for c in lists if c.mtype == mtype)
    out = [f"# Checklist: {cl.title}", "",
           "Generated from the shg-check rules. Each line: what the chapter requires, the rule and clause, "
           "and where the tracker records it. Severity low = the chapter lists it as expected or indicative.", ""]
    for heading, lines in (("Who must attend", cl.attend), ("What must be covered and recorded in the minutes", cl.cover),
                           ("What else the record must show", cl.other)):
        if not lines:
            continue
        out += [f"## {heading}", ""]
        for l in lines:
            cond = f" **{l.condition}**" if l.condition else ""
            out.append(f"- [ ] {l.text}{cond} — rule `{l.rule}`, clause {l.clause}, {l.severity}; "
                       f"recorded in {l.recorded_in}")
        out.append("")
    return "\n".join(out)


def render_html(lists: list[Checklist], mtype: str) -> str:
    cl = next(c for c in lists if c.mtype == mtype)
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Checklist: {e(cl.title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "li{margin:.3em 0}.c{font-weight:bold}.m{color:#555;font-size:.9em}</style></head><body>",
             f"<h1>Checklist: {e(cl.title)}</h1>",
             "<p>Generated from the shg-check rules. Tick each item as the meeting does it; the minutes record it in "
             "the tracker where shown.</p>"]
    for heading, lines in (("Who must attend", cl.attend), ("What must be covered and recorded in the minutes", cl.cover),
                           ("What else the record must show", cl.other)):
        if not lines:
            continue
        parts.append(f"<h2>{e(heading)}</h2><ul>")
        for l in lines:
            cond = f' <span class="c">{e(l.condition)}</span>' if l.condition else ""
            parts.append(f'<li><label><input type="checkbox"> {e(l.text)}</label>{cond}<br><span class="m">rule '
                         f"{e(l.rule)}, clause {e(l.clause)}, {e(l.severity)}; recorded in {e(l.recorded_in)}</span></li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
