"""Authority profiles: each authority's name, contacts, terminology and review rules.

A profile is ``templates/<slug>/authority.toml``; adding an authority is adding that file.
Every word that differs between authorities (the plan's name at each level of need, its
meetings, where plans and closures go, the decisions a review can make) comes from ``[terms]``,
with a ``[terms.<plan_type>]`` table for wording that differs by plan type, so that shared
templates never name one authority's process. ``own_terms`` lists the words no other
authority's documents may print.
"""

from __future__ import annotations

import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from PIL import Image, UnidentifiedImageError

from docgen.bundle import codes
from docgen.exceptions import TemplateError
from docgen.problems import from_marshmallow

PROFILE_FILE = "authority.toml"
LOGO_BOX_MM = (60.0, 15.0)  # the largest logo the letter head prints, inside Notify's logo area
MAX_LOGO_BYTES = 1024 * 1024


# How assessments are timed, chosen in the profile: working days from the start, per assessment type.
INITIAL_AND_CORE, SINGLE_ASSESSMENT = "initial_and_core", "single_assessment"
ASSESSMENT_TIMESCALES = {
    INITIAL_AND_CORE: {"initial": 10, "core": 35},  # 003
    SINGLE_ASSESSMENT: {"child_and_family": 45},  # Working Together to Safeguard Children
}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _decisions(**kwargs):
    """A review's decisions: code (one of codes.DECISIONS) -> the authority's own wording."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(list(codes.DECISIONS))),
                       values=fields.String(), validate=validate.Length(min=1), **kwargs)


class WordingSchema(_Strict):
    """Wording for one plan type; every key falls back to the authority's ``[terms]``."""

    team_around = fields.String()  # "TAF" or "TACiN"
    team_around_long = fields.String()
    lead = fields.String()  # "Lead Professional" or "Lead Practitioner"
    plan = fields.String()  # the plan's name at this level of need: "Single Plan"
    meeting = fields.String()  # where the plan is agreed and reviewed: "TACiN meeting"
    submit_plans_to = fields.String()
    submit_closures_to = fields.String()
    support_after_closure = fields.String()
    decisions = _decisions()


class TermsSchema(WordingSchema):
    """The authority's words, and per plan type (codes.PLAN_TYPES) what differs from them."""

    team_around = fields.String(required=True)
    team_around_long = fields.String(required=True)
    lead = fields.String(required=True)
    plan = fields.String(required=True)
    meeting = fields.String(required=True)
    decisions = _decisions(required=True)
    early_help_single_focus = fields.Nested(WordingSchema)
    early_help_taf = fields.Nested(WordingSchema)
    child_in_need = fields.Nested(WordingSchema)
    child_protection = fields.Nested(WordingSchema)
    looked_after = fields.Nested(WordingSchema)


class PlainEnglishSchema(_Strict):
    max_sentence_words = fields.Integer(load_default=25, validate=validate.Range(min=5))
    max_reading_age = fields.Integer(load_default=14, validate=validate.Range(min=5, max=21))


class ReviewRecordsSchema(_Strict):
    """What the authority's reviews must record beyond the decision (warnings when missing)."""

    management_oversight = fields.Boolean(load_default=False)
    strategy_discussion = fields.Boolean(load_default=False)


