"""The bundle against its authority's profile: what the authority offers, and its own rules.

A review decision, meeting or leaflet the authority does not have is an error (a Looked After review
never records an early help decision); Derbyshire's reviews record management oversight and,
when there is a concern of significant harm, the Strategy Discussion (004, as warnings); a
profile still holding placeholder contacts is a warning, so ``validate --strict`` refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator

from docgen.bundle import codes
from docgen.problems import WARNING, Problem
from docgen.registry.profiles import PROFILE_FILE, AuthorityProfile

SEED_004 = "Derbyshire's Plan, Do, Review (004)"


def check_against_profile(data: dict, profile: AuthorityProfile) -> Iterator[Problem]:
    plan_type = data["case"]["plan_type"]
    offered = profile.wording(plan_type)["decisions"]
    for i, review in enumerate(data.get("reviews", [])):
        if review["decision"] not in offered:
            yield Problem(
                f"reviews[{i}].decision",
                f"{profile.name} does not offer the decision '{review['decision']}' at a "
                f"{codes.PLAN_TYPES[plan_type]} review. Expected one of: {', '.join(offered)}.",
            )
        if review.get("new_level") and review["decision"] not in ("step_up", "step_down"):
            yield Problem(f"reviews[{i}].new_level",
                          "A new level of need goes with the decision step_up or step_down only.")
    for i, meeting in enumerate(data.get("meetings", [])):
        if meeting["kind"] not in profile.meeting_kinds:
            yield Problem(f"meetings[{i}].kind",
                          f"{profile.name} holds no meeting of the kind '{meeting['kind']}'. "
                          f"Expected one of: {', '.join(profile.meeting_kinds)}.")
    for i, leaflet in enumerate((data.get("assessment") or {}).get("leaflets_given", [])):
        if leaflet not in profile.leaflets:
            yield Problem(f"assessment.leaflets_given[{i}]",
                          f"{profile.name} has no leaflet '{leaflet}' in its profile.")
    yield from _profile_placeholders(profile)
    if profile.reviews.get("management_oversight") or profile.reviews.get("strategy_discussion"):
        yield from _review_records(data, profile)


def _profile_placeholders(profile: AuthorityProfile) -> Iterator[Problem]:
    for key, value in profile.placeholders():
        instead = ", or set no_published_contacts = true" if key in ("phone", "email") else ""
        yield Problem(
            "authority",
            f"The profile templates/{profile.slug}/{PROFILE_FILE} has a placeholder {key} "
            f"({value}): give the authority's published one{instead}.",
            WARNING,
        )


def _review_records(data: dict, profile: AuthorityProfile) -> Iterator[Problem]:
    for i, review in enumerate(data.get("reviews", [])):
        if profile.reviews.get("management_oversight") and not review.get("management_oversight"):
            yield Problem(f"reviews[{i}].management_oversight",
                          f"Record the manager's oversight of the plan in supervision ({SEED_004}).",
                          WARNING)
        wants_strategy = profile.reviews.get("strategy_discussion") and review.get("significant_harm_concern")
        if wants_strategy and not review.get("strategy_discussion"):
            yield Problem(f"reviews[{i}].strategy_discussion",
                          "The child may be suffering significant harm: record the date of the "
                          f"Strategy Discussion held to decide on section 47 enquiries ({SEED_004}).",
                          WARNING)
