"""The field model: every name a template can use, as a tree with types, descriptions and sources.

Built once from the bundle schema (:mod:`docgen.bundle.schema`) and what the render context adds
on top of it (:mod:`docgen.view.context`): labels for codes, people's printed names, ids turned
into the people they name, the first child, the next meeting. ``templates check`` uses it to
find placeholders that are not fields; ``templates fields`` lists it for policy owners. A test
renders the samples and fails when the real context holds a name this model lacks.

Each field knows its ``source``, the bundle path it comes from (``sender`` comes from
``case.lead_professional``), so a template's use of ``sender.name`` counts as using the
``case.lead_professional`` its metadata requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from marshmallow import fields as mfields
from marshmallow import missing, validate

from docgen.authoring.descriptions import DESCRIPTIONS
from docgen.bundle import codes
from docgen.bundle import schema as bundle_schema
from docgen.view import records

ID_PATTERN = bundle_schema._ID


@dataclass
class Field:
    """One name a template can use: ``plan.actions``, or ``plan.actions[].who.name`` in a loop."""

    name: str
    path: str
    kind: str  # text, id, code, date, date and time, yes/no, number, object, person, list
    description: str
    source: str | None = None  # the bundle path it comes from; None for the authority's profile
    always: bool = False  # present whenever the field holding it is
    item: Field | None = None  # for a list, what each item is
    children: dict[str, Field] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    recipients_only: bool = False  # only set in documents sent to recipients

    @property
    def is_list(self) -> bool:
        return self.item is not None

    @property
    def type_label(self) -> str:
        if self.item is not None:
            inner = self.item.type_label
            return f"list of {_plural(inner)}"
        return self.kind

    def child(self, name: str) -> Field | None:
        return self.children.get(name)

    def add(self, *new: Field) -> Field:
        for f in new:
            self.children[f.name] = f
        return self


def _plural(label: str) -> str:
    irregular = {"person": "people", "text": "text", "yes/no": "yes/no values", "date and time": "dates and times"}
    return irregular.get(label, label + "s")


# -- from the bundle schema ----------------------------------------------------------------------


def _description(schema_cls: type, name: str) -> str:
    for cls in schema_cls.__mro__:
        text = DESCRIPTIONS.get(f"{cls.__name__}.{name}")
        if text:
            return text
    return ""


def _kind(mfield: mfields.Field) -> tuple[str, tuple[str, ...]]:
    if isinstance(mfield, mfields.DateTime):
        return "date and time", ()
    if isinstance(mfield, mfields.Date):
        return "date", ()
    if isinstance(mfield, mfields.Boolean):
        return "yes/no", ()
    if isinstance(mfield, mfields.Integer):
        return "number", ()
    for rule in mfield.validators:
        if isinstance(rule, validate.OneOf):
            return "code", tuple(str(c) for c in rule.choices)
        if isinstance(rule, validate.Regexp) and rule.regex.pattern == ID_PATTERN:
            return "id", ()
    return "text", ()


def from_schema(mfield: mfields.Field, name: str, path: str, source: str | None, owner: type) -> Field:
    """The Field for one marshmallow field declared on ``owner``, at ``path`` in the context."""
    description = _description(owner, name)
    always = bool(mfield.required) or mfield.load_default is not missing
    if isinstance(mfield, mfields.List):
        item = from_schema(mfield.inner, name, f"{path}[]", source, owner)
        item.description, item.always = f"One of {name}.", True
        return Field(name, path, "list", description, source, always, item=item)
    if isinstance(mfield, mfields.Nested):
        node = schema_object(type(mfield.schema), path, source)
        node.name, node.description, node.always = name, description, always
        return node
    kind, codes = _kind(mfield)
    return Field(name, path, kind, description, source, always, codes=codes)


def schema_object(schema_cls: type, path: str, source: str | None, kind: str = "object") -> Field:
    node = Field(path.rsplit(".", 1)[-1], path, kind, "", source)
    for name, mfield in schema_cls().fields.items():
        child_source = f"{source}.{name}" if source else None
        node.add(from_schema(mfield, name, f"{path}.{name}", child_source, schema_cls))
    return node


def _leaf(parent: Field, name: str, kind: str, description: str, *, source: str | None = None,
          always: bool = True) -> Field:
    return Field(name, f"{parent.path}.{name}", kind, description, source or parent.source, always)


# -- people: the bundle's persons with the names and labels the context adds ----------------------

_GROUP_SCHEMA = {
    "child": (bundle_schema.ChildSchema, "children"),
    "family": (bundle_schema.FamilyMemberSchema, "family_members"),
    "professional": (bundle_schema.ProfessionalSchema, "professionals"),
}


def person(path: str, description: str, *, group: str | None = None, source: str | None = None,
           always: bool = False) -> Field:
    """A person as templates see them; ``group`` None means anyone (child, family or professional)."""
    groups = [group] if group else ["professional", "family", "child"]
    node = Field(path.rsplit(".", 1)[-1], path, "person", description, source, always)
    built = [schema_object(_GROUP_SCHEMA[g][0], path, source or _GROUP_SCHEMA[g][1], kind="person") for g in groups]
    for one in built:
        for name, child in one.children.items():
            node.children.setdefault(name, child)
    for name, child in node.children.items():  # anyone: only what every kind of person has is always there
        child.always = all(name in one.children and one.children[name].always for one in built)
    node.add(
        _leaf(node, "name", "text", "First and last name: 'Dora Placeholder'."),
        _leaf(node, "formal_name", "text", "Title and name: 'Ms Dora Placeholder'."),
        _leaf(node, "salutation", "text", "How a letter to them opens: 'Dear Ms Placeholder'."),
        _leaf(node, "group", "text", "child, family or professional."),
        _leaf(node, "attending_mark", "text", "✓ if attending, ✗ if not, blank if not known."),
    )
    if group in (None, "child"):
        node.add(
            _leaf(node, "age", "number", "Age in years on the issue date.", always=group == "child"),
            _leaf(node, "sex_label", "text", "Sex in words.", always=group == "child"),
            _leaf(node, "ethnicity_label", "text", "Ethnicity in words (blank when not given).", always=group == "child"),
        )
    if group in (None, "professional"):
        node.add(_leaf(node, "agency_type_label", "text", "The kind of agency in words: 'Health Visitor'.",
                       always=group == "professional"))
    return node


def people_list(path: str, description: str, group: str | None, source: str, *, always: bool = True) -> Field:
    name = path.rsplit(".", 1)[-1]
    item = person(f"{path}[]", f"One of {name}.", group=group, source=source, always=True)
    item.name = name
    return Field(name, path, "list", description, source, always, item=item)


def _replace_with_person(parent: Field, name: str, description: str | None = None) -> None:
    """The context swaps an id for the person it names (``who``, ``chair``, ``manager``...)."""
    old = parent.children[name]
    parent.children[name] = person(old.path, description or old.description, source=old.source, always=old.always)


def _object_of(schema_cls: type, name: str, description: str, *, always: bool = False) -> Field:
    node = schema_object(schema_cls, name, name)
    node.description, node.always = description, always
    return node


# -- the render context --------------------------------------------------------------------------


def _authority() -> Field:
    node = Field("authority", "authority", "object", "The local authority sending the document (its profile).", None, True)
    texts = {
        "slug": "The authority's short name in docgen: 'worcestershire'.",
        "name": "The authority's name: 'Worcestershire County Council'.",
        "service": "The service sending the document.",
        "postcode": "The authority's postcode.",
        "sign_off": "How letters close: 'Yours sincerely'.",
    }
    for name, text in texts.items():
        node.add(_leaf(node, name, "text", text))
    node.add(
        Field("address", "authority.address", "list", "The authority's address lines.", None, True,
              item=Field("address", "authority.address[]", "text", "One address line.", None, True)),
        _leaf(node, "website", "text", "The authority's website.", always=False),
        _leaf(node, "logo", "picture",
              "The authority's logo (the PNG its profile names), in the document body only; "
              "prints nothing for an authority without one."),
        _leaf(node, "phone", "text", "The authority's published telephone number (none when it publishes none).",
              always=False),
        _leaf(node, "email", "text", "The authority's published email address (none when it publishes none).",
              always=False),
        _leaf(node, "submit_plans_to", "text", "Where plans of the case's type are sent.", always=False),
        _leaf(node, "submit_closures_to", "text", "Where closures of the case's type are sent.", always=False),
        _leaf(node, "support_after_closure", "text", "Where families find support after closure.", always=False),
        _code_labels(node, "decisions", "The decisions a review of the case's type can record, in the "
                     "authority's words.", "A decision: its code ('amend') and label ('Amend the plan')."),
        _code_labels(node, "leaflets", "The leaflets the assessment agreement lists (none for most "
                     "authorities).", "A leaflet: its code ('section_47') and title."),
    )
    plan_names = Field("plan_names", "authority.plan_names", "object",
                       "The plan's name at each level of need: 'Single Plan'.", None, True)
    plan_names.add(*(_leaf(plan_names, code, "text", f"The plan's name for {label}.")
                     for code, label in codes.PLAN_TYPES.items()))
    agencies = Field("agencies", "authority.agencies", "object",
                     "Each kind of agency in the authority's words: 'Health Visitor'.", None, True)
    agencies.add(*(_leaf(agencies, code, "text", f"The authority's name for: {label}.")
                   for code, label in codes.AGENCY_TYPES.items()))
    terms = Field("terms", "authority.terms", "object",
                  "The authority's own words for things, for the case's plan type.", None, True)
    terms.add(
        _leaf(terms, "team_around", "text", "The team meeting's short name: 'TAF' or 'TACiN'."),
        _leaf(terms, "team_around_long", "text", "Its long name: 'Team Around the Family'."),
        _leaf(terms, "lead", "text", "'Lead Professional' or 'Lead Practitioner'."),
        _leaf(terms, "plan", "text", "The plan's name: 'Co-ordinated Support Plan', 'Single Plan'."),
        _leaf(terms, "meeting", "text", "The meeting that agrees and reviews the plan: 'TACiN meeting'."),
    )
    return node.add(plan_names, agencies, terms)


def _code_labels(parent: Field, name: str, description: str, item_description: str) -> Field:
    path = f"{parent.path}.{name}"
    item = Field(name, f"{path}[]", "object", item_description, None, True)
    item.add(Field("code", f"{path}[].code", "code", "Its code.", None, True),
             Field("label", f"{path}[].label", "text", "Its words.", None, True))
    return Field(name, path, "list", description, None, True, item=item)


def _case() -> Field:
    node = _object_of(bundle_schema.CaseSchema, "case", "The case: its reference, team and plan type.", always=True)
    node.add(
        _leaf(node, "plan_type_label", "text", "The plan type in words: 'Child in Need'.", source="case.plan_type"),
        _leaf(node, "primary_need_label", "text", "The primary need in words (blank when not given).",
              source="case.primary_need"),
        person("case.lead", "The lead professional.", source="case.lead_professional"),
    )
    _replace_with_person(node, "manager", "The team manager.")
    return node


def _assessment() -> Field:
    node = _object_of(bundle_schema.AssessmentSchema, "assessment", "The assessment, when there is one.")
    node.add(
        _leaf(node, "type_label", "text", "The kind of assessment in words: 'child and family assessment'.",
              source="assessment.type"),
        people_list("assessment.consent_from", "The people who gave consent.", None, "assessment.consent_given_by"),
        _leaf(node, "consent_names", "text", "Their formal names joined: 'Ms Dora Placeholder and Mr ...'.",
              source="assessment.consent_given_by"),
        Field("leaflets", "assessment.leaflets", "list", "The leaflets given, in words.", "assessment.leaflets_given",
              True, item=Field("leaflets", "assessment.leaflets[]", "text", "One leaflet's title.",
                               "assessment.leaflets_given", True)),
    )
    return node


def _meeting_item(path: str, source: str) -> Field:
    node = schema_object(bundle_schema.MeetingSchema, path, source)
    node.add(_leaf(node, "kind_label", "text", "The kind of meeting in words: 'Team Around the Child in Need meeting'.",
                   source=f"{source}.kind"))
    _replace_with_person(node, "chair")
    return node


def _plan() -> Field:
    node = _object_of(bundle_schema.PlanSchema, "plan", "The plan, when there is one.")
    action = node.children["actions"].item
    _replace_with_person(action, "who")
    _replace_with_person(node.children["developmental_needs"].item, "child")
    _replace_with_person(node.children["contact"].item, "person")
    outcome = schema_object(bundle_schema.OutcomeSchema, action.children["outcome"].path, "plan.actions.outcome")
    outcome.name, outcome.description = "outcome", "The outcome this action works towards."
    action.children["outcome"] = outcome
    node.add(_leaf(node, "next_review", "date", "The first of the plan's review dates on or after the issue date.",
                   source="plan.review_dates", always=False))
    node.add(Field("upcoming_reviews", "plan.upcoming_reviews", "list",
                   "The plan's review dates on or after the issue date, earliest first.", "plan.review_dates",
                   True, item=Field("upcoming_reviews", "plan.upcoming_reviews[]", "date", "One review date.",
                                    "plan.review_dates", True)))
    return node


def _review_item(path: str, source: str) -> Field:
    node = schema_object(bundle_schema.ReviewSchema, path, source)
    node.add(
        _leaf(node, "progress_label", "text", "Progress in words: 'Positive change'.", source=f"{source}.progress"),
        _leaf(node, "decision_label", "text", "The decision in the authority's words: 'Amend the plan'.",
              source=f"{source}.decision"),
        _leaf(node, "new_level_label", "text", "The level of need a step up or down goes to, in words "
              "(blank when not given).", source=f"{source}.new_level"),
    )
    _replace_with_person(node, "chair")
    _replace_with_person(node.children["management_oversight"], "by")
    return node


def _closure() -> Field:
    node = _object_of(bundle_schema.ClosureSchema, "closure", "The closure, when the case is closing.")
    node.add(
        _leaf(node, "reason_label", "text", "Why the case closed, in words.", source="closure.reason"),
        _leaf(node, "conclusion_of_label", "text", "The kind of assessment concluded, in words ('assessment' when not given).",
              source="closure.conclusion_of"),
    )
    _replace_with_person(node.children["ongoing_actions"].item, "who")
    return node


def _co_working() -> Field:
    node = _object_of(bundle_schema.CoWorkingSchema, "co_working", "The co-working agreement, when there is one.")
    node.add(_leaf(node, "plan_status_label", "text", "The plan status in words: 'Child in Need'.", source="co_working.plan_status"))
    party = node.children["parties"].item
    party.add(_leaf(party, "role_label", "text", "Their role in words.", source="co_working.parties.role"))
    _replace_with_person(party, "person")
    task = node.children["tasks"].item
    _replace_with_person(task, "responsible")
    _replace_with_person(task, "reports_to")
    return node


def _equality() -> Field:
    node = _object_of(bundle_schema.EqualitySchema, "equality", "The equality impact assessment, when there is one.")
    factor = node.children["factors"].item
    factor.add(_leaf(factor, "area_label", "text", "The area in words: 'Economic / poverty'.",
                     source="equality.factors.area"))
    return node


def _request() -> Field:
    node = _object_of(bundle_schema.InformationRequestSchema, "request",
                      "What this professional is asked for (documents sent to professionals).")
    node.source = "information_requests"
    for child in node.children.values():
        child.source = child.source.replace("request", "information_requests", 1)
    node.children["about"] = people_list("request.about", "The children the request is about.", "child",
                                         "information_requests.about")
    node.recipients_only = True
    return node


def _record(schema_cls: type, name: str, description: str) -> Field:
    """A request, referral or meeting record, with its ids turned into people and meetings as
    :mod:`docgen.view.records` does."""
    node = _object_of(schema_cls, name, description)
    for child in list(node.children):
        if child in records.PERSON_FIELDS:
            _replace_with_person(node, child)
        elif child in records.PEOPLE_LISTS:
            old = node.children[child]
            node.children[child] = people_list(old.path, old.description, None, old.source, always=old.always)
        elif child in ("services", "agreed"):
            _replace_with_person(node.children[child].item, "who")
        elif child == "meeting":
            meeting = _meeting_item(f"{name}.meeting", "meetings")
            meeting.name, meeting.description, meeting.always = "meeting", "The meeting (from meetings, by its id).", True
            meeting.source = f"{name}.meeting"
            node.children[child] = meeting
    return node


def _records() -> list[Field]:
    request = _record(bundle_schema.EarlyHelpRequestSchema, "early_help_request",
                      "The request for Early Help Family Support, when there is one.")
    request.add(
        _leaf(request, "level_of_need_label", "text", "The level of need in words: 'Level 2'.",
              source="early_help_request.level_of_need"),
        Field("consulted_labels", "early_help_request.consulted_labels", "list", "Who was consulted, in words.",
              "early_help_request.consulted", True,
              item=Field("consulted_labels", "early_help_request.consulted_labels[]", "text", "One of them.",
                         "early_help_request.consulted", True)),
    )
    steps = []
    for name, description in (("step_up", "The step-up referral to social care, when there is one."),
                              ("step_down", "The step-down referral to early help, when there is one.")):
        step = _record(bundle_schema.StepSchema, name, description)
        step.add(
            _leaf(step, "from_plan_type_label", "text", "The plan stepped from, in words: 'Early Help Team "
                  "Around the Family'.", source=f"{name}.from_plan_type"),
            _leaf(step, "to_plan_type_label", "text", "The plan stepped to, in words: 'Child in Need'.",
                  source=f"{name}.to_plan_type"),
        )
        steps.append(step)
    return [
        request,
        *steps,
        _record(bundle_schema.FamilyMeetingRecordSchema, "family_meeting",
                "The record of a Family Meeting and its plan, when there is one."),
        _record(bundle_schema.MeetingNotesSchema, "meeting_notes",
                "The notes of a TAF or TACiN meeting, when there are some."),
        _list_of("abbreviations", "Abbreviations this case uses beyond the glossary's own.",
                 schema_object(bundle_schema.AbbreviationSchema, "abbreviations[]", "abbreviations"), "abbreviations"),
    ]


def _recipient() -> Field:
    node = person("recipient", "Who this copy is addressed to (documents with one copy per recipient).")
    node.add(_leaf(node, "kind", "text", "'family' or 'agency'."))
    node.recipients_only = True
    return node


def _document() -> Field:
    node = Field("document", "document", "object", "This document.", None, True)
    return node.add(
        _leaf(node, "id", "text", "The document id: 'outcome-letter'."),
        _leaf(node, "title", "text", "The document title."),
        _leaf(node, "version", "text", "The template's version."),
    )


def _list_of(name: str, description: str, item: Field, source: str) -> Field:
    item.name, item.description, item.always = name, f"One of {name}.", True
    return Field(name, name, "list", description, source, True, item=item)


@cache
def context_model() -> dict[str, Field]:
    """Every top-level name a template sees, each a tree of fields."""
    top = [
        _authority(),
        _case(),
        people_list("children", "The children, in the bundle's order.", "child", "children"),
        person("child", "The first child (for documents about one child).", group="child", source="children", always=True),
        Field("children_names", "children_names", "text", "The children's names joined: 'Poppy Placeholder and Alfie Placeholder'.",
              "children", True),
        people_list("family_members", "The family members.", "family", "family_members"),
        people_list("professionals", "The professionals.", "professional", "professionals"),
        person("lead", "The lead professional.", source="case.lead_professional"),
        person("manager", "The team manager.", source="case.manager"),
        person("sender", "Who signs the document: the lead professional.", source="case.lead_professional"),
        _assessment(),
        _list_of("meetings", "The meetings.", _meeting_item("meetings[]", "meetings"), "meetings"),
        _meeting_item("meeting", "meetings"),
        _plan(),
        _list_of("reviews", "The plan's reviews, oldest first.", _review_item("reviews[]", "reviews"), "reviews"),
        _review_item("review", "reviews"),
        _closure(),
        _co_working(),
        _equality(),
        _object_of(bundle_schema.RiskSchema, "risk", "The risk management tool, when there is one."),
        *_records(),
        Field("issue_date", "issue_date", "date", "The date the document is issued: '20 November 2026'.", "case.issue_date", True),
        Field("reply_by", "reply_by", "date", "Five working days after the issue date (or the request's reply-by date).",
              "case.issue_date", True),
        _recipient(),
        _request(),
        _document(),
        Field("docgen_version", "docgen_version", "text", "The version of docgen that filled the document.", None, True),
    ]
    meeting = next(f for f in top if f.name == "meeting")
    meeting.description = "The first meeting, when there is one."
    review = next(f for f in top if f.name == "review")
    review.description = "The latest review, when there is one."
    return {f.name: f for f in top}


def walk(nodes: dict[str, Field] | None = None) -> Iterator[Field]:
    """Every field, depth first, list items' fields after their list."""
    for node in (nodes if nodes is not None else context_model()).values():
        yield node
        if node.item is not None:
            yield from walk(node.item.children)
        yield from walk(node.children)


def lookup(path: str) -> Field | None:
    """The field at a dotted path; ``[]`` steps into a list's items (``plan.actions[].what``)."""
    steps = path.replace("[]", ".[]").split(".")
    node = context_model().get(steps[0])
    for step in steps[1:]:
        if node is None:
            return None
        node = node.item if step == "[]" else node.child(step)
    return node


def bundle_fields(schema_cls: type = bundle_schema.BundleSchema, prefix: str = "") -> Iterator[tuple[str, type, str]]:
    """Every field of the bundle schema as (bundle path, declaring schema, field name)."""
    for name, mfield in schema_cls().fields.items():
        path = f"{prefix}.{name}" if prefix else name
        yield path, schema_cls, name
        inner = mfield.inner if isinstance(mfield, mfields.List) else mfield
        if isinstance(inner, mfields.Nested):
            yield from bundle_fields(type(inner.schema), path)
