"""Authority profiles: each authority's name, contacts, terminology and review rules.

A profile is ``templates/<slug>/authority.toml``; adding an authority is adding that file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from docgen.bundle import codes
from docgen.exceptions import TemplateError
from docgen.problems import from_marshmallow

PROFILE_FILE = "authority.toml"


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class TermsSchema(_Strict):
    team_around = fields.String(required=True)  # "TAF" or "TACiN"
    team_around_long = fields.String(required=True)
    lead = fields.String(required=True)  # "Lead Professional" or "Lead Practitioner"


class PlainEnglishSchema(_Strict):
    max_sentence_words = fields.Integer(load_default=25, validate=validate.Range(min=5))
    max_reading_age = fields.Integer(load_default=14, validate=validate.Range(min=5, max=21))


class ProfileSchema(_Strict):
    name = fields.String(required=True)
    service = fields.String(required=True)
    address = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5))
    postcode = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.Email(required=True)
    website = fields.String()
    logo = fields.String()
    sign_off = fields.String(load_default="Yours sincerely")
    terms = fields.Nested(TermsSchema, required=True)
    review_weeks = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(codes.PLAN_TYPES))),
        values=fields.List(fields.Integer(validate=validate.Range(min=1)),
                           validate=validate.Length(equal=2)),
        load_default=dict,
    )
    submit_plans_to = fields.String()
    submit_closures_to = fields.String()
    support_after_closure = fields.String()
    withheld_wording = fields.String(load_default="withheld")
    plain_english = fields.Nested(PlainEnglishSchema, load_default=lambda: PlainEnglishSchema().load({}))


@dataclass(frozen=True)
class AuthorityProfile:
    slug: str
    name: str
    service: str
    address: list[str]
    postcode: str
    phone: str
    email: str
    terms: dict
    website: str | None = None
    logo: Path | None = None
    sign_off: str = "Yours sincerely"
    review_weeks: dict = field(default_factory=dict)
    submit_plans_to: str | None = None
    submit_closures_to: str | None = None
    support_after_closure: str | None = None
    withheld_wording: str = "withheld"
    plain_english: dict = field(default_factory=dict)

    def review_window(self, plan_type: str) -> tuple[int, int] | None:
        weeks = self.review_weeks.get(plan_type)
        return (weeks[0], weeks[1]) if weeks else None


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
        data["logo"] = folder / data["logo"]
    return AuthorityProfile(slug=folder.name, **data)
