"""Policy warnings: timescales and reviews as the guidance sets them, each naming its source.

Assessments are timed in working days from their start, by the model the authority's profile
chooses (003's initial 10 and core 35, or Working Together's single assessment 45); the analysis
reaches the family at least 7 working days before a meeting (003); reviews are held at most the
profile's interval apart, judged on the reviews held as well as those planned; Derbyshire's
long-term disability support plans are reviewed 12-monthly instead of 6-weekly and a Child in
Need plan open 12 months has a formal review chaired by a Team Manager (004); a closure's
reason fits the case.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from docgen.bundle import codes
from docgen.bundle.schema import age_on
from docgen.problems import Problem
from docgen.registry.profiles import ASSESSMENT_TIMESCALES, INITIAL_AND_CORE, AuthorityProfile
from docgen.view.dates import add_working_days, gov_date
from docgen.validate.policy import disability_reviews_apply
from docgen.validate.sources import (
    ASSESSMENT_SECTION,
    CHILDREN_IN_NEED_LEAFLET,
    CLOSURE_REASONS,
    PROFILE_SOURCE,
    SINGLE_PLAN,
    WORKING_TOGETHER,
    warn_from,
)

ANALYSIS_WORKING_DAYS = 7


def check_timescales(data: dict, profile: AuthorityProfile | None, today: date) -> Iterator[Problem]:
    if profile is not None:
        yield from _assessment_timescale(data, profile, today)
        yield from _review_interval(data, profile, today)
        yield from _formal_review(data, profile, today)
    yield from _analysis_shared(data)
    yield from _closure_reason(data)


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- assessments --------------------------------------------------------------------------------
def _assessment_timescale(data: dict, profile: AuthorityProfile, today: date) -> Iterator[Problem]:
    assessment = data.get("assessment")
    if not assessment:
        return
    source = CHILDREN_IN_NEED_LEAFLET if profile.assessment_timescales == INITIAL_AND_CORE else WORKING_TOGETHER
    days = ASSESSMENT_TIMESCALES[profile.assessment_timescales].get(assessment["type"])
    if days is None:
        return
    kind = codes.ASSESSMENT_TYPES[assessment["type"]]
    due = add_working_days(assessment["started"], days)
    completed = assessment.get("completed")
    if completed and completed > due:
        yield warn_from(
            source,
            "assessment.completed",
            f"A {kind} is completed within {days} working days of its start, by {gov_date(due)}; "
            f"this one was completed on {gov_date(completed)}.",
        )
    elif not completed and today > due:
        yield warn_from(
            source,
            "assessment.completed",
            f"A {kind} is completed within {days} working days of its start; this one was due by "
            f"{gov_date(due)} and is not recorded as completed.",
        )
    if assessment.get("due") and assessment["due"] > due:
        yield warn_from(
            source,
            "assessment.due",
            f"A {kind} is completed within {days} working days of its start: due by {gov_date(due)}, "
            f"not {gov_date(assessment['due'])}.",
        )


def _analysis_shared(data: dict) -> Iterator[Problem]:
    """The analysis reaches the child and family at least 7 working days before each meeting after it."""
    assessment = data.get("assessment")
    if not assessment or not assessment.get("completed") or assessment["type"] == "early_help":
        return
    shared = assessment.get("analysis_shared")
    for i, meeting in enumerate(data.get("meetings", [])):
        day = _day(meeting["starts"])
        if day < assessment["completed"]:
            continue
        if shared is None:
            yield warn_from(
                ASSESSMENT_SECTION,
                "assessment.analysis_shared",
                f"Say when the analysis was shared with the child and family: at least "
                f"{ANALYSIS_WORKING_DAYS} working days before the meeting on {gov_date(day)}.",
            )
            return
        if add_working_days(shared, ANALYSIS_WORKING_DAYS) > day:
            yield warn_from(
                ASSESSMENT_SECTION,
                f"meetings[{i}].starts",
                f"The analysis was shared on {gov_date(shared)}, less than {ANALYSIS_WORKING_DAYS} "
                f"working days before this meeting on {gov_date(day)}.",
            )


# -- reviews ------------------------------------------------------------------------------------
def _review_interval(data: dict, profile: AuthorityProfile, today: date) -> Iterator[Problem]:
    """Reviews at most the authority's interval apart, planned and held, and none overdue today.

    Planned dates against a cadence in weeks are checked by docgen.validate.policy; here, those
    against one in months, and for every cadence whether a review is overdue.
    """
    plan = data.get("plan")
    started = _plan_started(data)
    interval = _longest_interval(data, profile) if plan else None
    if started is None or interval is None:
        return
    latest, describe, source, in_months = interval
    previous = started
    for i, when in sorted(enumerate(plan.get("review_dates", [])), key=lambda item: item[1]):
        if in_months and when > latest(previous):
            yield warn_from(
                source,
                f"plan.review_dates[{i}]",
                f"Reviews here are held at least {describe}; {gov_date(when)} is more than that "
                f"after {gov_date(previous)}.",
            )
        previous = when
    closure = data.get("closure")
    if closure and closure["date"] <= today:
        return
    held = [review["date"] for review in data.get("reviews", []) if review["date"] <= today]
    last = max([started, *held])
    yield from _planned_but_not_held(data, last, today, source)
    if today > latest(last):
        since = f"the last review, on {gov_date(last)}" if last in held else f"the plan started, on {gov_date(last)}"
        yield warn_from(
            source,
            "reviews",
            f"A review is overdue: reviews are held at least {describe}, and none has been held "
            f"since {since}; one was due by {gov_date(latest(last))}.",
        )


def _planned_but_not_held(data: dict, last_held: date, today: date, source: str) -> Iterator[Problem]:
    """The next review planned after the last one held, when its date has passed: the last
    review's ``next_review``, or else the plan's first review date after it."""
    reviews = [(i, r) for i, r in enumerate(data.get("reviews", [])) if r["date"] == last_held]
    if reviews and reviews[-1][1].get("next_review"):
        i, review = reviews[-1]
        path, day = f"reviews[{i}].next_review", review["next_review"]
    else:
        later = sorted((day, i) for i, day in enumerate(data["plan"].get("review_dates", [])) if day > last_held)
        if not later:
            return
        day, i = later[0]
        path = f"plan.review_dates[{i}]"
    if day < today:
        yield warn_from(
            source,
            path,
            f"The review planned for {gov_date(day)} is not recorded as held: add it to reviews, "
            "or plan a new date.",
        )


def _longest_interval(data: dict, profile: AuthorityProfile):
    """(the latest the next review may be, given the last; how to say it; its source; in months?)."""
    plan_type = data["case"]["plan_type"]
    source = profile.review_source or PROFILE_SOURCE
    if disability_reviews_apply(data["plan"], profile):
        months = profile.disability_review_months
        describe = f"every {months} months for long-term disability support"
        return (lambda day: months_after(day, months)), describe, SINGLE_PLAN, True
    if plan_type in profile.review_months:
        months = profile.review_months[plan_type]
        return (lambda day: months_after(day, months)), f"every {months} months", source, True
    window = profile.review_window(plan_type)
    if window:
        weeks = window[1]
        return (lambda day: day + timedelta(weeks=weeks)), f"every {weeks} weeks", source, False
    return None


def _formal_review(data: dict, profile: AuthorityProfile, today: date) -> Iterator[Problem]:
    """A Child in Need plan open ``formal_review_months`` has a formal review chaired by a Team
    Manager, and the next at most that long after (004)."""
    started = _plan_started(data)
    months = profile.formal_review_months
    if not months or data["case"]["plan_type"] != "child_in_need" or started is None:
        return
    managers = {p["id"] for p in data.get("professionals", []) if "team manager" in p["role"].lower()}
    reviews = data.get("reviews", [])
    for i, review in enumerate(reviews):
        if review.get("formal") and review.get("chair") not in managers:
            yield warn_from(SINGLE_PLAN, f"reviews[{i}].chair", "A formal review is chaired by a Team Manager.")
    closure = data.get("closure")
    end = min(today, closure["date"]) if closure else today
    formal = sorted(r["date"] for r in reviews if r.get("formal") and r["date"] <= end)
    last = max([started, *formal])
    due = months_after(last, months)
    if end >= due:
        what = "the last formal review" if formal else "the plan started"
        yield warn_from(
            SINGLE_PLAN,
            "reviews",
            f"A Child in Need plan open {months} months has a formal multi-agency review chaired "
            f"by a Team Manager: none is recorded since {what}, on {gov_date(last)}; it was due by "
            f"{gov_date(due)}.",
        )


# -- closure ------------------------------------------------------------------------------------
def _closure_reason(data: dict) -> Iterator[Problem]:
    closure = data.get("closure")
    if not closure:
        return
    if closure["reason"] == "reached_adulthood":
        for i, child in enumerate(data["children"]):
            if age_on(child["date_of_birth"], closure["date"]) < 18:
                yield warn_from(
                    CLOSURE_REASONS,
                    "closure.reason",
                    f"The case is closed as the children have reached adulthood, but children[{i}] "
                    f"('{child['id']}') is under 18 on {gov_date(closure['date'])}.",
                )
    if closure["reason"] == "moved_away" and not closure.get("new_authority"):
        yield warn_from(
            CLOSURE_REASONS,
            "closure.new_authority",
            "The family has left the area: name the authority they moved to.",
        )


def _plan_started(data: dict) -> date | None:
    plan = data.get("plan") or {}
    return plan.get("started") or data["case"].get("opened")


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