class ProfileSchema(_Strict):
    name = fields.String(required=True)
    service = fields.String(required=True)
    address = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5))
    postcode = fields.String(required=True)
    # Only contact details the authority publishes; a profile without them says so with
    # no_published_contacts = true, and letters give the worker's own details instead.
    phone = fields.String()
    email = fields.Email()
    no_published_contacts = fields.Boolean(load_default=False)
    website = fields.String()
    logo = fields.String()
    sign_off = fields.String(load_default="Yours sincerely")
    terms = fields.Nested(TermsSchema, required=True)
    own_terms = fields.List(fields.String(validate=validate.Length(min=2)), load_default=list)
    # The leaflets the Standard Agreement for Assessment offers: code -> the authority's title.
    leaflets = fields.Dict(keys=fields.String(validate=validate.OneOf(list(codes.LEAFLETS))),
                           values=fields.String(), load_default=dict)
    # The kinds of meeting the authority holds (codes.MEETING_KINDS): a Derbyshire case has no
    # TACiN meeting. All of them unless the profile says.
    meeting_kinds = fields.List(fields.String(validate=validate.OneOf(list(codes.MEETING_KINDS))),
                                load_default=lambda: list(codes.MEETING_KINDS))
    # The authority's own names for kinds of agency (codes.AGENCY_TYPES), where they differ.
    agency_names = fields.Dict(keys=fields.String(validate=validate.OneOf(list(codes.AGENCY_TYPES))),
                               values=fields.String(), load_default=dict)
    review_weeks = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(codes.PLAN_TYPES))),
        values=fields.List(fields.Integer(validate=validate.Range(min=1)),
                           validate=validate.Length(equal=2)),
        load_default=dict,
    )
    # Timescales and reviews in working days and months, each checked by docgen.validate.timescales.
    assessment_timescales = fields.String(
        load_default=SINGLE_ASSESSMENT, validate=validate.OneOf(list(ASSESSMENT_TIMESCALES))
    )
    review_months = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(codes.PLAN_TYPES))),
        values=fields.Integer(validate=validate.Range(min=1)),
        load_default=dict,
    )
    disability_review_months = fields.Integer(validate=validate.Range(min=1))
    formal_review_months = fields.Integer(validate=validate.Range(min=1))
    review_source = fields.String()
    reviews = fields.Nested(ReviewRecordsSchema, load_default=dict)
    withheld_wording = fields.String(load_default="withheld")
    plain_english = fields.Nested(PlainEnglishSchema, load_default=lambda: PlainEnglishSchema().load({}))
    # A GOV.UK Notify email template with a ((link_to_file)) placeholder: information requests
    # to agencies with an email address then go by email (docgen batch --send).
    notify_email_template = fields.String(validate=validate.Regexp(
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        error="Expected the template's id as Notify shows it (a UUID)."))  # fmt: skip

    approval_required = fields.List(fields.String(), load_default=list)  # document ids a manager signs off

    @validates_schema
    def _contacts_or_none(self, data, **kwargs):
        has_contacts = "phone" in data or "email" in data
        if data.get("no_published_contacts") and has_contacts:
            raise ValidationError("Remove phone and email, or set no_published_contacts = false.",
                                  "no_published_contacts")
        if not data.get("no_published_contacts") and not has_contacts:
            raise ValidationError("Give the authority's published phone or email, or say it has "
                                  "none with no_published_contacts = true.", "phone")


# Contact details that are someone's example, not the authority's: Ofcom's drama numbers,
# the domains reserved for examples (RFC 2606), and what `docgen authority new` writes.
PLACEHOLDER_PHONE = re.compile(r"^\s*(\+44\s*\(?0?\)?\s*|0)1632\s*960\s*\d{3}\s*$")
PLACEHOLDER_EMAIL = re.compile(r"@(.+\.)?(example|test|invalid)(\.[a-z.]+)?$", re.IGNORECASE)
PLACEHOLDER_POSTCODE = "AA1 1AA"


