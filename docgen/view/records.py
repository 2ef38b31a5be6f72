"""What templates see of the request, referral, family meeting and meeting notes records.

Ids become the people and meetings they name and codes get their ``*_label``, as
:mod:`docgen.view.context` does for the rest of the bundle.
"""

from __future__ import annotations

from docgen.bundle import codes

PERSON_FIELDS = ("requested_by", "referred_by", "decided_by", "new_lead_professional", "coordinator", "endorsed_by", "taken_by")
PEOPLE_LISTS = ("consent_given_by", "attended", "apologies")


def records_context(data: dict, people: dict, meetings: list[dict]) -> dict:
    """``early_help_request``, ``step_up``, ``step_down``, ``family_meeting``, ``meeting_notes``
    and ``abbreviations`` as templates use them (None for a record the bundle does not have)."""
    by_id = {m["id"]: m for m in meetings if m.get("id")}
    request = _resolved(data.get("early_help_request"), people)
    if request:
        request["level_of_need_label"] = codes.NEED_LEVELS[request["level_of_need"]]
        request["consulted_labels"] = [codes.CONSULTED[c] for c in request.get("consulted", [])]
    context = {"early_help_request": request, "abbreviations": data.get("abbreviations", [])}
    for key in ("step_up", "step_down"):
        step = _resolved(data.get(key), people)
        if step:
            step["from_plan_type_label"] = codes.PLAN_TYPES[step["from_plan_type"]]
            step["to_plan_type_label"] = codes.PLAN_TYPES[step["to_plan_type"]]
        context[key] = step
    for key in ("family_meeting", "meeting_notes"):
        record = _resolved(data.get(key), people)
        if record:
            record["meeting"] = by_id[record["meeting"]]
        context[key] = record
    return context


def _resolved(raw: dict | None, people: dict) -> dict | None:
    """A copy of ``raw`` with each person's id (alone, in a list, or in an item's ``who``) replaced
    by the person."""
    if raw is None:
        return None
    record = dict(raw)
    for name in PERSON_FIELDS:
        if record.get(name):
            record[name] = people[record[name]]
    for name in PEOPLE_LISTS:
        if name in record:
            record[name] = [people[i] for i in record[name]]
    for name in ("services", "agreed"):
        if name in record:
            record[name] = [dict(item, who=people.get(item.get("who"))) for item in record[name]]
    return record
