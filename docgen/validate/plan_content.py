"""Policy warnings: what a Child in Need or Child Protection plan must make clear.

003's plan section asks for clarity on the timing and nature of contact, which parts of the plan
are negotiable and which are not, what is unacceptable care and what happens at renewed risk of
significant harm; 004 asks every plan to describe the child's developmental needs, the frequency
of contact by each professional and family member, how progress will be judged, and why, where
the child's wishes are not followed.
"""

from __future__ import annotations

from collections.abc import Iterator

from docgen.problems import Problem
from docgen.validate.sources import PLAN_SECTION, SINGLE_PLAN, warn_from

CHILD_IN_NEED_PLANS = ("child_in_need", "child_protection")

# field -> (source, what the plan does not say)
REQUIRED_PARTS = {
    "negotiable": (PLAN_SECTION, "The plan does not say which of its parts are negotiable."),
    "non_negotiable": (PLAN_SECTION, "The plan does not say which of its parts are not negotiable."),
    "unacceptable_care": (PLAN_SECTION, "The plan does not say what is unacceptable care of the child."),
    "renewed_risk": (
        PLAN_SECTION,
        "The plan does not say what will happen if the child is at renewed risk of significant harm.",
    ),
    "progress_measures": (SINGLE_PLAN, "The plan does not say how progress will be judged."),
}


def check_plan_content(data: dict) -> Iterator[Problem]:
    """Warnings for a Child in Need or Child Protection plan lacking what the guidance requires."""
    plan = data.get("plan")
    if plan is None or data["case"]["plan_type"] not in CHILD_IN_NEED_PLANS:
        return
    for field, (source, message) in REQUIRED_PARTS.items():
        if not plan.get(field):
            yield warn_from(source, f"plan.{field}", message)
    yield from _developmental_needs(data)
    yield from _contact(data)
    yield from _child_wishes(plan)


def _developmental_needs(data: dict) -> Iterator[Problem]:
    described = {need["child"] for need in data["plan"].get("developmental_needs", [])}
    for i, child in enumerate(data["children"]):
        if child["id"] not in described:
            yield warn_from(
                SINGLE_PLAN,
                "plan.developmental_needs",
                f"The plan does not describe the developmental needs of children[{i}] "
                f"('{child['id']}').",
            )


def _contact(data: dict) -> Iterator[Problem]:
    """Everyone with a part in the plan has a contact frequency: the lead and each action's owner."""
    plan = data["plan"]
    if not plan.get("contact"):
        yield warn_from(
            PLAN_SECTION,
            "plan.contact",
            "The plan does not say how often each professional and family member has contact "
            "with the child and family.",
        )
        return
    with_contact = {contact["person"] for contact in plan["contact"]}
    children = {child["id"] for child in data["children"]}
    for i, action in enumerate(plan.get("actions", [])):
        who = action.get("who")
        if who and who not in with_contact and who not in children:
            yield warn_from(
                SINGLE_PLAN,
                f"plan.actions[{i}].who",
                f"'{who}' has an action in the plan but no contact frequency in plan.contact.",
            )
            with_contact.add(who)  # one warning per person


def _child_wishes(plan: dict) -> Iterator[Problem]:
    followed = plan.get("child_wishes_followed")
    if followed is None:
        yield warn_from(
            SINGLE_PLAN,
            "plan.child_wishes_followed",
            "The plan does not say whether it follows the child's wishes.",
        )
    elif not followed and not plan.get("child_wishes_not_followed_because"):
        yield warn_from(
            SINGLE_PLAN,
            "plan.child_wishes_not_followed_because",
            "The plan does not follow the child's wishes but does not say why.",
        )