@dataclass(frozen=True)
class Logo:
    """An authority's logo: a PNG, and the size it prints at (fitted to LOGO_BOX_MM)."""

    png: bytes
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class AuthorityProfile:
    slug: str
    name: str
    service: str
    address: list[str]
    postcode: str
    terms: dict
    phone: str | None = None
    email: str | None = None
    no_published_contacts: bool = False
    website: str | None = None
    logo: Logo | None = None
    sign_off: str = "Yours sincerely"
    own_terms: list[str] = field(default_factory=list)
    leaflets: dict = field(default_factory=dict)
    agency_names: dict = field(default_factory=dict)
    meeting_kinds: list[str] = field(default_factory=lambda: list(codes.MEETING_KINDS))
    review_weeks: dict = field(default_factory=dict)
    assessment_timescales: str = SINGLE_ASSESSMENT
    review_months: dict = field(default_factory=dict)  # plan type -> at most this many months apart
    disability_review_months: int | None = None  # a long-term disability support plan's reviews (004)
    formal_review_months: int | None = None  # a Child in Need plan open this long: a formal review (004)
    review_source: str | None = None  # the guidance the review cadence comes from
    reviews: dict = field(default_factory=dict)
    withheld_wording: str = "withheld"
    plain_english: dict = field(default_factory=dict)
    notify_email_template: str | None = None
    approval_required: list = field(default_factory=list)

    def review_window(self, plan_type: str) -> tuple[int, int] | None:
        weeks = self.review_weeks.get(plan_type)
        return (weeks[0], weeks[1]) if weeks else None

    def wording(self, plan_type: str) -> dict:
        """The authority's terms for a case of ``plan_type``: ``[terms]`` with
        ``[terms.<plan_type>]`` over it. An empty string means the authority has none
        (a Children in Need plan that goes to no portal)."""
        merged = {k: v for k, v in self.terms.items() if k not in codes.PLAN_TYPES}
        merged.update(self.terms.get(plan_type, {}))
        return {k: (v or None) for k, v in merged.items()}

    def agencies(self) -> dict[str, str]:
        """Each kind of agency in the authority's words."""
        return {code: self.agency_names.get(code, label) for code, label in codes.AGENCY_TYPES.items()}

    def plan_names(self) -> dict[str, str]:
        """The plan's name at each level of need."""
        return {plan_type: self.wording(plan_type)["plan"] for plan_type in codes.PLAN_TYPES}

    def placeholders(self) -> list[tuple[str, str]]:
        """(key, value) of each contact detail that is a placeholder, not the authority's own."""
        found = []
        if self.phone and PLACEHOLDER_PHONE.match(self.phone):
            found.append(("phone", self.phone))
        if self.email and PLACEHOLDER_EMAIL.search(self.email):
            found.append(("email", self.email))
        if self.postcode.strip().upper() == PLACEHOLDER_POSTCODE:
            found.append(("postcode", self.postcode))
        return found


def load_profile(folder: Path) -> AuthorityProfile:
    path = folder / PROFILE_FILE
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise TemplateError(f"The authority has no {PROFILE_FILE}.", source=str(path)) from e
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"The profile is not valid TOML: {e}.", source=str(path)) from e
    try:
        data = ProfileSchema().load(raw)
    except ValidationError as e:
        problems = from_marshmallow(e.messages, ProfileSchema())
        detail = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise TemplateError(f"The profile has errors: {detail}", source=str(path)) from e
    if "logo" in data:
        data["logo"] = load_logo(folder / data["logo"], path)
    return AuthorityProfile(slug=folder.name, **data)


def load_logo(path: Path, profile: Path) -> Logo:
    """The logo named by ``profile``: a PNG of at most 1 MiB, fitted to LOGO_BOX_MM."""

    def refuse(reason: str) -> TemplateError:
        return TemplateError(f"The logo {path.name!r} {reason}.", source=str(profile))

    if path.parent.resolve() != profile.parent.resolve():
        raise refuse("must be a file in the authority's own folder")
    try:
        png = path.read_bytes()
    except OSError as e:
        raise refuse(f"cannot be read ({e.strerror})") from e
    if len(png) > MAX_LOGO_BYTES:
        raise refuse(f"is over {MAX_LOGO_BYTES // 1024} KiB")
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise refuse(f"is a {image.format} image; docgen takes PNG")
            width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
        raise refuse("is not a readable PNG image") from e
    scale = min(LOGO_BOX_MM[0] / width, LOGO_BOX_MM[1] / height)
    return Logo(png, round(width * scale, 2), round(height * scale, 2))
