"""The guidance a policy warning comes from, named in the warning so that a worker can look it up.

The seeds are the public guidance pages in ``shared/seeds/`` (see templates/README.md).
"""

from __future__ import annotations

from docgen.problems import WARNING, Problem

CHILDREN_IN_NEED_LEAFLET = "003: Worcestershire Children in Need leaflet B/1"
ASSESSMENT_SECTION = f"{CHILDREN_IN_NEED_LEAFLET}, section 3, Assessments of children 'in need'"
PLAN_SECTION = f"{CHILDREN_IN_NEED_LEAFLET}, section 4, Making and Reviewing Plans"
SINGLE_PLAN = "004: Derbyshire Plan, Do, Review"
PROFILE_SOURCE = "the authority's profile"
WORKING_TOGETHER = "Working Together to Safeguard Children"
CLOSURE_REASONS = "002: Effective reviewing of the TAF plan, the reasons a plan may be closed"


def warn_from(source: str, path: str, message: str) -> Problem:
    """A policy warning ending with the guidance it comes from."""
    return Problem(path, f"{message} (source: {source})", WARNING)
