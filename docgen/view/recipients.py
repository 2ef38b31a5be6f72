"""Fan-out: who each copy of a document goes to, from the template's ``recipients`` rule."""

from __future__ import annotations

from docgen.bundle import Bundle
from docgen.registry import TemplateInfo
from docgen.view.context import Recipient


def recipients_for(template: TemplateInfo, bundle: Bundle) -> list[Recipient | None]:
    """``[None]`` for a single document, else one Recipient per addressee, in a stable order."""
    data = bundle.data
    if template.recipients == "none":
        return [None]
    if template.recipients == "professionals":
        return [Recipient(pid, "agency") for pid in _asked_for_information(data)]
    if template.recipients == "family-and-agencies":
        return [Recipient(m["id"], "family") for m in _family_addressees(data)] + [
            Recipient(p["id"], "agency") for p in _agencies(data)
        ]
    raise ValueError(f"unknown recipients rule {template.recipients!r}")


def _case_team(data: dict) -> set[str]:
    case = data["case"]
    return {i for i in (case.get("lead_professional"), case.get("manager")) if i}


def _asked_for_information(data: dict) -> list[str]:
    """The professionals named in ``information_requests``; else every one outside the case team."""
    requests = data.get("information_requests")
    if requests:
        return [r["professional"] for r in requests]
    return [p["id"] for p in _agencies(data)]


def _agencies(data: dict) -> list[dict]:
    team = _case_team(data)
    return [p for p in data.get("professionals", []) if p["id"] not in team]


def _family_addressees(data: dict) -> list[dict]:
    """Family members who get letters: by default those with parental responsibility."""
    return [
        m
        for m in data.get("family_members", [])
        if m.get("receives_letters", m.get("parental_responsibility"))
    ]
