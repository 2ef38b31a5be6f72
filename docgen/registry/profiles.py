"""Authority profiles: each authority's name, contacts, terminology and review rules.

A profile is ``templates/<slug>/authority.toml``; adding an authority is adding that file.
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from PIL import Image, UnidentifiedImageError

from docgen.bundle import codes
from docgen.exceptions import TemplateError
from docgen.problems import from_marshmallow

PROFILE_FILE = "authority.toml"
LOGO_BOX_MM = (60.0, 15.0)  # the letter head's room for a logo above the authority's name
MAX_LOGO_BYTES = 1024 * 1024


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
    approval_required = fields.List(fields.String(), load_default=list)  # document ids a manager signs off


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
    phone: str
    email: str
    terms: dict
    website: str | None = None
    logo: Logo | None = None
    sign_off: str = "Yours sincerely"
    review_weeks: dict = field(default_factory=dict)
    submit_plans_to: str | None = None
    submit_closures_to: str | None = None
    support_after_closure: str | None = None
    withheld_wording: str = "withheld"
    plain_english: dict = field(default_factory=dict)
    approval_required: list = field(default_factory=list)

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
