"""The case bundle contract, in marshmallow: one case, at one moment, for one authority.

This module is the source of truth; ``schemas/case-bundle.schema.json`` is exported from it
(``docgen schema export``), so it holds only rules JSON Schema can express too. Checks it
cannot (id references, check digits, date order) are in ``docgen.validate.consistency``.
"""

from __future__ import annotations

import re
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from docgen.bundle import codes

SCHEMA_VERSION = "1.0"

# XML 1.0 cannot hold most C0 controls; a tab or newline changes layout (docxtpl makes a form
# feed a page break and a bell a new paragraph). Single-line values allow no control character
# (C0, DEL, C1), line or paragraph separator or bidi override/isolate (which reverse the text
# after it); multi-line text allows newline and tab, which render as a line break and a tab.
_SINGLE_LINE = re.compile(r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]*$")
_MULTI_LINE = re.compile(r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]*$")
_ID = r"^[a-z][a-z0-9_-]{0,31}$"
_POSTCODE = r"^([A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}|GIR ?0AA)$"
_PHONE = r"^\+?[0-9][0-9 ()-]{5,20}$"
_NHS = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{4}$"
_CASE_REF = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
CASE_REFERENCE = re.compile(_CASE_REF)
_DOC_ID = r"^[a-z][a-z0-9-]{1,40}$"

NAME_MAX = 100
LINE_MAX = 200
TEXT_MAX = 5000

ID_MESSAGE = "Expected an id of lower-case letters, digits, '-' or '_' (like 'mum' or 'p1')."


class Whole(validate.Regexp):
    """A pattern the whole value must match: with ``match``, ``$`` lets a trailing newline through."""

    def __call__(self, value):
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def line(max_length: int = LINE_MAX, **kwargs) -> fields.String:
    """A single-line string: no newlines, tabs or control characters."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            Whole(
                _SINGLE_LINE,
                error="Line breaks, tabs and control characters are not allowed here.",
            ),
        ],
        **kwargs,
    )


def text(**kwargs) -> fields.String:
    """Free text: newlines and tabs allowed, other control characters not."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=TEXT_MAX),
            Whole(
                _MULTI_LINE, error="Control characters other than newline and tab are not allowed."
            ),
        ],
        **kwargs,
    )


class Choice(validate.OneOf):
    """One of a code list; the value given is echoed short, with control characters escaped."""

    def _format_error(self, value) -> str:
        shown = repr(value)[1:-1] if isinstance(value, str) else repr(value)
        shown = shown if len(shown) <= 40 else f"{shown[:40]}..."
        return super()._format_error(shown)


