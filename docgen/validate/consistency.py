"""Checks JSON Schema cannot express: ids unique and pointing somewhere, check digits, dates in order.

They run once the bundle's structure is valid, and report every problem they find.
"""

from __future__ import annotations

from collections.abc import Iterator

from docgen.bundle.paths import resolve_path
from docgen.bundle.schema import nhs_number_is_valid
from docgen.problems import Problem

PEOPLE = ("children", "family_members", "professionals")


def check_consistency(data: dict) -> Iterator[Problem]:
    yield from _children(data)
    yield from _assessment(data.get("assessment"))
    yield from _references(data)


def _children(data: dict) -> Iterator[Problem]:
    for i, child in enumerate(data["children"]):
        if child.get("nhs_number") and not nhs_number_is_valid(child["nhs_number"]):
            yield Problem(f"children[{i}].nhs_number", "The NHS number's check digit is wrong.")
        if child.get("upn") and child.get("upn_unknown_reason"):
            yield Problem(f"children[{i}].upn_unknown_reason", "Give either a UPN or the reason it is unknown, not both.")


def _assessment(assessment: dict | None) -> Iterator[Problem]:
    if not assessment:
        return
    if assessment["basis"] == "consent" and not assessment.get("consent_given_by"):
        yield Problem("assessment.consent_given_by", "Say who gave consent.")
    if assessment.get("completed") and assessment["completed"] < assessment["started"]:
        yield Problem("assessment.completed", "The assessment was completed before it started.")


def _references(data: dict) -> Iterator[Problem]:
    ids: dict[str, str] = {}
    for group in PEOPLE:
        for index, person in enumerate(data.get(group, [])):
            path = f"{group}[{index}].id"
            if person["id"] in ids:
                yield Problem(path, f"The id '{person['id']}' is already used at {ids[person['id']]}.")
            else:
                ids[person["id"]] = path
    groups = {g: {p["id"] for p in data.get(g, [])} for g in PEOPLE}
    everyone = set(ids)
    pros = groups["professionals"]

    def expect(path: str, value: str | None, allowed: set[str], what: str) -> Iterator[Problem]:
        if value is not None and value not in allowed:
            yield Problem(path, f"No {what} has the id '{value}'.")

    case = data.get("case", {})
    yield from expect("case.lead_professional", case.get("lead_professional"), pros, "professional")
    yield from expect("case.manager", case.get("manager"), pros, "professional")
    assessment = data.get("assessment") or {}
    for i, who in enumerate(assessment.get("consent_given_by", [])):
        yield from expect(f"assessment.consent_given_by[{i}]", who, everyone, "person")
    for i, meeting in enumerate(data.get("meetings", [])):
        yield from expect(f"meetings[{i}].chair", meeting.get("chair"), pros, "professional")
    plan = data.get("plan") or {}
    outcomes = {o["id"] for o in plan.get("outcomes", [])}
    for i, action in enumerate(plan.get("actions", [])):
        yield from expect(f"plan.actions[{i}].who", action.get("who"), everyone, "person")
        yield from expect(f"plan.actions[{i}].outcome", action.get("outcome"), outcomes, "outcome")
    for i, need in enumerate(plan.get("developmental_needs", [])):
        yield from expect(f"plan.developmental_needs[{i}].child", need["child"], groups["children"], "child")
    adults = groups["family_members"] | pros
    for i, contact in enumerate(plan.get("contact", [])):
        yield from expect(f"plan.contact[{i}].person", contact["person"], adults, "professional or family member")
    for i, review in enumerate(data.get("reviews", [])):
        yield from expect(f"reviews[{i}].chair", review.get("chair"), pros, "professional")
        oversight = review.get("management_oversight") or {}
        yield from expect(f"reviews[{i}].management_oversight.by", oversight.get("by"), pros, "professional")
    closure = data.get("closure") or {}
    for i, action in enumerate(closure.get("ongoing_actions", [])):
        yield from expect(f"closure.ongoing_actions[{i}].who", action.get("who"), everyone, "person")
    co_working = data.get("co_working") or {}
    for i, party in enumerate(co_working.get("parties", [])):
        yield from expect(f"co_working.parties[{i}].person", party["person"], pros, "professional")
    for i, task in enumerate(co_working.get("tasks", [])):
        yield from expect(f"co_working.tasks[{i}].responsible", task["responsible"], pros, "professional")
        yield from expect(f"co_working.tasks[{i}].reports_to", task.get("reports_to"), pros, "professional")
    for i, request in enumerate(data.get("information_requests", [])):
        yield from expect(f"information_requests[{i}].professional", request["professional"], pros, "professional")
        for j, child in enumerate(request.get("about", [])):
            yield from expect(f"information_requests[{i}].about[{j}]", child, groups["children"], "child")
    yield from _record_references(data, expect, everyone, pros)
    for i, entry in enumerate(data.get("withheld", [])):
        if not path_exists(data, entry["path"]):
            yield Problem(f"withheld[{i}].path", f"The bundle has nothing at '{entry['path']}'.")
        for j, who in enumerate(entry["withheld_from"]):
            if who not in ("family", "professionals"):
                yield from expect(f"withheld[{i}].withheld_from[{j}]", who, everyone, "person")


def _record_references(data: dict, expect, everyone: set[str], pros: set[str]) -> Iterator[Problem]:
    """The people and meetings named by the request, referral, family meeting and notes records."""
    meetings: dict[str, str] = {}
    for i, meeting in enumerate(data.get("meetings", [])):
        if meeting.get("id") in meetings:  # records name a meeting by its id, so each must be one meeting's
            yield Problem(f"meetings[{i}].id", f"The id '{meeting['id']}' is already used at {meetings[meeting['id']]}.")
        elif meeting.get("id"):
            meetings[meeting["id"]] = f"meetings[{i}].id"
    request = data.get("early_help_request") or {}
    yield from expect("early_help_request.requested_by", request.get("requested_by"), pros, "professional")
    for i, who in enumerate(request.get("consent_given_by", [])):
        yield from expect(f"early_help_request.consent_given_by[{i}]", who, everyone, "person")
    for key in ("step_up", "step_down"):
        step = data.get(key) or {}
        yield from expect(f"{key}.referred_by", step.get("referred_by"), pros, "professional")
        yield from expect(f"{key}.decided_by", step.get("decided_by"), pros, "professional")
        yield from expect(f"{key}.new_lead_professional", step.get("new_lead_professional"), pros, "professional")
        for i, service in enumerate(step.get("services", [])):
            yield from expect(f"{key}.services[{i}].who", service.get("who"), pros, "professional")
    for key, person_fields in (("family_meeting", ("coordinator", "endorsed_by")), ("meeting_notes", ("taken_by",))):
        record = data.get(key) or {}
        if not record:
            continue
        yield from expect(f"{key}.meeting", record["meeting"], set(meetings), "meeting")
        for name in person_fields:
            yield from expect(f"{key}.{name}", record.get(name), pros, "professional")
        for name in ("attended", "apologies"):
            for i, who in enumerate(record.get(name, [])):
                yield from expect(f"{key}.{name}[{i}]", who, everyone, "person")
        for i, action in enumerate(record.get("agreed", [])):
            yield from expect(f"{key}.agreed[{i}].who", action.get("who"), everyone, "person")


def path_exists(data: object, path: str) -> bool:
    try:
        resolve_path(data, path)
    except LookupError:
        return False
    return True
