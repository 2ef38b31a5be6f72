"""The template registry: which Word template fills which document for which authority.

``templates/default/<doc-id>.docx`` (with ``<doc-id>.toml`` metadata beside it) serves every
authority; ``templates/<slug>/<doc-id>.docx`` overrides it for one. Resolution falls back from
the authority's folder to ``default``.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from docgen.exceptions import TemplateError, TemplateNotFound, UnknownName
from docgen.registry.profiles import PROFILE_FILE, AuthorityProfile, load_profile
from docgen.problems import did_you_mean, from_marshmallow

DEFAULT = "default"
TEMPLATES_ENV = "DOCGEN_TEMPLATES"

# Who a document goes to: one copy, or one per recipient.
RECIPIENT_RULES = {
    "none": "one document",
    "professionals": "one per professional asked for information",
    "family-and-agencies": "one per family member who receives letters, and one per agency",
}
# Whose withholding applies to a document that has no single recipient.
AUDIENCES = ("internal", "family", "agency", "all")


class TemplateMetaSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.String(required=True, validate=validate.Regexp(r"^\d+(\.\d+){0,2}$"))
    description = fields.String(load_default="")
    recipients = fields.String(load_default="none", validate=validate.OneOf(list(RECIPIENT_RULES)))
    audience = fields.String(load_default="all", validate=validate.OneOf(AUDIENCES))
    letter = fields.Boolean(load_default=False)
    family_letter = fields.Boolean(load_default=False)
    requires = fields.List(fields.String(), load_default=list)


@dataclass(frozen=True)
class TemplateInfo:
    """One Word template with its metadata, as resolved for an authority."""

    doc_id: str
    title: str
    version: str
    path: Path
    meta_path: Path
    origin: str  # "default" or the authority slug whose folder holds it
    description: str
    recipients: str
    audience: str
    letter: bool
    family_letter: bool
    requires: tuple[str, ...]

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def to_dict(self) -> dict:
        return {
            "id": self.doc_id,
            "title": self.title,
            "version": self.version,
            "origin": self.origin,
            "path": str(self.path),
            "recipients": self.recipients,
            "audience": self.audience,
            "requires": list(self.requires),
            "sha256": self.sha256,
        }


def default_root() -> Path:
    """``$DOCGEN_TEMPLATES``, else the ``templates`` folder beside the package's source tree."""
    if os.environ.get(TEMPLATES_ENV):
        return Path(os.environ[TEMPLATES_ENV])
    return Path(__file__).resolve().parents[2] / "templates"


class Registry:
    """The templates and authority profiles under one root folder."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        if not (self.root / DEFAULT).is_dir():
            raise TemplateError(
                f"No templates folder: expected {self.root / DEFAULT}. "
                f"Pass --templates DIR or set {TEMPLATES_ENV}.",
                source=str(self.root),
            )
        self._profiles: dict[str, AuthorityProfile] = {}
        self._resolved: dict[tuple[str, str], TemplateInfo] = {}

    def authorities(self) -> list[str]:
        return sorted(p.parent.name for p in self.root.glob(f"*/{PROFILE_FILE}"))

    def document_ids(self) -> list[str]:
        return sorted(p.stem for p in (self.root / DEFAULT).glob("*.docx"))

    def profile(self, slug: str) -> AuthorityProfile:
        if slug not in self._profiles:
            if slug not in self.authorities():
                raise TemplateNotFound(
                    f"Unknown authority '{slug}'. Known: {', '.join(self.authorities())}."
                )
            self._profiles[slug] = load_profile(self.root / slug)
        return self._profiles[slug]

    def check_names(self, *, authority: str | None = None, doc_id: str | None = None) -> None:
        """Refuse an authority or document named on the command line that is not registered:
        a typing mistake is a usage error (exit 2) with a suggestion, not a broken template."""
        for what, name, known in (("authority", authority, self.authorities()),
                                  ("document", doc_id, self.document_ids())):
            if name is not None and name not in known:
                raise UnknownName(f"Unknown {what} '{name}'.{did_you_mean(name, known)} "
                                  f"Known: {', '.join(known)}.")

    def resolve(self, doc_id: str, authority: str) -> TemplateInfo:
        """The authority's own template for ``doc_id``, else the default one."""
        key = (doc_id, authority)
        if key not in self._resolved:
            for origin in (authority, DEFAULT):
                path = self.root / origin / f"{doc_id}.docx"
                if path.is_file():
                    self._resolved[key] = load_template_info(path, origin)
                    break
            else:
                known = ", ".join(self.document_ids())
                raise TemplateNotFound(f"No template for document '{doc_id}'. Known: {known}.")
        return self._resolved[key]

    def resolve_all(self, authority: str) -> list[TemplateInfo]:
        return [self.resolve(doc_id, authority) for doc_id in self.document_ids()]

    def template_files(self) -> list[Path]:
        return sorted(self.root.glob("*/*.docx"))


def load_template_info(path: Path, origin: str) -> TemplateInfo:
    meta_path = path.with_suffix(".toml")
    try:
        raw = tomllib.loads(meta_path.read_text("utf-8"))
        meta = TemplateMetaSchema().load(raw)
    except FileNotFoundError as e:
        raise TemplateError("The template has no metadata file beside it.", source=str(meta_path)) from e
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"The metadata is not valid TOML: {e}.", source=str(meta_path)) from e
    except ValidationError as e:
        detail = "; ".join(f"{p.path}: {p.message}" for p in from_marshmallow(e.messages, TemplateMetaSchema()))
        raise TemplateError(f"The metadata has errors: {detail}", source=str(meta_path)) from e
    if meta["id"] != path.stem:
        raise TemplateError(f"The metadata id '{meta['id']}' differs from the file name.", source=str(meta_path))
    return TemplateInfo(
        doc_id=meta["id"],
        title=meta["title"],
        version=meta["version"],
        path=path,
        meta_path=meta_path,
        origin=origin,
        description=meta["description"],
        recipients=meta["recipients"],
        audience=meta["audience"],
        letter=meta["letter"],
        family_letter=meta["family_letter"],
        requires=tuple(meta["requires"]),
    )
