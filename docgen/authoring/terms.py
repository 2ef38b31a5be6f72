"""Another authority's words in a template: a shared template prints every term from the profile.

Each profile lists its ``own_terms`` (Worcestershire's "TACiN", South Gloucestershire's "Access
and Response Team"). A default template serves every authority, so none of them may appear in
its text; an authority's own template may use its own, never another's.
"""

from __future__ import annotations

import re

from docgen.authoring.locate import Paragraph
from docgen.authoring.problems import ERROR, TemplateProblem
from docgen.exceptions import TemplateError
from docgen.registry import DEFAULT, Registry

FIX = ("print it from the authority's profile: {{ authority.terms.plan }}, "
       "{{ authority.terms.meeting }}, {{ authority.submit_plans_to }}...")


def foreign_terms(found: list[Paragraph], registry: Registry, origin: str) -> list[TemplateProblem]:
    """A problem for each paragraph naming a term of an authority other than ``origin``."""
    owners: dict[str, str] = {}
    for slug in registry.authorities():
        if slug == origin:
            continue
        try:
            profile = registry.profile(slug)
        except TemplateError:  # reported by the profile's own check
            continue
        owners.update(dict.fromkeys(profile.own_terms, profile.name))
    if not owners:
        return []
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in sorted(owners, key=len, reverse=True)))
    whose = "every authority" if origin == DEFAULT else "another authority"
    return [
        TemplateProblem.at(paragraph, ERROR, "authority-term",
                           f"'{term}' is {owners[term]}'s own term, and this template serves {whose}", FIX)
        for paragraph in found
        for term in dict.fromkeys(pattern.findall(paragraph.text))
    ]
