"""Synthetic exports for the benchmark and the scale tests (all data invented; ids are pseudonymous).

``heavy_response(n, seed)`` makes a response as heavy as a large real one: 20 to 22 children, 10 or 11
meetings of 10 or more attendees each (about 20-25 KB of JSON and 300+ facts), with a share of
typical defects so that every status occurs. ``write_responses`` writes them as JSON Lines.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_fixtures as fx  # noqa: E402

AS_OF = dt.date(2026, 11, 27)
AREAS = [f"LA-E{n:02d}" for n in range(1, 40)]
AGENCIES = ["childrens_services", "police", "health", "education", "local_authority"]


def _d(day: dt.date) -> str:
    return day.isoformat()


def heavy_response(n: int, seed: int = 2026) -> dict:
    """Response R-H<n>: deterministic for (n, seed)."""
    rng = random.Random(seed * 1_000_003 + n)
    start = dt.date(2025, 12, 1) + dt.timedelta(days=rng.randrange(330))
    closed = start + dt.timedelta(days=120) < AS_OF and rng.random() < 0.7
    area = rng.choice(AREAS)
    other_area = rng.choice(AREAS)
    settings = [f"URN-{rng.randrange(100000, 999999)}" for _ in range(3 + rng.randrange(2))]
    n_kids = 20 + rng.randrange(3)
    ids = [f"YP-H{n:06d}-{k:02d}" for k in range(n_kids)]
    kids = []
    for k, cid in enumerate(ids):
        setting = settings[k % len(settings)]
        born = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(365 * 8))
        links = rng.sample([i for i in ids if i != cid], 2)
        extra: dict = {
            "self_harm_episodes": [{"date": _d(start - dt.timedelta(days=rng.randrange(20))), "setting_id": setting,
                                    "online_influence": rng.random() < 0.3} for _ in range(1 + rng.randrange(3))],
            "connections": [{"to": to, "kind": rng.choice(["in_person", "online"])} for to in links],
            "risk_assessment": {"date": _d(start + dt.timedelta(days=rng.randrange(2, 9))),
                                "agency": rng.choice(AGENCIES), "level": rng.choice(["low", "medium", "high"])},
            "s47": {"considered_on": _d(start + dt.timedelta(days=2)), "enquiry_started": rng.random() < 0.1},
            "individual_response_plan_on": _d(start + dt.timedelta(days=rng.randrange(5, 14))),
            "parents_carers_informed_on": _d(start + dt.timedelta(days=rng.randrange(1, 6))),
            "looked_after": rng.random() < 0.1,
            "individual_procedure_followed": rng.random() > 0.05,
        }
        if closed:
            extra["safety_plan"] = ({"agreed_on": _d(start + dt.timedelta(days=80)),
                                     "supporting_agencies": ["health", "education"]} if rng.random() > 0.05 else None)
            extra["exit_plan_agreed_on"] = _d(start + dt.timedelta(days=80))
        else:
            extra["safety_plan"] = None
            extra["exit_plan_agreed_on"] = None
        if rng.random() < 0.1:
            del extra["risk_assessment"]  # missing data: insufficient_data, never a gap
        kid = fx.child(cid, setting, _d(born), area=area if rng.random() < 0.8 else other_area, **extra)
        kids.append(kid)

    def meet(mid: str, kind: str, offset: int, roles: list[str], covered: list[str], **more) -> dict:
        extra_roles = ["cic_specialist_nurse", "digital_safety_team"]
        out = {"id": mid, "type": kind, "date": _d(start + dt.timedelta(days=offset)),
               "chair": {"role": "cs_service_manager" if kind == "operational" else "cs_head_of_safeguarding",
                         "delegate": rng.random() < 0.2},
               "attendees": fx.attendees(roles + extra_roles, settings if kind == "scoping" else settings[:1],
                                         senior=kind == "strategic"),
               "covered": covered, "staff_selection_considered_needs": rng.random() > 0.1, "feeds_back_to": None}
        out.update(more)
        return out

    scoping_roles = list(fx.SCOPING_ROLES)
    if rng.random() < 0.3:
        scoping_roles.remove("police")
    meetings = [meet("M1", "scoping", 2 + (rng.random() < 0.2) * 10, scoping_roles,
                     [c for c in fx.SCOPING_ITEMS if rng.random() > 0.05],
                     decisions={"group_identified": True, "full_response": "strategic_and_operational",
                                "review_date": _d(start + dt.timedelta(days=16)), "focus": "both"}),
                meet("M2", "strategic", 7, list(fx.STRATEGIC_ROLES),
                     [c for c in fx.STRATEGIC_ITEMS + fx.REGULAR_STRATEGIC[:4] if rng.random() > 0.05],
                     decisions={"focus": "both"})]
    day, k = 9, 3
    n_meetings = 10 + rng.randrange(2) - (1 if closed else 0)
    while len(meetings) < n_meetings:
        if len(meetings) % 3 == 2:
            meetings.append(meet(f"M{k}", "strategic", day, list(fx.STRATEGIC_ROLES), list(fx.REGULAR_STRATEGIC)))
        else:
            meetings.append(meet(f"M{k}", "operational", day, list(fx.OPERATIONAL_ROLES),
                                 list(fx.REGULAR_OPERATIONAL), feeds_back_to="M2" if rng.random() > 0.1 else None))
        day += 7 + rng.randrange(8)
        k += 1
    record = {
        "schema_version": "1.0", "response_id": f"R-H{n:06d}", "local_authority": area,
        "status": "closed" if closed else "open", "identified_on": _d(start),
        "referral": {"date": _d(start + dt.timedelta(days=(rng.random() < 0.2) * 6)),
                     "route": rng.choice(["ifd", "mash", "mash", "other"]), "kind": "child_safeguarding_referral",
                     "group_dynamic_described": rng.random() > 0.1, "scoping_meeting_requested": True,
                     "referring_agency": rng.choice(AGENCIES)},
        "young_people": kids,
        "meetings": meetings,
        "information_sharing": {
            "school_meetings": [{"young_person": ids[i], "date": _d(start + dt.timedelta(days=8)),
                                 "parents_informed_on": _d(start + dt.timedelta(days=7 + (rng.random() < 0.1) * 3))}
                                for i in range(0, n_kids, 4)],
            "drop_in_sessions": [{"setting_id": s, "first_session_on": _d(start + dt.timedelta(days=10)),
                                  "parents_informed_on": _d(start + dt.timedelta(days=9))} for s in settings],
        },
        "cross_boundary": {"areas": sorted({area, other_area}),
                           "responsibility_agreed_on": _d(start + dt.timedelta(days=3)),
                           "agreed_by": ["childrens_services", "police"] if rng.random() > 0.2
                           else ["childrens_services"]},
        "staff_support": {"debrief_arrangements": True, "wellbeing_support": rng.random() > 0.1},
        "closure": None,
    }
    if closed:
        final_day = day + 7
        meetings.append(meet(f"M{k}", "final", final_day, list(fx.STRATEGIC_ROLES),
                             ["debrief_planned", "lessons_actioned"]))
        record["closure"] = {
            "date": _d(start + dt.timedelta(days=final_day + 2)),
            "exit_strategy_on": _d(start + dt.timedelta(days=final_day - 5)),
            "staff_debriefed_on": _d(start + dt.timedelta(days=final_day)),
            "agency_reviews": [{"agency": a, "completed_on": _d(start + dt.timedelta(days=final_day + 14)),
                                "actions_recorded": rng.random() > 0.1} for a in AGENCIES[:4]],
            "final_meeting": f"M{k}",
            "overview_report_presented_on": (_d(start + dt.timedelta(days=final_day + 30))
                                             if rng.random() > 0.2 else None),
            "lessons_actions": [{"action": "Synthetic action text", "owner": "education", "status": "open"}],
        }
    return record


def write_responses(path: Path, count: int, seed: int = 2026) -> int:
    """``count`` heavy responses as JSON Lines; returns the bytes written."""
    size = 0
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            line = json.dumps(heavy_response(n, seed), ensure_ascii=False) + "\n"
            handle.write(line)
            size += len(line.encode("utf-8"))
    return size
