"""Policy warnings: what the source documents ask of a good plan, checked against a bundle.

Warnings never stop a document; ``--strict`` turns them into errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from docgen.bundle.schema import age_on
from docgen.view.dates import add_working_days, gov_date, is_working_day
from docgen.registry.profiles import AuthorityProfile
from docgen.problems import WARNING, Problem
from docgen.validate.sources import PROFILE_SOURCE, warn_from

STATUTORY_PLANS = ("child_protection", "looked_after")
PLANNED = ("early_help_taf", "child_in_need", "child_protection", "looked_after")


def warn(path: str, message: str) -> Problem:
    return Problem(path, message, WARNING)


def check_policy(data: dict, profile: AuthorityProfile | None, today: date) -> Iterator[Problem]:
    case = data["case"]
    plan = data.get("plan")
    on = case.get("issue_date") or today
    for i, child in enumerate(data["children"]):
        if age_on(child["date_of_birth"], on) >= 18:
            yield warn(f"children[{i}].date_of_birth", "This child is 18 or over.")
        if child["date_of_birth"] > on:
            yield warn(f"children[{i}].date_of_birth", "The date of birth is in the future.")
    yield from _key_worker(data)
    if plan is None:
        if case["plan_type"] in PLANNED:
            yield warn("plan", "The case has no plan.")
        return
    lead = _lead_term(profile)
    if not case.get("lead_professional"):
        yield warn("case.lead_professional", f"The plan does not name its {lead}.")
    if not plan.get("contingency"):
        yield warn("plan.contingency", "The plan has no contingency: what happens if it is not followed.")
    if not plan.get("review_dates"):
        yield warn("plan.review_dates", "The plan has no review date.")
    for i, action in enumerate(plan.get("actions", [])):
        if not action.get("who"):
            yield warn(f"plan.actions[{i}].who", "This action has no owner: say who will do it.")
        if not action.get("by"):
            yield warn(f"plan.actions[{i}].by", "This action has no date: say by when.")
    yield from _reviews_on_working_days(data)
    yield from _review_cadence(data, profile)


def _lead_term(profile: AuthorityProfile | None) -> str:
    return profile.terms["lead"] if profile else "Lead Professional"


def _key_worker(data: dict) -> Iterator[Problem]:
    case = data["case"]
    if case["plan_type"] not in STATUTORY_PLANS or not case.get("lead_professional"):
        return
    worker = next(p for p in data.get("professionals", []) if p["id"] == case["lead_professional"])
    if not worker.get("qualified_social_worker"):
        yield warn(
            "case.lead_professional",
            "The key worker for a Child Protection or Looked After plan must be a qualified "
            "social worker.",
        )


def _reviews_on_working_days(data: dict) -> Iterator[Problem]:
    for i, when in enumerate(data["plan"].get("review_dates", [])):
        yield from _on_a_working_day(f"plan.review_dates[{i}]", when)
    for i, review in enumerate(data.get("reviews", [])):
        if review.get("next_review"):
            yield from _on_a_working_day(f"reviews[{i}].next_review", review["next_review"])


def _review_cadence(data: dict, profile: AuthorityProfile | None) -> Iterator[Problem]:
    """Each review date falls within the authority's window after the one before it."""
    window = profile.review_window(data["case"]["plan_type"]) if profile else None
    plan = data["plan"]
    if not window or not plan.get("started") or disability_reviews_apply(plan, profile):
        return
    low, high = window
    previous = plan["started"]
    for i, when in sorted(enumerate(plan.get("review_dates", [])), key=lambda item: item[1]):
        weeks = (when - previous).days / 7
        if not low <= weeks <= high:
            expected = f"{low} weeks" if low == high else f"{low}-{high} weeks"
            yield warn_from(
                profile.review_source or PROFILE_SOURCE,
                f"plan.review_dates[{i}]",
                f"Reviews here are every {expected}; this one is {_weeks(weeks)} after the last.",
            )
        previous = when


def disability_reviews_apply(plan: dict, profile: AuthorityProfile | None) -> bool:
    """A plan for long-term disability support keeps its own, longer, cadence (004)."""
    return bool(profile and profile.disability_review_months and plan.get("long_term_disability_support"))


def _on_a_working_day(path: str, when: date) -> Iterator[Problem]:
    if not is_working_day(when):
        yield warn(
            path,
            f"{gov_date(when)} is not a working day (a weekend or a bank holiday in England and "
            f"Wales); the next working day is {gov_date(add_working_days(when, 1))}.",
        )


def _weeks(weeks: float) -> str:
    whole, days = divmod(round(weeks * 7), 7)
    parts = [f"{whole} week{'s' if whole != 1 else ''}"] if whole else []
    parts += [f"{days} day{'s' if days != 1 else ''}"] if days else []
    return " and ".join(parts) or "0 weeks"