def one_of(choices, **kwargs) -> fields.String:
    rule = Choice(list(choices), error="Expected one of {choices} but received: '{input}'.")
    return fields.String(validate=rule, **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not "yes", 1 or "on", which JSON Schema would refuse."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value

    default_error_messages = {"invalid": "Expected true or false."}


def ref(**kwargs) -> fields.String:
    """The id of a person elsewhere in the bundle."""
    return fields.String(validate=Whole(_ID, error=ID_MESSAGE), **kwargs)


def listing(field, *, max_items: int, min_items: int = 0, **kwargs) -> fields.List:
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", list)  # templates loop over absent lists as empty
    return fields.List(field, validate=validate.Length(min=min_items, max=max_items), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class AddressSchema(Strict):
    lines = listing(line(), min_items=1, max_items=5, required=True)
    postcode = fields.String(
        required=True,
        validate=Whole(_POSTCODE, error="Expected a UK postcode like 'WR5 2NP'."),
    )


class PersonSchema(Strict):
    id = fields.String(required=True, validate=Whole(_ID, error=ID_MESSAGE))
    title = line(20)
    first_name = line(NAME_MAX, required=True)
    last_name = line(NAME_MAX, required=True)


class ContactMixin(Strict):
    address = fields.Nested(AddressSchema)
    phone = fields.String(validate=Whole(_PHONE, error="Expected a UK phone number."))
    email = fields.Email()
    attending = StrictBoolean(allow_none=True)
    notes = text()


class ChildSchema(PersonSchema):
    preferred_name = line(NAME_MAX)
    date_of_birth = fields.Date(required=True)
    sex = one_of(codes.census_codes("sex"), required=True)
    ethnicity = one_of(codes.census_codes("ethnicity"))
    la_child_id = fields.String(
        required=True,
        validate=Whole(
            r"^[A-Za-z0-9_-]{1,10}$",
            error="Expected the authority's child identifier (LAchildID): 1-10 letters or digits.",
        ),
    )
    upn = fields.String(
        validate=Whole(
            "^(" + "|".join(codes.census_codes("upn_patterns")) + ")$",
            error="Expected a UPN: a letter and 12 digits, or a letter, 11 digits and a letter.",
        )
    )
    upn_unknown_reason = one_of(codes.census_codes("upn_unknown_reasons"))
    nhs_number = fields.String(
        validate=Whole(_NHS, error="Expected a 10-digit NHS number like '943 476 5919'.")
    )
    disabilities = listing(one_of(codes.census_codes("disability")), max_items=13)
    address = fields.Nested(AddressSchema)
    school = line()
    views = text()


class FamilyMemberSchema(PersonSchema, ContactMixin):
    relationship = line(NAME_MAX, required=True)
    parental_responsibility = StrictBoolean(load_default=False)
    receives_letters = StrictBoolean()


class ProfessionalSchema(PersonSchema, ContactMixin):
    role = line(NAME_MAX, required=True)
    agency = line(required=True)
    agency_type = one_of(codes.AGENCY_TYPES, load_default="other")
    qualified_social_worker = StrictBoolean(load_default=False)


class CaseSchema(Strict):
    reference = fields.String(
        required=True,
        validate=Whole(
            _CASE_REF,
            error="Expected a case reference of letters, digits, '.', '_' or '-', up to 40.",
        ),
    )
    team = line(required=True)
    plan_type = one_of(codes.PLAN_TYPES, required=True)
    lead_professional = ref()
    manager = ref()
    opened = fields.Date()
    issue_date = fields.Date()
    primary_need = one_of(codes.census_codes("primary_need"))
    referral_source = one_of(codes.census_codes("referral_source"))
    category_of_abuse = one_of(codes.census_codes("category_of_abuse"))


class AssessmentSchema(Strict):
    type = one_of(codes.ASSESSMENT_TYPES, required=True)
    started = fields.Date(required=True)
    due = fields.Date()
    completed = fields.Date()
    basis = one_of(["consent", "statutory"], required=True)
    consent_given_by = listing(ref(), max_items=20)
    consent_date = fields.Date()
    leaflets_given = listing(one_of(codes.LEAFLETS), max_items=len(codes.LEAFLETS))
    analysis_shared = fields.Date()  # when the analysis was shared with the child and family (003)


class VenueSchema(Strict):
    name = line(required=True)
    address = fields.Nested(AddressSchema)


class MeetingSchema(Strict):
    id = fields.String(validate=Whole(_ID, error=ID_MESSAGE))
    kind = one_of(codes.MEETING_KINDS, required=True)
    starts = fields.DateTime(required=True)
    ends = fields.DateTime()
    venue = fields.Nested(VenueSchema, required=True)
    room = line()
    chair = ref()
    reason = text()


class OutcomeSchema(Strict):
    id = fields.String(required=True, validate=Whole(_ID, error=ID_MESSAGE))
    description = text(required=True)


class ActionSchema(Strict):
    what = text(required=True)
    who = ref()
    by = fields.Date()
    outcome = ref()
    status = one_of(["not_started", "in_progress", "done"])


class DevelopmentalNeedSchema(Strict):
    """One child's developmental needs and the services they need (004: every plan describes them)."""

    child = ref(required=True)
    needs = text(required=True)
    services = text()


class ContactSchema(Strict):
    """How often one professional or family member has contact with the child and family (003, 004)."""

    person = ref(required=True)
    frequency = line(required=True)
    purpose = text()


class PlanSchema(Strict):
    started = fields.Date()
    what_is_important = listing(text(), max_items=50)
    what_should_change = listing(text(), max_items=50)
    child_views = text()
    outcomes = listing(fields.Nested(OutcomeSchema), max_items=50)
    actions = listing(fields.Nested(ActionSchema), max_items=200)
    contingency = text()
    visit_frequency = line()
    review_dates = listing(fields.Date(), max_items=50)
    # What 003 (section 4) and 004 ask a Child in Need or Child Protection plan to make clear.
    developmental_needs = listing(fields.Nested(DevelopmentalNeedSchema), max_items=20)
    negotiable = listing(text(), max_items=50)
    non_negotiable = listing(text(), max_items=50)
    unacceptable_care = listing(text(), max_items=50)
    renewed_risk = text()  # what will happen if the child is at renewed risk of significant harm
    contact = listing(fields.Nested(ContactSchema), max_items=150)
    progress_measures = listing(text(), max_items=50)  # how progress will be judged
    child_wishes_followed = StrictBoolean()
    child_wishes_not_followed_because = text()
    long_term_disability_support = StrictBoolean()  # reviewed at most 12-monthly in Derbyshire (004)


class OversightSchema(Strict):
    by = ref(required=True)
    date = fields.Date(required=True)
    notes = text()


class ReviewSchema(Strict):
    date = fields.Date(required=True)
    progress = one_of(codes.PROGRESS, required=True)
    what_worked = text()
    not_achieved = text()
    child_views = text()
    family_views = text()
    decision = one_of(codes.DECISIONS, required=True)
    decision_notes = text()
    new_level = one_of(codes.PLAN_TYPES)  # the level of need a step up or down goes to
    # 004: a concern that the child may be suffering significant harm calls for a Strategy
    # Discussion; every plan is overseen by a manager in supervision.
    significant_harm_concern = StrictBoolean()
    strategy_discussion = fields.Date()
    management_oversight = fields.Nested(OversightSchema)
    next_review = fields.Date()
    formal = StrictBoolean(load_default=False)  # Derbyshire's 12-month formal review (004)
    chair = ref()


class OngoingActionSchema(Strict):
    what = text(required=True)
    who = ref()
    by = fields.Date()


class ClosureSchema(Strict):
    date = fields.Date(required=True)
    reason = one_of(codes.CLOSURE_REASONS, required=True)
    census_reason = one_of(codes.census_codes("reason_for_closure"))
    outcome = one_of(codes.CLOSURE_OUTCOMES, required=True)
    concluded = one_of(["assessment", "involvement"], load_default="involvement")
    conclusion_of = one_of(codes.ASSESSMENT_TYPES)
    enclose_assessment = StrictBoolean(load_default=False)
    final_summary = text()
    ongoing_actions = listing(fields.Nested(OngoingActionSchema), max_items=100)
    signposting = listing(text(), max_items=50)
    new_authority = line()  # where the family moved to, when they have left the area


class PartySchema(Strict):
    role = one_of(codes.CO_WORKING_ROLES, required=True)
    person = ref(required=True)


class TaskSchema(Strict):
    task = text(required=True)
    responsible = ref(required=True)
    frequency = line()
    reports_to = ref()


class CoWorkingSchema(Strict):
    agreed = fields.Date(required=True)
    review = fields.Date()
    plan_status = one_of(codes.PLAN_STATUSES, required=True)
    plan_status_other = line()
    parties = listing(fields.Nested(PartySchema), min_items=1, max_items=20, required=True)
    tasks = listing(fields.Nested(TaskSchema), max_items=100)


class EqualityFactorSchema(Strict):
    area = one_of(codes.EQUALITY_AREAS, required=True)
    effect = text(required=True)
    support = text()


class EqualitySchema(Strict):
    factors = listing(fields.Nested(EqualityFactorSchema), max_items=50)
    strengths = text()
    plan = text()


class RiskSchema(Strict):
    risk_factors = listing(text(), max_items=50)
    protective_factors = listing(text(), max_items=50)
    level_of_harm = one_of(codes.RISK_LEVELS)
    impact = text()
    measures = listing(text(), max_items=50)
    residual_risk = one_of(codes.RISK_LEVELS)
    review_actions = listing(text(), max_items=50)
    contingency = listing(text(), max_items=50)
    contact_if_risk_increases = text()


class InformationRequestSchema(Strict):
    professional = ref(required=True)
    about = listing(ref(), max_items=20)
    specific_information = text()
    reply_by = fields.Date()


class EarlyHelpRequestSchema(Strict):
    """The request for Early Help Family Support a practitioner makes (001, step 1)."""

    date = fields.Date(required=True)
    requested_by = ref(required=True)
    level_of_need = one_of(codes.NEED_LEVELS, required=True)
    needs = listing(text(), min_items=1, max_items=50, required=True)
    own_offer = text()
    consulted = listing(one_of(codes.CONSULTED), max_items=len(codes.CONSULTED))
    family_agrees = StrictBoolean(required=True)
    consent_given_by = listing(ref(), max_items=20)
    child_views = text()
    family_views = text()
    continuing_support = text()


class ServiceSchema(Strict):
    service = text(required=True)
    who = ref()


class StepSchema(Strict):
    """A step-up (early help to social care) or step-down (social care to early help) referral (003)."""

    date = fields.Date(required=True)
    from_plan_type = one_of(codes.PLAN_TYPES, required=True)
    to_plan_type = one_of(codes.PLAN_TYPES, required=True)
    reason = text(required=True)
    needs = listing(text(), max_items=50)
    chronology = text()
    services = listing(fields.Nested(ServiceSchema), max_items=50)
    significant_harm = StrictBoolean(load_default=False)
    child_views = text()
    family_views = text()
    agency_views = text()
    referred_by = ref()
    decided_by = ref()
    new_lead_professional = ref()


class AgreedActionSchema(Strict):
    what = text(required=True)
    who = ref()
    by = fields.Date()


class NotAgreedSchema(Strict):
    proposal = text(required=True)
    reason = text(required=True)


class FamilyMeetingRecordSchema(Strict):
    """The record of a Family Meeting and the plan it agreed (003, section 5)."""

    meeting = ref(required=True)
    coordinator = ref(required=True)
    attended = listing(ref(), max_items=70)
    strengths = text()
    concerns = text()
    options = text()
    support_offered = text()
    family_proposals = text(required=True)
    agreed = listing(fields.Nested(AgreedActionSchema), max_items=100)
    not_agreed = listing(fields.Nested(NotAgreedSchema), max_items=50)
    resources = text()
    monitoring = text()
    contingency = text()
    review = fields.Date()
    endorsed_by = ref()
    endorsed_on = fields.Date()


class NoteSchema(Strict):
    topic = line(required=True)
    notes = text(required=True)


class MeetingNotesSchema(Strict):
    """The notes of a TAF or TACiN meeting, sent with the plan (000, 004)."""

    meeting = ref(required=True)
    taken_by = ref()
    attended = listing(ref(), max_items=70)
    apologies = listing(ref(), max_items=70)
    child_views = text()
    family_views = text()
    discussion = listing(fields.Nested(NoteSchema), max_items=50)
    decisions = listing(text(), max_items=50)
    next_meeting = fields.DateTime()


class AbbreviationSchema(Strict):
    abbreviation = line(20, required=True)
    meaning = line(required=True)


class WithheldSchema(Strict):
    path = fields.String(
        required=True,
        validate=Whole(
            r"^[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*$",
            error="Expected a bundle path like 'family_members[1].address'.",
        ),
    )
    withheld_from = listing(
        fields.String(
            validate=Whole(
                r"^([a-z][a-z0-9_-]{0,31}|family|professionals)$",
                error="Expected a person's id, 'family' or 'professionals'.",
            )
        ),
        min_items=1,
        max_items=50,
        required=True,
    )
    reason = line()


class BundleSchema(Strict):
    schema_version = one_of([SCHEMA_VERSION], required=True)
    authority = fields.String(
        required=True,
        validate=Whole(r"^[a-z][a-z0-9-]{1,40}$", error="Expected an authority slug."),
    )
    case = fields.Nested(CaseSchema, required=True)
    children = listing(fields.Nested(ChildSchema), min_items=1, max_items=20, required=True)
    family_members = listing(fields.Nested(FamilyMemberSchema), max_items=50)
    professionals = listing(fields.Nested(ProfessionalSchema), max_items=100)
    assessment = fields.Nested(AssessmentSchema)
    meetings = listing(fields.Nested(MeetingSchema), max_items=50)
    plan = fields.Nested(PlanSchema)
    reviews = listing(fields.Nested(ReviewSchema), max_items=100)
    closure = fields.Nested(ClosureSchema)
    co_working = fields.Nested(CoWorkingSchema)
    equality = fields.Nested(EqualitySchema)
    risk = fields.Nested(RiskSchema)
    information_requests = listing(fields.Nested(InformationRequestSchema), max_items=100)
    early_help_request = fields.Nested(EarlyHelpRequestSchema)
    step_up = fields.Nested(StepSchema)
    step_down = fields.Nested(StepSchema)
    family_meeting = fields.Nested(FamilyMeetingRecordSchema)
    meeting_notes = fields.Nested(MeetingNotesSchema)
    abbreviations = listing(fields.Nested(AbbreviationSchema), max_items=100)
    documents_requested = listing(
        fields.String(validate=Whole(_DOC_ID, error="Expected a document id.")),
        max_items=50,
    )
    withheld = listing(fields.Nested(WithheldSchema), max_items=200)


def nhs_number_is_valid(number: str) -> bool:
    """The NHS number's modulus-11 check: weights 10..2, 11 - remainder, 11 means 0, 10 invalid."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
