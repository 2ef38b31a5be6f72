"""The fictional sample bundles, rendered through a template for checks, previews and snapshots.

Samples live in ``samples/valid/`` beside the templates folder. Each is rendered as of its own
``case.issue_date``, so what a template prints from it never depends on the day it is run.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import docx
from marshmallow import ValidationError

from docgen.authoring.diagnose import explain
from docgen.bundle import Bundle
from docgen.bundle.paths import resolve_path
from docgen.bundle.schema import BundleSchema
from docgen.exceptions import DocgenError, InputError
from docgen.registry import TemplateInfo
from docgen.registry.profiles import AuthorityProfile
from docgen.view.context import Recipient, build_context
from docgen.render.engine import CompiledTemplate, Provenance, time_budget
from docgen.view.recipients import recipients_for

REPO_SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "valid"
# Provenance needs a time; a fixed one keeps rendered samples byte-for-byte repeatable.
FIXED_TIME = "2026-01-01T00:00:00+00:00"


def sample_files(templates_root: Path | None = None) -> list[Path]:
    """``samples/valid/*.json`` beside the templates folder, else the repository's."""
    if templates_root is not None:
        near = Path(templates_root).parent / "samples" / "valid"
        if near.is_dir():
            return sorted(near.glob("*.json"))
    return sorted(REPO_SAMPLES.glob("*.json"))


def read_sample(path: Path) -> Bundle:
    """A sample bundle, checked against the bundle schema (samples are valid by definition)."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
        return Bundle(source=str(path), data=BundleSchema().load(raw))
    except (OSError, ValueError) as e:
        raise InputError(f"The sample cannot be read ({e}).", source=str(path)) from e
    except ValidationError as e:
        raise InputError(f"The sample is not a valid bundle: {e.messages}.", source=str(path)) from e


def issue_date(bundle: Bundle) -> date:
    return bundle.data["case"].get("issue_date") or date(2026, 1, 1)


def has_required(bundle: Bundle, requires: tuple[str, ...]) -> bool:
    """Whether the bundle has every field a document's metadata requires."""
    for path in requires:
        try:
            value = resolve_path(bundle.data, path)
        except LookupError:
            return False
        if value is None or value == [] or value == "":
            return False
    return True


@dataclass
class SampleRender:
    """One template filled from one sample for one recipient (or none), or the error it raised."""

    sample: Path
    bundle: Bundle
    recipient: Recipient | None
    docx: bytes | None = None
    error: DocgenError | None = None


def render_with(compiled: CompiledTemplate, info: TemplateInfo, profile: AuthorityProfile,
                bundle: Bundle, sample: Path) -> list[SampleRender]:
    """The template filled for each recipient the sample gives it."""
    results = []
    with time_budget():  # one limit for the document, not one per recipient's copy
        for recipient in recipients_for(info, bundle):
            result = SampleRender(sample, bundle, recipient)
            try:
                context = build_context(bundle, profile, info, recipient, today=issue_date(bundle))
                provenance = Provenance(info.doc_id, info.title, info.version, info.sha256, bundle.reference,
                                        profile.name, datetime.fromisoformat(FIXED_TIME))
                result.docx = compiled.render(context, provenance)
            except DocgenError as e:
                e.case_ref = bundle.reference
                result.error = explain(e, compiled.path, compiled.label)
            results.append(result)
    return results


def document_text(content: bytes) -> str:
    """The text a reader sees: body paragraphs and tables, then headers and footers, labelled."""
    document = docx.Document(io.BytesIO(content))
    lines: list[str] = []

    def walk(container) -> None:
        for block in container.iter_inner_content():
            if hasattr(block, "rows"):
                seen = {}  # id -> element: holding the element keeps its id from being reused
                for row in block.rows:
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # a merged cell appears once per grid column and row
                            continue
                        seen[id(cell._tc)] = cell._tc
                        walk(cell)
            else:
                lines.append(block.text)

    walk(document)
    for number, section in enumerate(document.sections, start=1):
        for label, part in (("first-page header", section.first_page_header), ("header", section.header),
                            ("even-page header", section.even_page_header), ("first-page footer", section.first_page_footer),
                            ("footer", section.footer), ("even-page footer", section.even_page_footer)):
            if part.is_linked_to_previous:
                continue
            lines.append(f"--- {label} (section {number}) ---")
            walk(part)
    return "\n".join(lines).rstrip() + "\n"
