"""Policy warnings on the request, referral and meeting records, from the source documents.

Kept apart from :mod:`docgen.validate.policy` (the plan's rules); the same ``--strict`` applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from docgen.problems import Problem
from docgen.validate.policy import warn

# How far along the levels of need a plan is, so a step-up goes up and a step-down goes down.
LEVEL = {
    "early_help_single_focus": 0,
    "early_help_taf": 1,
    "child_in_need": 2,
    "child_protection": 3,
    "looked_after": 3,
}


def check_records(data: dict, today: date) -> Iterator[Problem]:
    on = data["case"].get("issue_date") or today
    request = data.get("early_help_request")
    if request and not request["family_agrees"]:
        yield warn("early_help_request.family_agrees",
                   "Early help is given with the family's consent (002); the family has not agreed to this request.")
    for key, direction, higher in (("step_up", "step-up", True), ("step_down", "step-down", False)):
        step = data.get(key)
        if not step:
            continue
        rise = LEVEL[step["to_plan_type"]] - LEVEL[step["from_plan_type"]]
        if (rise <= 0) if higher else (rise >= 0):
            yield warn(f"{key}.to_plan_type", f"A {direction} goes {'up' if higher else 'down'} the levels of "
                       "need (003); this one does not.")
    if data.get("step_down") and not data["step_down"].get("decided_by"):
        yield warn("step_down.decided_by", "Say who decided: only the Team Manager, or a Consultant Social Worker "
                   "with their agreement, can decide to end involvement (003, section 6).")
    family_meeting = data.get("family_meeting")
    if family_meeting and not family_meeting.get("endorsed_by"):
        yield warn("family_meeting.endorsed_by", "The case worker or case supervisor has to endorse the family's "
                   "plan before it is adopted (003, section 5).")
    meetings = {m["id"]: m for m in data.get("meetings", []) if m.get("id")}
    for key in ("family_meeting", "meeting_notes"):
        record = data.get(key)
        if record and record["meeting"] in meetings and meetings[record["meeting"]]["starts"].date() > on:
            yield warn(f"{key}.meeting", "This meeting has not been held yet on the issue date: record it "
                       "once it has.")
