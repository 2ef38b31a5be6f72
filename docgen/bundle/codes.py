"""Code lists the case bundle shares with the DfE Children in Need census, and docgen's own."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def census() -> dict:
    """The CIN census 2024 code lists, as shipped in ``docgen/data``."""
    text = resources.files("docgen.data").joinpath("cin_census_codes.json").read_text("utf-8")
    return json.loads(text)


def census_codes(name: str) -> list[str]:
    return list(census()[name])


PLAN_TYPES = {
    "early_help_single_focus": "Early Help Single Focus",
    "early_help_taf": "Early Help Team Around the Family",
    "child_in_need": "Child in Need",
    "child_protection": "Child Protection",
    "looked_after": "Looked After Child",
}

# The co-working agreement's "Status of child(ren)'s Plan" boxes. The codes are 003's (CYPP is
# Worcestershire's Child & Young Person's Plan); the labels are the levels of need every
# authority shares, so that no other authority's form names Worcestershire's plan.
PLAN_STATUSES = {"cypp": "Child in Need", "cp": "Child Protection", "lac": "Looked After Child",
                 "other": "Other (state)"}

ASSESSMENT_TYPES = {
    "early_help": "early help assessment",
    "child_and_family": "child and family assessment",
    "initial": "initial assessment",
    "core": "core assessment",
    "section_47": "child protection enquiry",
}

# Leaflets given with the Standard Agreement for Assessment.
LEAFLETS = {
    "child_in_need": "Child in Need – Initial/Core",
    "section_47": "S.47 enquiries/CP Plan",
    "looked_after": "LAC Plan",
    "relative_friend_carers": "Relative/Friend Carers",
}

MEETING_KINDS = {
    "taf": "Team Around the Family meeting",
    "tacin": "Team Around the Child in Need meeting",
    "family_meeting": "Family Meeting",
    "cin_planning": "Child in Need Planning Meeting",
    "network": "Network Meeting",
    "core_group": "Core Group meeting",
    "review": "review meeting",
}

PROGRESS = {
    "positive_change": "Positive change",
    "no_change": "No change or improvement",
    "deterioration": "Deterioration or concerns increased",
}

# Every decision a review can record. Which a review offers, and in what words, is the
# authority's (its profile's [terms] decisions, per plan type): Worcestershire Early Help's five
# (001), Derbyshire's three outcomes (004: close, continue, a changed threshold stepped up or down).
DECISIONS = {
    "continue": "Continue the plan as it is",
    "amend": "Amend the plan",
    "end": "End the plan: the needs are fully met",
    "end_single_agency": "End the plan: a single agency will meet the need",
    "end_universal": "End the plan: only universal services are required",
    "close": "Close the case: the child no longer needs support from Children's Services",
    "step_up": "Step up: the level of need has risen",
    "step_down": "Step down: the level of need has fallen",
}

# The five reasons an Early Help plan may be closed (002), and the two step-down endings (001).
CLOSURE_REASONS = {
    "outcomes_achieved": "The family's needs are understood and they have achieved their outcomes",
    "consent_withdrawn": "The family has withdrawn their consent to Early Help support",
    "reached_adulthood": "The children have reached adulthood",
    "moved_away": "The family, or significant family members, have left the area",
    "escalated": "The issues are escalating and a specialist or statutory assessment is required",
    "single_agency": "A single agency will meet the remaining need",
    "universal_services": "Only universal services are now required",
}

CLOSURE_OUTCOMES = {
    "support_plan": "notes of the last meeting and the support still available are enclosed",
    "no_further_action": "no further action is required at this time",
}

CO_WORKING_ROLES = {
    "team_manager": "Team Manager",
    "consultant_social_worker": "Consultant Social Worker",
    "qualified_social_worker": "Qualified Social Worker (with case worker responsibility)",
    "other_social_care": "Other Social Care professional (with co-working responsibilities)",
}

EQUALITY_AREAS = {
    "age": "Age",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "language": "Language",
    "beliefs": "Beliefs",
    "disability": "Disability",
    "economic": "Economic / poverty",
    "social": "Social",
}

RISK_LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}

# The levels of need a request for Early Help Family Support is made at (001, step 1).
NEED_LEVELS = {"2": "Level 2", "3": "Level 3"}

# Whom a practitioner may speak to before asking for Early Help Family Support (001, step 1).
CONSULTED = {
    "line_manager": "Line manager",
    "safeguarding_lead": "Safeguarding lead",
    "senco": "Special Educational Needs Coordinator (SENCO)",
}

# The "Other agency contact" list of the Prompt Sheet (003, appendix), in its order.
# The kinds of agency, in words every authority uses; a profile's [agency_names] gives its own
# services' names (Worcestershire's prompt sheet, 003: "Police – DAU/FPU", "CDT/SPACE").
AGENCY_TYPES = {
    "police": "Police",
    "probation": "Probation",
    "youth_offending": "Youth Offending Service",
    "health_visitor": "Health Visitor",
    "gp": "GP",
    "paediatrician": "Paediatrician/specialist (other)",
    "speech_language": "Speech & Language",
    "ot_physio": "Occupational Therapy/Physiotherapy",
    "adult_mental_health": "Adult Mental Health Service",
    "physical_disability": "Physical Disability Service",
    "learning_disability": "Learning Disability Service",
    "camhs": "CAMHS",
    "acs_physical_sensory": "Adult Social Care: Physical Disabilities/Sensory Impairment",
    "acs_learning_disabilities": "Adult Social Care: Learning Disabilities",
    "domestic_abuse": "Local Domestic Abuse Service",
    "youth_worker": "Youth Worker",
    "housing": "Housing services",
    "substance_misuse": "Substance Misuse Service",
    "designated_teacher": "Designated Teacher",
    "educational_psychologist": "Educational Psychologist",
    "education_welfare": "Education Welfare Officer",
    "early_years": "Nursery/pre-school playgroup/Early Years Co-Coordinator",
    "ofsted": "Ofsted",
    "childrens_centre": "Children's Centres",
    "family_support": "Family Support/Home Liaison",
    "hospital": "Hospital/Acute Trust Services",
    "social_care": "Other Social Care professional",
    "early_help": "Early Help / Family Support",
    "school": "School",
    "other": "Other",
}
